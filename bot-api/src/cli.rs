//! TODO(bot-edge): `serve`, `chat`, `migrate`.

use std::process::ExitCode;

use crate::config::Cli;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let _ = cli;
    anyhow::bail!("not implemented yet")
}
