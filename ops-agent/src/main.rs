//! `ops-agent` entry point: parse the configuration, run one subcommand, map its result to an
//! exit code (0 success, 1 failure, 2 usage error — clap's own).

use std::process::ExitCode;

fn main() -> ExitCode {
    // Not `Cli::parse()`: an empty variable must mean "unset", as compose/.env.example says.
    let cli: ops_agent::cmd::Cli = shared::config::parse();
    match ops_agent::cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("ops-agent: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
