//! `ops-agent run` (TODO: implement).

use std::process::ExitCode;

/// Options of `ops-agent run`.
#[derive(Debug, clap::Args)]
pub struct Opts {}

/// Runs `ops-agent run`.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let _ = opts;
    anyhow::bail!("not implemented yet")
}
