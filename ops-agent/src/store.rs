//! The backup store: the folder holding backups, manifests, the lock and the status files,
//! the client tools that write and read it, the retention policy applied to it, and how the
//! tools run (time limit, compression, restore parallelism and memory).
//!
//! Plain settings, built once from the command line (`cmd::args`) or by tests; the domain
//! modules (`backup`, `restore`, `retention`, the daemon's jobs) take it instead of clap types.

use std::path::PathBuf;
use std::time::Duration;

use crate::pgtools::{MemorySize, PgTools};
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
    /// pg_dump's compression level (`--compress`), 0 (none) to 9.
    pub compression_level: u8,
    /// How pg_restore runs.
    pub restore: RestoreTuning,
}

/// The default of [`BackupStore::tool_timeout`]: 6 h, generous for a database of tens of GB
/// (3 million bookings dump in seconds; see bench/README.md).
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

/// The default of [`BackupStore::compression_level`]: 1, measured on the benchmark's 1 GB
/// database (bench/README.md) as the fastest level whose dump stays within 15 % of the size
/// of pg_dump's own default (6): 10 % larger and faster than 6; 0 is slower still, writing
/// (and hashing) 15 times the bytes.
pub const DEFAULT_COMPRESSION_LEVEL: u8 = 1;

/// The levels pg_dump takes for the custom format (zlib).
pub const COMPRESSION_LEVELS: std::ops::RangeInclusive<i64> = 0..=9;

/// How pg_restore runs: a drill's parallelism, and the memory of every restore's index builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreTuning {
    /// pg_restore jobs of a drill: 1 restores in one transaction, more run `--jobs=N` (the
    /// scratch database is dropped whatever happens, so losing the single transaction costs a
    /// drill nothing). A real restore stays in one transaction unless `restore --jobs` says
    /// otherwise, so this never applies to it.
    pub drill_jobs: u32,
    /// `maintenance_work_mem` of pg_restore's sessions (drills and real restores): the sort
    /// memory of each B-tree index build, so each job may take this much at once.
    pub maintenance_work_mem: MemorySize,
}

/// The jobs a drill or a real restore may run: each is a connection and a server backend.
pub const RESTORE_JOBS: std::ops::RangeInclusive<i64> = 1..=32;

/// The default of [`RestoreTuning::maintenance_work_mem`]: the B-tree index builds of
/// 3 million bookings sort their rows in memory with it, where PostgreSQL's 64 MB spills
/// them to disk (`trace_sort`). A small gain next to the GiST exclusion constraint, whose
/// build does not use it (bench/README.md).
pub const DEFAULT_MAINTENANCE_WORK_MEM: MemorySize = MemorySize::from_mib(256);

impl RestoreTuning {
    /// The default of [`RestoreTuning::drill_jobs`]: this machine's cores, at most 4. pg_restore
    /// runs beside the database on the single VM this is made for, so the agent's cores are
    /// the server's; past 4 the schema has too few independent items left to spread.
    pub fn default_drill_jobs() -> u32 {
        std::thread::available_parallelism()
            .map_or(1, |n| u32::try_from(n.get()).unwrap_or(u32::MAX))
            .min(4)
    }
}

impl Default for RestoreTuning {
    fn default() -> Self {
        Self {
            drill_jobs: Self::default_drill_jobs(),
            maintenance_work_mem: DEFAULT_MAINTENANCE_WORK_MEM,
        }
    }
}

impl BackupStore {
    /// A store in `dir` with tools found on `PATH` and every default: retention, time limit,
    /// compression and restore tuning.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            tools: PgTools::new(None),
            retention: RetentionPolicy::default(),
            tool_timeout: DEFAULT_TOOL_TIMEOUT,
            compression_level: DEFAULT_COMPRESSION_LEVEL,
            restore: RestoreTuning::default(),
        }
    }
}
