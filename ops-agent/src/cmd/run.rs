//! `ops-agent run`: the daemon (see [`crate::daemon`]). Connection settings come from flags and
//! environment as for every subcommand; schedules, thresholds and receivers from the TOML file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::args::{BotApiArgs, DbBackupArgs};
use crate::daemon::{self, DaemonConfig, DaemonSetup};

/// Options of `ops-agent run`.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// TOML file with job schedules, alert thresholds and receivers (see ops-agent.example.toml);
    /// without it every default applies and no receiver is configured.
    #[arg(long = "config", env = "OPS_AGENT_CONFIG")]
    pub config: Option<PathBuf>,

    /// The bot-api probed and scraped.
    #[command(flatten)]
    pub bot_api: BotApiArgs,

    /// Listen address of the agent's own /metrics and /health.
    #[arg(
        long = "listen",
        env = "OPS_AGENT_LISTEN",
        default_value = "127.0.0.1:9187"
    )]
    pub listen: SocketAddr,

    /// The database backed up and the backup folder.
    #[command(flatten)]
    pub db: DbBackupArgs,
}

/// Runs `ops-agent run` until SIGTERM/SIGINT.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let config = match &opts.config {
        Some(path) => DaemonConfig::load(path),
        None => DaemonConfig::parse(""),
    }
    .map_err(|e| crate::exit::bad_config(e.into()))?;
    let bot_api_url = opts.bot_api.url()?;
    let database = opts.db.database()?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("binding --listen (OPS_AGENT_LISTEN) {}", opts.listen))
        .map_err(crate::exit::bad_config)?;
    let mut store = opts.db.backup.store();
    // A flag or variable wins over the file, as everywhere.
    if opts.db.backup.tool_timeout.is_none()
        && let Some(limit) = config.tool_timeout
    {
        store.tool_timeout = limit;
    }
    let setup = DaemonSetup {
        config,
        database,
        store,
        bot_api_url,
        listener,
    };
    daemon::run(setup, shared::shutdown::signal()).await?;
    Ok(ExitCode::SUCCESS)
}
