//! `ops-agent probe`: probes the bot-api once (`/health`, `/ready`, `/metrics`), prints the
//! result, exits 0 only when every target answered.

use std::process::ExitCode;
use std::time::Duration;

/// Options of `ops-agent probe`.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// The bot-api probed.
    #[command(flatten)]
    pub bot_api: super::args::BotApiArgs,

    /// Bound on each request, in seconds.
    #[arg(
        long = "timeout-seconds",
        env = "OPS_PROBE_TIMEOUT_SECONDS",
        default_value_t = 5.0
    )]
    pub timeout_seconds: f64,
}

/// Runs `ops-agent probe`.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let bot_api_url = opts.bot_api.url()?;
    let timeout = Duration::try_from_secs_f64(opts.timeout_seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            crate::exit::bad_config(anyhow::anyhow!(
                "--timeout-seconds: {} is not a positive number of seconds",
                opts.timeout_seconds
            ))
        })?;
    let report = crate::probe::probe(&reqwest::Client::new(), &bot_api_url, timeout).await;
    println!("{report}");
    Ok(if report.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
