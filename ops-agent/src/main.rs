//! `ops-agent` entry point: parse the configuration, run one subcommand, map its result to an
//! exit code (0 success, 1 failure, 2 usage error — clap's own).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ops_agent::config::Cli::parse();
    match ops_agent::cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("ops-agent: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
