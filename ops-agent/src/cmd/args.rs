//! The argument groups several subcommands flatten. This is the edge: each group maps into
//! the domain's plain settings ([`BackupStore`], [`RetentionPolicy`], [`PgTarget`]) once,
//! here, and nothing outside `cmd/` sees a clap type.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use shared::config::DatabaseArgs;

use crate::pgtools::{PgTarget, PgTools};
use crate::retention::RetentionPolicy;
use crate::store::{BackupStore, DEFAULT_TOOL_TIMEOUT};

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
    /// The backup store these arguments describe.
    pub fn store(&self) -> BackupStore {
        BackupStore {
            dir: self.backup_dir.clone(),
            tools: PgTools::new(self.pg_bin_dir.as_deref()),
            retention: self.retention.policy(),
            tool_timeout: self.tool_timeout.unwrap_or(DEFAULT_TOOL_TIMEOUT),
        }
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
mod tests {
    use super::*;
    use crate::cmd::{Cli, Command};

    #[test]
    fn the_retention_defaults_are_the_policy_defaults() {
        let cli: Cli =
            shared::config::try_parse_from(["ops-agent", "prune", "--backup-dir=/x"], &|_| None)
                .unwrap();
        let Command::Prune(o) = cli.command else {
            panic!("not prune")
        };
        assert_eq!(o.backup.store().retention, RetentionPolicy::default());
    }
}
