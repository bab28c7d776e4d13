//! Backup-side events: `backup_completed`, `backup_failed`, `backup_phase`,
//! `backup_leftover_removed`, `backup_pruned`, `retention_failed`, `manifest_unreadable`,
//! `status_write_failed`, `status_unreadable`, `backup_folder_exposed`.

use crate::status::RunKind;

/// `backup_completed`: a backup finished (CLI or daemon).
#[derive(Debug)]
pub struct BackupCompleted<'a> {
    /// The new backup's id.
    pub backup_id: &'a str,
    /// Size of the dump.
    pub size_bytes: u64,
    /// Wall time of the whole run.
    pub duration_seconds: f64,
}

impl BackupCompleted<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::info!(
            event = "backup_completed",
            backup_id = self.backup_id,
            size_bytes = self.size_bytes,
            duration_seconds = self.duration_seconds,
            "Backup completed"
        );
    }
}

/// `backup_failed`: a backup failed. The one line for this error (the daemon does not repeat it).
#[derive(Debug)]
pub struct BackupFailed<'a> {
    /// Wall time until the failure.
    pub duration_seconds: f64,
    /// The error chain, already stripped of the database URL and password.
    pub reason: &'a str,
}

impl BackupFailed<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::error!(
            event = "backup_failed",
            duration_seconds = self.duration_seconds,
            reason = self.reason,
            "Backup failed"
        );
    }
}

/// The steps of a backup `backup_phase` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Lock held, leftovers removed, versions checked.
    Prepared,
    /// pg_dump finished.
    Dumped,
    /// The dump is fsynced and hashed.
    Hashed,
    /// Dump and manifest renamed into place.
    Committed,
}

impl Phase {
    /// The `phase` field value.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prepared => "prepared",
            Phase::Dumped => "dumped",
            Phase::Hashed => "hashed",
            Phase::Committed => "committed",
        }
    }
}

/// `backup_phase` (debug): where the time of a run goes, for comparing with a raw pg_dump.
#[derive(Debug)]
pub struct BackupPhase {
    /// The step just done.
    pub phase: Phase,
    /// Time since the run started.
    pub elapsed_seconds: f64,
}

impl BackupPhase {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::debug!(
            event = "backup_phase",
            phase = self.phase.as_str(),
            elapsed_seconds = self.elapsed_seconds,
            "Backup phase done"
        );
    }
}

/// `backup_leftover_removed`: a file of an interrupted run was removed.
#[derive(Debug)]
pub struct BackupLeftoverRemoved<'a> {
    /// The file's name in the backup folder.
    pub file: &'a str,
}

impl BackupLeftoverRemoved<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::warn!(
            event = "backup_leftover_removed",
            file = self.file,
            "Removed a leftover of an interrupted run"
        );
    }
}

/// `backup_pruned`: retention deleted a backup.
#[derive(Debug)]
pub struct BackupPruned<'a> {
    /// The deleted backup's id.
    pub backup_id: &'a str,
}

impl BackupPruned<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::info!(
            event = "backup_pruned",
            backup_id = self.backup_id,
            "Backup deleted by retention"
        );
    }
}

/// `retention_failed`: retention after a successful backup failed; every backup is kept.
#[derive(Debug)]
pub struct RetentionFailed<'a> {
    /// Why.
    pub error: &'a anyhow::Error,
}

impl RetentionFailed<'_> {
    /// Logs the event with the error's whole chain.
    pub fn emit(&self) {
        tracing::error!(
            event = "retention_failed",
            error = %format!("{:#}", self.error),
            "Retention after the backup failed; backups kept"
        );
    }
}

/// `manifest_unreadable`: a manifest could not be read; that backup is ignored.
#[derive(Debug)]
pub struct ManifestUnreadable<'a> {
    /// The manifest's file name.
    pub file: &'a str,
}

impl ManifestUnreadable<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::warn!(
            event = "manifest_unreadable",
            file = self.file,
            "Ignoring an unreadable manifest"
        );
    }
}

/// `status_write_failed`: the outcome of a backup or drill could not be recorded.
#[derive(Debug)]
pub struct StatusWriteFailed<'a> {
    /// Whose outcome.
    pub run: RunKind,
    /// Why.
    pub error: &'a anyhow::Error,
}

impl StatusWriteFailed<'_> {
    /// Logs the event with the error's whole chain.
    pub fn emit(&self) {
        let error = format!("{:#}", self.error);
        match self.run {
            RunKind::Backup => tracing::error!(
                event = "status_write_failed",
                error = %error,
                "Cannot record the backup's outcome"
            ),
            RunKind::Verify => tracing::error!(
                event = "status_write_failed",
                error = %error,
                "Cannot record the drill's outcome"
            ),
        }
    }
}

/// `status_unreadable`: the daemon cannot read a status file (treated as a failed run).
#[derive(Debug)]
pub struct StatusUnreadable<'a> {
    /// Why.
    pub error: &'a anyhow::Error,
}

impl StatusUnreadable<'_> {
    /// Logs the event with the error's whole chain.
    pub fn emit(&self) {
        tracing::warn!(
            event = "status_unreadable",
            error = format!("{:#}", self.error),
            "Status file unreadable"
        );
    }
}

/// `backup_folder_exposed`: the backup folder (or its `status/`) lets its group or others in;
/// dumps hold every customer's data.
#[derive(Debug)]
pub struct BackupFolderExposed<'a> {
    /// The folder.
    pub dir: &'a std::path::Path,
    /// Its permission bits.
    pub mode: u32,
}

impl BackupFolderExposed<'_> {
    /// Logs the event when the existing folder `dir` lets its group or others in.
    pub fn check(dir: &std::path::Path) {
        if let Some(mode) = crate::private::exposed_mode(dir) {
            BackupFolderExposed { dir, mode }.emit();
        }
    }

    /// Logs the event.
    pub fn emit(&self) {
        tracing::warn!(
            event = "backup_folder_exposed",
            dir = %self.dir.display(),
            mode = format!("{:04o}", self.mode),
            "The backup folder is readable by others; chmod 700 it"
        );
    }
}
