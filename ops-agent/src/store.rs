//! The backup store: the folder holding backups, manifests, the lock and the status files,
//! the client tools that write and read it, and the retention policy applied to it.
//!
//! Plain settings, built once from the command line (`cmd::args`) or by tests; the domain
//! modules (`backup`, `restore`, `retention`, the daemon's jobs) take it instead of clap types.

use std::path::PathBuf;
use std::time::Duration;

use crate::pgtools::PgTools;
use crate::retention::RetentionPolicy;

/// Where backups live and how they are made.
#[derive(Debug, Clone)]
pub struct BackupStore {
    /// Folder of backups, manifests, the lock and `status/`.
    pub dir: PathBuf,
    /// `pg_dump`/`pg_restore`, from `PG_BIN_DIR` or `PATH`.
    pub tools: PgTools,
    /// What `prune` (and retention after each backup) keeps.
    pub retention: RetentionPolicy,
    /// How long one `pg_dump` or `pg_restore` may run before it (and its process group) is
    /// killed and the run fails.
    pub tool_timeout: Duration,
}

/// The default of [`BackupStore::tool_timeout`]: 6 h, generous for a database of tens of GB
/// (3 million bookings dump in seconds; see bench/README.md).
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

impl BackupStore {
    /// A store in `dir` with tools found on `PATH`, the default retention policy and time limit.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            tools: PgTools::new(None),
            retention: RetentionPolicy::default(),
            tool_timeout: DEFAULT_TOOL_TIMEOUT,
        }
    }
}
