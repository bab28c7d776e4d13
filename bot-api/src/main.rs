//! `bot-api` entry point: parse the configuration, then hand over to [`bot_api::cli::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    // Not `Cli::parse()`: an empty variable must mean "unset", as compose/.env.example says.
    let cli: bot_api::config::Cli = shared::config::parse();
    match bot_api::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // The whole chain; messages are built to never contain a secret.
            eprintln!("bot-api: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
