//! `ops-agent backup` (TODO: implement).

use std::process::ExitCode;

/// Options of `ops-agent backup`.
#[derive(Debug, clap::Args)]
pub struct Opts {}

/// Runs `ops-agent backup`.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let _ = opts;
    anyhow::bail!("not implemented yet")
}
