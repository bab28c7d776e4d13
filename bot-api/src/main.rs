//! `bot-api` entry point: parse the configuration, then hand over to [`bot_api::cli::run`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = bot_api::config::Cli::parse();
    match bot_api::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // The whole chain; messages are built to never contain a secret.
            eprintln!("bot-api: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
