//! Retention (TODO(backup)): the pure selection of what to keep, and [`prune`].

use crate::config::BackupArgs;

/// What a prune deleted (or would delete with `dry_run`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PruneReport {
    pub kept: Vec<String>,
    pub deleted: Vec<String>,
}

/// Applies the retention policy to the complete backups in the folder.
pub async fn prune(args: &BackupArgs, dry_run: bool) -> anyhow::Result<PruneReport> {
    let _ = (args, dry_run);
    anyhow::bail!("prune not implemented yet")
}
