//! One file per subcommand; each has its `Opts` (clap args) and an async `run()`.
//! This module installs logging and the tokio runtime once, then dispatches.

pub mod backup;
pub mod list;
pub mod probe;
pub mod prune;
pub mod restore;
pub mod run;

use std::process::ExitCode;

use anyhow::Context;

use crate::config::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let _telemetry = shared::telemetry::init("ops-agent", &cli.log, known_secrets())?;
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

/// Literal secret values to mask in every log line: the database password, when one is set.
/// (Secret-named fields and `user:password@` in URLs are masked by rule anyway.)
fn known_secrets() -> Vec<String> {
    std::env::var("DATABASE_URL")
        .map(|u| shared::config::url_secret_literals(&u))
        .unwrap_or_default()
}
