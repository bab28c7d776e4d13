//! Taking a backup: `pg_dump -Fc` (at the store's compression level) to a temporary name,
//! fsync, size and sha256, a manifest, atomic renames (dump, then manifest = commit point), an
//! fsync of the folder, the status file, then retention.
//!
//! The daemon's `backup` job calls [`take`]; `ops-agent backup` does too.

mod dump;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};

pub use crate::manifest::Manifest;
pub use dump::COUNTED_TABLES;

use crate::events::backup::{
    BackupCompleted, BackupFailed, BackupLeftoverRemoved, BackupPhase, Phase, RetentionFailed,
    StatusWriteFailed,
};
use crate::exit::{Unavailable, is_busy};
use crate::lock::FolderLock;
use crate::manifest::{self, TMP_PREFIX};
use crate::pgtools::{PgTarget, check_tool_not_older};
use crate::status::{self, RunKind, RunStatus};
use crate::store::BackupStore;

/// Free space required beyond the last backup's size: a quarter more, at least 16 MiB.
pub fn required_free_bytes(last_size_bytes: Option<u64>) -> u64 {
    let last = last_size_bytes.unwrap_or(0);
    last.saturating_add((last / 4).max(16 * 1024 * 1024))
}

/// Takes one backup of `database` into `store` now. Records the outcome in the status file
/// whatever happens, logs `backup_completed` or `backup_failed`, and applies retention after a
/// success. When another run holds the lock ([`crate::exit::is_busy`]) nothing is recorded or
/// logged: the error says so and the caller decides (exit 75, a counted skip).
pub async fn take(database: &PgTarget, store: &BackupStore) -> anyhow::Result<Manifest> {
    let started_at = Utc::now();
    let clock = Instant::now();
    let result = take_locked(database, store, clock).await;
    if let Err(e) = &result
        && is_busy(e)
    {
        // Another run holds the lock: nothing ran, so nothing is recorded as failed.
        return result;
    }
    let outcome = result
        .as_ref()
        .map_err(|e| status::redacted_reason(database, e));
    record(store, started_at, clock, outcome);
    let manifest = result?;
    match crate::retention::prune(&store.dir, &store.retention, false).await {
        // A run that took the lock meanwhile applies retention itself.
        Err(error) if !is_busy(&error) => RetentionFailed { error: &error }.emit(),
        _ => {}
    }
    Ok(manifest)
}

/// Records a backup that could not start because `DATABASE_URL` is unusable, as any failed
/// run is recorded: `backup_failed` and the status file, so the daemon's `BackupFailed` alert
/// also sees a cron-run backup with a broken setting. (The error never quotes the URL.)
pub fn record_unstarted(store: &BackupStore, error: &anyhow::Error) {
    record(store, Utc::now(), Instant::now(), Err(format!("{error:#}")));
}

/// Logs the outcome of a run that started at `started_at` (`Err` holds the redacted reason)
/// and writes it to the status file.
fn record(
    store: &BackupStore,
    started_at: DateTime<Utc>,
    clock: Instant,
    outcome: Result<&Manifest, String>,
) {
    let duration_seconds = clock.elapsed().as_secs_f64();
    let unfinished = RunStatus::unfinished(RunKind::Backup, started_at, duration_seconds);
    let status = match outcome {
        Ok(m) => {
            BackupCompleted {
                backup_id: &m.id,
                size_bytes: m.size_bytes,
                duration_seconds,
            }
            .emit();
            RunStatus {
                success: true,
                backup_id: Some(m.id.clone()),
                size_bytes: Some(m.size_bytes),
                ..unfinished
            }
        }
        Err(reason) => {
            BackupFailed {
                duration_seconds,
                reason: &reason,
            }
            .emit();
            RunStatus {
                error: Some(reason),
                ..unfinished
            }
        }
    };
    if let Err(error) = status::record(&store.dir, status) {
        StatusWriteFailed {
            run: RunKind::Backup,
            error: &error,
        }
        .emit();
    }
}

async fn take_locked(
    target: &PgTarget,
    store: &BackupStore,
    clock: Instant,
) -> anyhow::Result<Manifest> {
    let dir = &store.dir;
    let _lock = FolderLock::acquire(dir)?;
    for name in manifest::remove_leftovers(dir)? {
        BackupLeftoverRemoved { file: &name }.emit();
    }
    check_free_space(dir)?;

    let tools = &store.tools;
    let (version, conn) = tokio::join!(
        tools.version("pg_dump"),
        PgConnection::connect_with(&target.options)
    );
    let (pg_dump_version, pg_dump_major) =
        version.context(Unavailable("pg_dump cannot run".into()))?;
    let mut conn = conn
        .context("connecting to the database")
        .context(Unavailable("the database is unreachable".into()))?;
    let server_version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut conn)
        .await
        .context("reading server_version")?;
    let version_num: String = sqlx::query_scalar("SHOW server_version_num")
        .fetch_one(&mut conn)
        .await
        .context("reading server_version_num")?;
    let version_num: u32 = version_num
        .trim()
        .parse()
        .context("parsing server_version_num")?;
    check_tool_not_older("pg_dump", pg_dump_major, version_num)?;

    let created_at = Utc::now();
    let id = manifest::new_id(created_at);
    let mut guard = TempFiles::default();
    let tmp_dump = dir.join(format!("{TMP_PREFIX}{id}.dump"));
    guard.0.push(tmp_dump.clone());
    phase(Phase::Prepared, clock);
    let facts = dump::dump_in_snapshot(
        &mut conn,
        tools,
        store.tool_timeout,
        target,
        &tmp_dump,
        store.compression_level,
    )
    .await?;
    phase(Phase::Dumped, clock);
    let _ = conn.close().await;

    let (size_bytes, sha256) = tokio::task::spawn_blocking({
        let p = tmp_dump.clone();
        move || -> anyhow::Result<(u64, String)> {
            std::fs::File::open(&p)
                .and_then(|f| f.sync_all())
                .context("fsyncing the dump")?;
            manifest::hash_file(&p).context("hashing the dump")
        }
    })
    .await
    .context("hashing task")??;

    let m = Manifest {
        id: id.clone(),
        created_at,
        database: target.dbname.clone(),
        server_version,
        pg_dump_version,
        size_bytes,
        sha256,
        row_counts: facts.row_counts,
        indexes: facts.indexes,
        duration_seconds: clock.elapsed().as_secs_f64(),
    };
    phase(Phase::Hashed, clock);
    commit(dir, &m, &tmp_dump, &mut guard)?;
    phase(Phase::Committed, clock);
    Ok(m)
}

/// Writes the manifest and renames both files into place, manifest last; then fsyncs the folder.
fn commit(dir: &Path, m: &Manifest, tmp_dump: &Path, guard: &mut TempFiles) -> anyhow::Result<()> {
    let tmp_manifest = dir.join(format!("{TMP_PREFIX}{}.manifest.json", m.id));
    guard.0.push(tmp_manifest.clone());
    {
        let mut f = crate::private::create_file(&tmp_manifest).context("writing the manifest")?;
        std::io::Write::write_all(&mut f, &serde_json::to_vec_pretty(m)?)
            .context("writing the manifest")?;
        f.sync_all().context("fsyncing the manifest")?;
    }
    let final_dump = manifest::dump_path(dir, &m.id);
    std::fs::rename(tmp_dump, &final_dump).context("renaming the dump into place")?;
    guard.0.push(final_dump);
    std::fs::rename(&tmp_manifest, manifest::manifest_path(dir, &m.id))
        .context("renaming the manifest into place")?;
    guard.0.clear();
    manifest::fsync_dir(dir).context("fsyncing the backup folder")?;
    Ok(())
}

fn phase(phase: Phase, clock: Instant) {
    BackupPhase {
        phase,
        elapsed_seconds: clock.elapsed().as_secs_f64(),
    }
    .emit();
}

fn check_free_space(dir: &Path) -> anyhow::Result<()> {
    let last = manifest::list(dir)?.first().map(|e| e.size_bytes);
    let available = fs4::available_space(dir)
        .with_context(|| format!("reading free space of {}", dir.display()))?;
    let needed = required_free_bytes(last);
    if available < needed {
        anyhow::bail!(
            "not enough free space in {}: {available} bytes available, {needed} needed \
             (last backup {} bytes plus margin)",
            dir.display(),
            last.unwrap_or(0)
        );
    }
    Ok(())
}

/// Files of an unfinished run, removed on drop unless the run committed.
#[derive(Debug, Default)]
struct TempFiles(Vec<PathBuf>);

impl Drop for TempFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_margin_grows_with_the_last_backup() {
        assert_eq!(required_free_bytes(None), 16 * 1024 * 1024);
        assert_eq!(required_free_bytes(Some(1000)), 1000 + 16 * 1024 * 1024);
        assert_eq!(required_free_bytes(Some(400 << 20)), 500 << 20);
        assert_eq!(required_free_bytes(Some(u64::MAX)), u64::MAX);
    }
}
