//! The argument groups several subcommands flatten. This is the edge: each group maps into
//! the domain's plain settings ([`BackupStore`], [`RetentionPolicy`], [`PgTarget`]) once,
//! here, and nothing outside `cmd/` sees a clap type.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use shared::config::DatabaseArgs;

use crate::daemon::config::ToolSettings;
use crate::pgtools::{MemorySize, PgTarget, PgTools};
use crate::retention::RetentionPolicy;
use crate::store::{
    BackupStore, COMPRESSION_LEVELS, DEFAULT_COMPRESSION_LEVEL, DEFAULT_TOOL_TIMEOUT, RESTORE_JOBS,
    RestoreTuning,
};

/// Where backups live and how they are made; shared by `backup`, `list`, `prune`, `restore`
/// and `run`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Folder holding backups, their manifests, the lock and the status files.
    #[arg(long = "backup-dir", env = "OPS_BACKUP_DIR")]
    pub backup_dir: PathBuf,

    /// Folder holding pg_dump/pg_restore; otherwise they are found on PATH.
    #[arg(long = "pg-bin-dir", env = "PG_BIN_DIR")]
    pub pg_bin_dir: Option<PathBuf>,

    /// The retention policy applied to this folder.
    #[command(flatten)]
    pub retention: RetentionArgs,

    /// Seconds one pg_dump or pg_restore may run before it is killed and the run fails
    /// [default: 21600 (6 h), or `tool_timeout_seconds` of the run command's TOML file].
    #[arg(
        long = "tool-timeout-seconds",
        env = "OPS_TOOL_TIMEOUT_SECONDS",
        value_parser = positive_seconds
    )]
    pub tool_timeout: Option<Duration>,
}

/// A positive number of seconds.
fn positive_seconds(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
        .ok_or_else(|| format!("{s:?} is not a positive number of seconds"))
}

impl BackupArgs {
    /// The backup store these arguments describe; `file` (the run command's TOML file, or
    /// nothing) gives the time limit when no flag or variable does. Compression and restore
    /// tuning are the defaults until [`DumpArgs::apply`] and [`RestoreTuningArgs::apply`].
    pub fn store(&self, file: &ToolSettings) -> BackupStore {
        BackupStore {
            tools: PgTools::new(self.pg_bin_dir.as_deref()),
            retention: self.retention.policy(),
            tool_timeout: self
                .tool_timeout
                .or(file.timeout)
                .unwrap_or(DEFAULT_TOOL_TIMEOUT),
            ..BackupStore::new(self.backup_dir.clone())
        }
    }
}

/// How pg_dump compresses; `backup` and `run` flatten it.
#[derive(Debug, Clone, Copy, Args)]
pub struct DumpArgs {
    /// pg_dump's compression level, 0 (none) to 9 (smallest, slowest)
    /// [default: 1, or `backup_compression_level` of the run command's TOML file].
    #[arg(
        long = "compress-level",
        env = "OPS_BACKUP_COMPRESSION_LEVEL",
        value_name = "0-9",
        value_parser = clap::value_parser!(u8).range(COMPRESSION_LEVELS)
    )]
    pub compress_level: Option<u8>,
}

impl DumpArgs {
    /// Sets `store`'s compression level: the flag or variable, else `file`'s, else the default.
    pub fn apply(&self, store: &mut BackupStore, file: &ToolSettings) {
        store.compression_level = self
            .compress_level
            .or(file.compression_level)
            .unwrap_or(DEFAULT_COMPRESSION_LEVEL);
    }
}

/// How pg_restore runs; `restore` and `run` flatten it.
#[derive(Debug, Clone, Copy, Args)]
pub struct RestoreTuningArgs {
    /// Parallel pg_restore jobs of a restore drill, 1 to 32; 1 restores in one transaction.
    /// Drills only: a real restore stays in one transaction unless `restore --jobs` is given
    /// [default: the machine's cores, at most 4, or `restore_jobs` of the run command's TOML file].
    #[arg(
        long = "restore-jobs",
        env = "OPS_RESTORE_JOBS",
        value_parser = clap::value_parser!(u32).range(RESTORE_JOBS)
    )]
    pub restore_jobs: Option<u32>,

    /// `maintenance_work_mem` of pg_restore's sessions, drills and real restores (e.g. 256MB,
    /// 1GB; each job may use this much at once)
    /// [default: 256MB, or `restore_maintenance_work_mem` of the run command's TOML file].
    #[arg(
        long = "restore-maintenance-work-mem",
        env = "OPS_RESTORE_MAINTENANCE_WORK_MEM",
        value_name = "SIZE",
        value_parser = clap::value_parser!(MemorySize)
    )]
    pub restore_maintenance_work_mem: Option<MemorySize>,
}

impl RestoreTuningArgs {
    /// Sets `store`'s restore tuning: each flag or variable, else `file`'s key, else the default.
    pub fn apply(&self, store: &mut BackupStore, file: &ToolSettings) {
        let default = RestoreTuning::default();
        store.restore = RestoreTuning {
            drill_jobs: self
                .restore_jobs
                .or(file.restore_jobs)
                .unwrap_or(default.drill_jobs),
            maintenance_work_mem: self
                .restore_maintenance_work_mem
                .or(file.restore_maintenance_work_mem)
                .unwrap_or(default.maintenance_work_mem),
        };
    }
}

/// Retention policy: keep the newest N, plus the newest per day/ISO week/month.
#[derive(Debug, Clone, Copy, Args)]
pub struct RetentionArgs {
    /// Keep this many newest backups.
    #[arg(long = "keep-last", env = "OPS_KEEP_LAST", default_value_t = RetentionPolicy::DEFAULT.keep_last)]
    pub keep_last: u32,
    /// Keep the newest backup of each of this many days.
    #[arg(long = "keep-daily", env = "OPS_KEEP_DAILY", default_value_t = RetentionPolicy::DEFAULT.keep_daily)]
    pub keep_daily: u32,
    /// Keep the newest backup of each of this many ISO weeks.
    #[arg(long = "keep-weekly", env = "OPS_KEEP_WEEKLY", default_value_t = RetentionPolicy::DEFAULT.keep_weekly)]
    pub keep_weekly: u32,
    /// Keep the newest backup of each of this many months.
    #[arg(long = "keep-monthly", env = "OPS_KEEP_MONTHLY", default_value_t = RetentionPolicy::DEFAULT.keep_monthly)]
    pub keep_monthly: u32,
}

impl RetentionArgs {
    /// The policy these arguments describe.
    pub fn policy(&self) -> RetentionPolicy {
        RetentionPolicy {
            keep_last: self.keep_last,
            keep_daily: self.keep_daily,
            keep_weekly: self.keep_weekly,
            keep_monthly: self.keep_monthly,
        }
    }
}

/// Where the bot-api answers; `probe` and `run` flatten it.
#[derive(Debug, Clone, Args)]
pub struct BotApiArgs {
    /// Base URL of the bot-api to probe and scrape.
    #[arg(
        long = "bot-api-url",
        env = "BOT_API_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub bot_api_url: String,
}

impl BotApiArgs {
    /// The base URL, refused unless it is http(s), naming the setting.
    pub fn url(&self) -> anyhow::Result<String> {
        match reqwest::Url::parse(&self.bot_api_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(self.bot_api_url.clone()),
            _ => Err(crate::exit::bad_config(anyhow::anyhow!(
                "--bot-api-url (BOT_API_URL): {:?} is not an http(s) URL",
                self.bot_api_url
            ))),
        }
    }
}

/// A database connection plus [`BackupArgs`]: what taking or verifying a backup needs.
#[derive(Debug, Clone, Args)]
pub struct DbBackupArgs {
    /// The database backed up (`DATABASE_URL`).
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// The backup folder, tools and retention.
    #[command(flatten)]
    pub backup: BackupArgs,
}

impl DbBackupArgs {
    /// `DATABASE_URL` parsed, once; the error (a configuration error, exit 2) names the setting
    /// and never quotes the URL.
    pub fn database(&self) -> anyhow::Result<PgTarget> {
        PgTarget::from_url(&self.db.database_url, "DATABASE_URL").map_err(crate::exit::bad_config)
    }
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
