//! `ops-agent list` (TODO: implement).

use std::process::ExitCode;

/// Options of `ops-agent list`.
#[derive(Debug, clap::Args)]
pub struct Opts {}

/// Runs `ops-agent list`.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let _ = opts;
    anyhow::bail!("not implemented yet")
}
