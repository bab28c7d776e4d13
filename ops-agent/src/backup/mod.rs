//! Taking a backup (TODO(backup)): pg_dump -Fc to a temporary name, fsync, sha256, manifest,
//! atomic renames, status file, then retention.
//!
//! The daemon's `backup` job calls [`take`]; `ops-agent backup` does too.

use crate::config::DbBackupArgs;

/// What a completed backup's manifest says (TODO(backup): full manifest).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub id: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// Takes one backup now. Records the outcome in the status file whatever happens.
pub async fn take(args: &DbBackupArgs) -> anyhow::Result<Manifest> {
    let _ = args;
    anyhow::bail!("backup not implemented yet")
}
