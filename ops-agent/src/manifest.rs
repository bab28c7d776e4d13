//! The backup folder's layout and the manifest that makes a dump a backup.
//!
//! A complete backup is `<id>.dump` plus `<id>.manifest.json`; the manifest is renamed into
//! place last, so its presence is the commit point. Files of a run in progress (or of a killed
//! one) are named `.tmp-<id>.*`; they are never listed and are removed by the next run that
//! holds the lock.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::events::backup::ManifestUnreadable;

/// Suffix of a complete backup's dump file.
pub const DUMP_SUFFIX: &str = ".dump";
/// Suffix of a complete backup's manifest.
pub const MANIFEST_SUFFIX: &str = ".manifest.json";
/// Prefix of a run's temporary files.
pub const TMP_PREFIX: &str = ".tmp-";

/// What a completed backup's manifest says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Backup id, also the file names' stem (`20261127T124408Z-1a2b`).
    pub id: String,
    /// When the dump's snapshot was taken (just before it was exported).
    pub created_at: DateTime<Utc>,
    /// Name of the database dumped.
    pub database: String,
    /// The server's `server_version`.
    pub server_version: String,
    /// `pg_dump --version` of the tool that wrote the dump.
    pub pg_dump_version: String,
    /// Size of the dump file in bytes.
    pub size_bytes: u64,
    /// Hex sha256 of the dump file.
    pub sha256: String,
    /// Row counts of `users`, `masters`, `bookings`, `availability_blocks` in the dump's snapshot.
    #[serde(default)]
    pub row_counts: BTreeMap<String, i64>,
    /// Index names of the `public` schema in the dump's snapshot (the drill checks they return).
    #[serde(default)]
    pub indexes: Vec<String>,
    /// How long the backup took, in seconds.
    #[serde(default)]
    pub duration_seconds: f64,
}

/// A complete backup found in the folder.
#[derive(Debug, Clone, Serialize)]
pub struct BackupEntry {
    /// Backup id.
    pub id: String,
    /// Path of the dump file.
    pub path: PathBuf,
    /// When the snapshot was taken.
    pub created_at: DateTime<Utc>,
    /// Dump size in bytes.
    pub size_bytes: u64,
    /// Hex sha256 of the dump.
    pub sha256: String,
    /// The whole manifest.
    #[serde(skip)]
    pub manifest: Manifest,
}

/// Path of backup `id`'s dump.
pub fn dump_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}{DUMP_SUFFIX}"))
}

/// Path of backup `id`'s manifest.
pub fn manifest_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}{MANIFEST_SUFFIX}"))
}

/// A new backup id: the UTC time to the second plus a random suffix against collisions.
pub fn new_id(at: DateTime<Utc>) -> String {
    format!(
        "{}-{:04x}",
        at.format("%Y%m%dT%H%M%SZ"),
        rand::random::<u16>()
    )
}

/// Complete backups (manifest present, parsable and naming an existing dump), newest first.
/// A missing folder holds no backups.
pub fn list(dir: &Path) -> anyhow::Result<Vec<BackupEntry>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_suffix(MANIFEST_SUFFIX) else {
            continue;
        };
        if id.starts_with('.') {
            continue;
        }
        let Some(manifest) = read_manifest(&entry.path()) else {
            ManifestUnreadable { file: &name }.emit();
            continue;
        };
        let path = dump_path(dir, id);
        if manifest.id != id || !path.is_file() {
            continue;
        }
        out.push(BackupEntry {
            id: manifest.id.clone(),
            path,
            created_at: manifest.created_at,
            size_bytes: manifest.size_bytes,
            sha256: manifest.sha256.clone(),
            manifest,
        });
    }
    out.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    Ok(out)
}

fn read_manifest(path: &Path) -> Option<Manifest> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Finds backup `id`, or the newest when `id` is `None`.
pub fn find(dir: &Path, id: Option<&str>) -> anyhow::Result<BackupEntry> {
    let all = list(dir)?;
    match id {
        Some(id) => all
            .into_iter()
            .find(|e| e.id == id)
            .with_context(|| format!("no complete backup with id {id:?} in {}", dir.display()))
            .context(crate::exit::Unavailable("nothing to restore".into())),
        None => all
            .into_iter()
            .next()
            .with_context(|| format!("no complete backup in {}", dir.display()))
            .context(crate::exit::Unavailable("nothing to restore".into())),
    }
}

/// Size and hex sha256 of a file, read in fixed-size chunks (memory stays flat).
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// Flushes a folder's entries (the renames inside it) to disk.
pub fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Removes the temporary files of earlier runs; call only while holding the lock.
pub fn remove_leftovers(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(TMP_PREFIX) {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("removing leftover {name}"))?;
            removed.push(name);
        }
    }
    Ok(removed)
}
