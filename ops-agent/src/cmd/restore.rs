//! `ops-agent restore` (TODO: implement).

use std::process::ExitCode;

/// Options of `ops-agent restore`.
#[derive(Debug, clap::Args)]
pub struct Opts {}

/// Runs `ops-agent restore`.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let _ = opts;
    anyhow::bail!("not implemented yet")
}
