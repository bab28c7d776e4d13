//! `ops-agent probe` (TODO: implement).

use std::process::ExitCode;

/// Options of `ops-agent probe`.
#[derive(Debug, clap::Args)]
pub struct Opts {}

/// Runs `ops-agent probe`.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let _ = opts;
    anyhow::bail!("not implemented yet")
}
