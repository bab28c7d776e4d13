//! The command line and what runs it: [`Cli`] and its [`Command`]s here, the argument groups
//! several subcommands share in [`args`], one file per subcommand with its `Opts` and an async
//! `run()`. Arguments are mapped into the domain's settings in `cmd/`, once; this module
//! installs logging and the tokio runtime, then dispatches.

pub mod args;
pub mod backup;
pub mod list;
pub mod probe;
pub mod prune;
pub mod restore;
pub mod run;

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use shared::config::{ENV_EXAMPLE, LogArgs, Secret, refuse_placeholder, url_secret_literals};

/// Operations sidecar: backups, restore drills, health probes, alerts.
#[derive(Debug, Parser)]
#[command(name = "ops-agent", version, about, after_help = crate::exit::EXIT_CODES_HELP)]
pub struct Cli {
    /// Log format, folder and level (root options).
    #[command(flatten)]
    pub log: LogArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of docs/interface.md "ops-agent CLI".
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take one backup now (pg_dump -Fc), with its manifest; then apply retention.
    #[command(after_help = crate::exit::EXIT_CODES_HELP)]
    Backup(backup::Opts),
    /// List complete backups, newest first.
    #[command(after_help = crate::exit::EXIT_CODES_HELP)]
    List(list::Opts),
    /// Apply the retention policy.
    #[command(after_help = crate::exit::EXIT_CODES_HELP)]
    Prune(prune::Opts),
    /// Restore a backup: `--verify` into a scratch database, or `--target-url` for real.
    #[command(after_help = crate::exit::EXIT_CODES_HELP)]
    Restore(restore::Opts),
    /// Probe the bot-api once and print the result.
    #[command(after_help = crate::exit::EXIT_CODES_HELP)]
    Probe(probe::Opts),
    /// The daemon: cron schedules, probes, alert evaluation, webhooks, own /metrics.
    #[command(after_help = crate::exit::EXIT_CODES_HELP)]
    Run(run::Opts),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    refuse_placeholders(&cli.command).map_err(crate::exit::bad_config)?;
    let _telemetry = shared::telemetry::init("ops-agent", &cli.log, known_secrets(&cli.command))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Backup(o) => backup::run(o).await,
            Command::List(o) => list::run(o).await,
            Command::Prune(o) => prune::run(o).await,
            Command::Restore(o) => restore::run(o).await,
            Command::Probe(o) => probe::run(o).await,
            Command::Run(o) => run::run(o).await,
        }
    })
}

/// The database URLs a subcommand connects with, by setting. Read from the parsed command
/// line, so a flag counts as much as a variable and an empty variable is unset, as for every
/// other setting.
fn database_urls(command: &Command) -> Vec<(&'static str, &SecretString)> {
    match command {
        Command::Backup(o) => vec![("DATABASE_URL", &o.args.db.database_url)],
        Command::Restore(o) => {
            let mut urls = vec![("DATABASE_URL", &o.args.db.database_url)];
            if let Some(target) = &o.target_url {
                urls.push(("--target-url", target));
            }
            urls
        }
        Command::Run(o) => vec![("DATABASE_URL", &o.db.db.database_url)],
        Command::List(_) | Command::Prune(_) | Command::Probe(_) => Vec::new(),
    }
}

/// Refuses a database password still holding the placeholder of `compose/.env.example` before
/// anything starts: the agent must not run on a password published in the repository. (The
/// daemon's receiver secrets are checked where its TOML file is read.)
fn refuse_placeholders(command: &Command) -> anyhow::Result<()> {
    for (setting, url) in database_urls(command) {
        refuse_placeholder(
            setting,
            Secret::UrlPassword(url.expose_secret()),
            ENV_EXAMPLE,
        )?;
    }
    Ok(())
}

/// Literal secret values to mask in every log line: the passwords of the database URLs.
/// (Secret-named fields and `user:password@` in URLs are masked by rule anyway.)
fn known_secrets(command: &Command) -> Vec<String> {
    database_urls(command)
        .into_iter()
        .flat_map(|(_, url)| url_secret_literals(url.expose_secret()))
        .collect()
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
            "cmd::tests::empty_env_probe_child",
            &fixture,
        );
    }

    fn command(args: &[&str]) -> Command {
        let argv = ["ops-agent"].iter().chain(args);
        let cli: Cli = shared::config::try_parse_from(argv, &|_| None).unwrap();
        cli.command
    }

    #[test]
    fn placeholder_database_passwords_are_refused_by_their_variable() {
        let dir = "--backup-dir=/nonexistent";
        let placeholder = "--database-url=postgres://ops:change-me@postgres:5432/booking";
        for args in [
            vec!["backup", dir, placeholder],
            vec!["restore", "--verify", dir, placeholder],
            vec!["run", dir, placeholder],
        ] {
            let e = refuse_placeholders(&command(&args))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("DATABASE_URL: the password is"),
                "{args:?}: {e}"
            );
        }
        let real = "--database-url=postgres://ops:3f9a1c@postgres:5432/booking";
        let target = "--target-url=postgres://u:change-me-2@h/restored";
        let e = refuse_placeholders(&command(&["restore", dir, real, target]))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--target-url:"), "{e}");
        assert!(refuse_placeholders(&command(&["backup", dir, real])).is_ok());
    }

    #[test]
    fn the_passwords_of_parsed_urls_are_known_secrets() {
        let c = command(&[
            "restore",
            "--backup-dir=/nonexistent",
            "--database-url=postgres://ops:p%40ss@h/db",
            "--target-url=postgres://u:tgt@h/restored",
        ]);
        assert_eq!(known_secrets(&c), vec!["p%40ss", "p@ss", "tgt"]);
        assert!(known_secrets(&command(&["list", "--backup-dir=/x"])).is_empty());
    }
}
