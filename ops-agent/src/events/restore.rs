//! Restore events: `restore_verify_passed`, `restore_verify_failed`, `restore_completed`,
//! `restore_source_unreachable`, `scratch_database_dropped`.

/// `restore_verify_passed`: a drill passed.
#[derive(Debug)]
pub struct RestoreVerifyPassed<'a> {
    /// The backup restored.
    pub backup_id: &'a str,
    /// Size of the dump restored.
    pub size_bytes: u64,
    /// Wall time of the drill.
    pub duration_seconds: f64,
}

impl RestoreVerifyPassed<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::info!(
            event = "restore_verify_passed",
            backup_id = self.backup_id,
            size_bytes = self.size_bytes,
            duration_seconds = self.duration_seconds,
            "Restore drill passed"
        );
    }
}

/// `restore_verify_failed`: a drill failed, by failed checks or an error. The one line for
/// this failure (the daemon does not repeat it).
#[derive(Debug)]
pub struct RestoreVerifyFailed<'a> {
    /// The backup restored; `None` when the drill failed before choosing one.
    pub backup_id: Option<&'a str>,
    /// Wall time until the failure.
    pub duration_seconds: f64,
    /// The failed checks, or the error chain stripped of the database URL and password.
    pub reason: &'a str,
}

impl RestoreVerifyFailed<'_> {
    /// Logs the event; `backup_id` is left out when unknown.
    pub fn emit(&self) {
        tracing::error!(
            event = "restore_verify_failed",
            backup_id = self.backup_id,
            duration_seconds = self.duration_seconds,
            reason = self.reason,
            "Restore drill failed"
        );
    }
}

/// `restore_completed`: a real restore (`--target-url`) finished.
#[derive(Debug)]
pub struct RestoreCompleted<'a> {
    /// The backup restored.
    pub backup_id: &'a str,
    /// Size of the dump restored.
    pub size_bytes: u64,
    /// Wall time of the restore and its checks.
    pub duration_seconds: f64,
}

impl RestoreCompleted<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::info!(
            event = "restore_completed",
            backup_id = self.backup_id,
            size_bytes = self.size_bytes,
            duration_seconds = self.duration_seconds,
            "Backup restored into the target database"
        );
    }
}

/// `restore_source_unreachable`: a real restore could not reach the source database
/// (`DATABASE_URL`) to compare it with the target; it goes on because the target is empty.
#[derive(Debug)]
pub struct RestoreSourceUnreachable<'a> {
    /// Why (the error chain; it never quotes the URL).
    pub error: &'a anyhow::Error,
}

impl RestoreSourceUnreachable<'_> {
    /// Logs the event with the error's whole chain.
    pub fn emit(&self) {
        tracing::warn!(
            event = "restore_source_unreachable",
            error = %format!("{:#}", self.error),
            "The source database is unreachable; restoring into the empty target anyway"
        );
    }
}

/// `scratch_database_dropped`: the scratch database of an interrupted drill was dropped.
#[derive(Debug)]
pub struct ScratchDatabaseDropped<'a> {
    /// Its name.
    pub database: &'a str,
}

impl ScratchDatabaseDropped<'_> {
    /// Logs the event.
    pub fn emit(&self) {
        tracing::warn!(
            event = "scratch_database_dropped",
            database = self.database,
            "Dropped the scratch database of an interrupted drill"
        );
    }
}
