//! `ops-agent run`: the daemon (see [`crate::daemon`]). Connection settings come from flags and
//! environment as for every subcommand; schedules, thresholds and receivers from the TOML file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::DbBackupArgs;
use crate::daemon::{self, DaemonConfig, DaemonSetup};

/// Options of `ops-agent run`.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// TOML file with job schedules, alert thresholds and receivers (see ops-agent.example.toml);
    /// without it every default applies and no receiver is configured.
    #[arg(long = "config", env = "OPS_AGENT_CONFIG")]
    pub config: Option<PathBuf>,

    /// Base URL of the bot-api to probe and scrape.
    #[arg(
        long = "bot-api-url",
        env = "BOT_API_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub bot_api_url: String,

    /// Listen address of the agent's own /metrics and /health.
    #[arg(
        long = "listen",
        env = "OPS_AGENT_LISTEN",
        default_value = "127.0.0.1:9187"
    )]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub db: DbBackupArgs,
}

/// Runs `ops-agent run` until SIGTERM/SIGINT.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let config = match &opts.config {
        Some(path) => DaemonConfig::load(path)?,
        None => DaemonConfig::parse("")?,
    };
    check_url("--bot-api-url (BOT_API_URL)", &opts.bot_api_url)?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("binding --listen (OPS_AGENT_LISTEN) {}", opts.listen))?;
    let setup = DaemonSetup {
        config,
        args: opts.db,
        bot_api_url: opts.bot_api_url,
        listener,
    };
    daemon::run(setup, shared::shutdown::signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Refuses anything but an http(s) URL, naming the setting.
pub(crate) fn check_url(setting: &str, url: &str) -> anyhow::Result<()> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        _ => anyhow::bail!("{setting}: {url:?} is not an http(s) URL"),
    }
}
