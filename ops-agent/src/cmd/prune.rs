//! `ops-agent prune` (TODO: implement).

use std::process::ExitCode;

/// Options of `ops-agent prune`.
#[derive(Debug, clap::Args)]
pub struct Opts {}

/// Runs `ops-agent prune`.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let _ = opts;
    anyhow::bail!("not implemented yet")
}
