//! The ops-agent command line. Each subcommand's options live beside its code in [`crate::cmd`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use shared::config::{DatabaseArgs, LogArgs};

use crate::cmd;

/// Operations sidecar: backups, restore drills, health probes, alerts.
#[derive(Debug, Parser)]
#[command(name = "ops-agent", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub log: LogArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of CONTRACT.md "ops-agent CLI".
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take one backup now (pg_dump -Fc), with its manifest; then apply retention.
    Backup(cmd::backup::Opts),
    /// List complete backups, newest first.
    List(cmd::list::Opts),
    /// Apply the retention policy.
    Prune(cmd::prune::Opts),
    /// Restore a backup: `--verify` into a scratch database, or `--target-url` for real.
    Restore(cmd::restore::Opts),
    /// Probe the bot-api once and print the result.
    Probe(cmd::probe::Opts),
    /// The daemon: cron schedules, probes, alert evaluation, webhooks, own /metrics.
    Run(cmd::run::Opts),
}

/// Where backups live and how they are made; shared by `backup`, `list`, `prune`, `restore`
/// and the daemon's jobs.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Folder holding backups, their manifests, the lock and the status files.
    #[arg(long = "backup-dir", env = "OPS_BACKUP_DIR")]
    pub backup_dir: PathBuf,

    /// Folder holding pg_dump/pg_restore; otherwise they are found on PATH.
    #[arg(long = "pg-bin-dir", env = "PG_BIN_DIR")]
    pub pg_bin_dir: Option<PathBuf>,

    #[command(flatten)]
    pub retention: RetentionArgs,
}

/// Retention policy: keep the newest N, plus the newest per day/ISO week/month.
#[derive(Debug, Clone, Copy, Args)]
pub struct RetentionArgs {
    /// Keep this many newest backups.
    #[arg(long = "keep-last", env = "OPS_KEEP_LAST", default_value_t = 7)]
    pub keep_last: u32,
    /// Keep the newest backup of each of this many days.
    #[arg(long = "keep-daily", env = "OPS_KEEP_DAILY", default_value_t = 7)]
    pub keep_daily: u32,
    /// Keep the newest backup of each of this many ISO weeks.
    #[arg(long = "keep-weekly", env = "OPS_KEEP_WEEKLY", default_value_t = 4)]
    pub keep_weekly: u32,
    /// Keep the newest backup of each of this many months.
    #[arg(long = "keep-monthly", env = "OPS_KEEP_MONTHLY", default_value_t = 6)]
    pub keep_monthly: u32,
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
    /// Refuses anything but an http(s) URL, naming the setting.
    pub fn check(&self) -> anyhow::Result<()> {
        match reqwest::Url::parse(&self.bot_api_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
            _ => anyhow::bail!(
                "--bot-api-url (BOT_API_URL): {:?} is not an http(s) URL",
                self.bot_api_url
            ),
        }
    }
}

/// A database connection plus [`BackupArgs`]: what taking or verifying a backup needs.
#[derive(Debug, Clone, Args)]
pub struct DbBackupArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub backup: BackupArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    /// Run by the test below in a child process; a no-op on its own.
    #[test]
    fn empty_env_probe_child() {
        shared::testing::settings::probe_child::<Cli>();
    }

    #[test]
    fn every_setting_set_empty_parses_as_if_unset() {
        let fixture = shared::testing::settings::Fixture {
            required_env: vec![
                ("DATABASE_URL", "postgres://u:pw@127.0.0.1:1/db"),
                ("OPS_BACKUP_DIR", "/nonexistent/backups"),
            ],
            args: vec![("restore", vec!["--verify"])],
        };
        shared::testing::settings::assert_empty_means_unset::<Cli>(
            "config::tests::empty_env_probe_child",
            &fixture,
        );
    }
}
