//! Restoring backups (TODO(backup)): `verify` into a scratch database with integrity checks,
//! or a real restore into a target database.
//!
//! The daemon's `verify` job calls [`verify`]; `ops-agent restore --verify` does too.

use crate::config::DbBackupArgs;

/// One integrity check's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckResult {
    pub id: String,
    pub passed: bool,
    pub detail: String,
}

/// The drill's report: passed only when every check passed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    pub backup_id: String,
    pub passed: bool,
    pub checks: Vec<CheckResult>,
}

/// Restores `backup_id` (default: newest) into a scratch database, checks it, drops it.
/// Records the outcome in the status file whatever happens.
pub async fn verify(args: &DbBackupArgs, backup_id: Option<&str>) -> anyhow::Result<VerifyReport> {
    let _ = (args, backup_id);
    anyhow::bail!("restore --verify not implemented yet")
}
