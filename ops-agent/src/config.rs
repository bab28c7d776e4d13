//! The ops-agent command line. Each subcommand's options live beside its code in [`crate::cmd`].

use clap::{Parser, Subcommand};
use shared::config::LogArgs;

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
