//! One file per subcommand; each has its `Opts` (clap args) and `run()`.

pub mod backup;
pub mod list;
pub mod probe;
pub mod prune;
pub mod restore;
pub mod run;

use std::process::ExitCode;

use crate::config::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let _ = &cli.log;
    match cli.command {
        Command::Backup(o) => backup::run(o),
        Command::List(o) => list::run(o),
        Command::Prune(o) => prune::run(o),
        Command::Restore(o) => restore::run(o),
        Command::Probe(o) => probe::run(o),
        Command::Run(o) => run::run(o),
    }
}
