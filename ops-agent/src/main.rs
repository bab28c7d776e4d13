//! `ops-agent` entry point: parse the configuration, run one subcommand, map its result to an
//! exit code (see [`ops_agent::exit`]: 0 success, 1 a problem found, 2 usage or configuration,
//! 3 could not run, 75 busy).

use std::process::ExitCode;

fn main() -> ExitCode {
    // Not `Cli::parse()`: an empty variable must mean "unset", as compose/.env.example says.
    let cli: ops_agent::cmd::Cli = shared::config::parse();
    match ops_agent::cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            let outcome = ops_agent::exit::classify(&err);
            if outcome == ops_agent::exit::Outcome::Busy {
                eprintln!("ops-agent: busy: {err:#}");
            } else {
                eprintln!("ops-agent: error: {err:#}");
            }
            outcome.into()
        }
    }
}
