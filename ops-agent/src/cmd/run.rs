//! `ops-agent run`: the daemon (see [`crate::daemon`]). Connection settings come from flags and
//! environment as for every subcommand; schedules, thresholds and receivers from the TOML file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use shared::http_server::{Limits, MAX_CONNECTIONS_RANGE, SECONDS_RANGE};

use super::args::{BotApiArgs, DbBackupArgs, DumpArgs, RestoreTuningArgs};
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

    /// Limits on the clients of /metrics and /health, and the shutdown grace.
    #[command(flatten)]
    pub http: HttpLimitsArgs,

    /// The backup job's pg_dump compression.
    #[command(flatten)]
    pub dump: DumpArgs,

    /// How the verify job's pg_restore runs.
    #[command(flatten)]
    pub restore: RestoreTuningArgs,
}

/// Limits on the agent's HTTP clients (enforced by [`shared::http_server`]). Each one, when
/// given, wins over the same key of the TOML file's `[http]` table.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct HttpLimitsArgs {
    /// Seconds a connection may take to send a complete request head (and an idle keep-alive
    /// connection may wait for its next one); then it is closed. 1 to 3600
    /// [default: 10, or `http.header_timeout_seconds` of the TOML file].
    #[arg(long, env = "OPS_HTTP_HEADER_TIMEOUT_SECONDS",
          value_parser = clap::value_parser!(u64).range(SECONDS_RANGE))]
    pub http_header_timeout_seconds: Option<u64>,

    /// Seconds a request may take from its head to the answer; past it the answer is 503.
    /// 1 to 3600 [default: 30, or `http.request_timeout_seconds` of the TOML file].
    #[arg(long, env = "OPS_HTTP_REQUEST_TIMEOUT_SECONDS",
          value_parser = clap::value_parser!(u64).range(SECONDS_RANGE))]
    pub http_request_timeout_seconds: Option<u64>,

    /// Most HTTP connections open at once; further clients wait in the accept backlog.
    /// 1 to 100000 [default: 512, or `http.max_connections` of the TOML file].
    #[arg(long, env = "OPS_HTTP_MAX_CONNECTIONS",
          value_parser = clap::value_parser!(u64).range(MAX_CONNECTIONS_RANGE))]
    pub http_max_connections: Option<u64>,

    /// Seconds shutdown waits for HTTP requests in flight before it drops them and the
    /// process exits. 1 to 3600 [default: 10, or `http.shutdown_grace_seconds` of the TOML file].
    #[arg(long, env = "OPS_SHUTDOWN_GRACE_SECONDS",
          value_parser = clap::value_parser!(u64).range(SECONDS_RANGE))]
    pub shutdown_grace_seconds: Option<u64>,
}

impl HttpLimitsArgs {
    /// `file` (the TOML file's limits, or the defaults) with each limit given here instead.
    pub fn over(&self, file: Limits) -> Limits {
        let secs = |flag: Option<u64>, file| flag.map_or(file, Duration::from_secs);
        Limits {
            header_timeout: secs(self.http_header_timeout_seconds, file.header_timeout),
            request_timeout: secs(self.http_request_timeout_seconds, file.request_timeout),
            max_connections: self.http_max_connections.map_or(file.max_connections, |n| {
                usize::try_from(n).unwrap_or(usize::MAX)
            }),
            shutdown_grace: secs(self.shutdown_grace_seconds, file.shutdown_grace),
        }
    }
}

/// Runs `ops-agent run` until SIGTERM/SIGINT.
pub async fn run(opts: Opts) -> anyhow::Result<ExitCode> {
    let mut config = match &opts.config {
        Some(path) => DaemonConfig::load(path),
        None => DaemonConfig::parse(""),
    }
    .map_err(|e| crate::exit::bad_config(e.into()))?;
    // A flag or variable wins over the file, as everywhere.
    config.http = opts.http.over(config.http);
    let bot_api_url = opts.bot_api.url()?;
    let database = opts.db.database()?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("binding --listen (OPS_AGENT_LISTEN) {}", opts.listen))
        .map_err(crate::exit::bad_config)?;
    // A flag or variable wins over the file, as everywhere.
    let mut store = opts.db.backup.store(&config.tools);
    opts.dump.apply(&mut store, &config.tools);
    opts.restore.apply(&mut store, &config.tools);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::{Cli, Command};

    fn run_opts(args: &[&str]) -> Result<Opts, clap::Error> {
        let argv = [
            "ops-agent",
            "run",
            "--backup-dir=/x",
            "--database-url=postgres://u:p@h/d",
        ];
        let cli: Cli = shared::config::try_parse_from(argv.iter().chain(args), &|_| None)?;
        match cli.command {
            Command::Run(o) => Ok(o),
            _ => panic!("not run"),
        }
    }

    #[test]
    fn a_flag_wins_over_the_file_and_an_absent_one_keeps_it() {
        let file = Limits {
            header_timeout: Duration::from_secs(7),
            request_timeout: Duration::from_secs(8),
            max_connections: 9,
            shutdown_grace: Duration::from_secs(6),
        };
        assert_eq!(run_opts(&[]).unwrap().http.over(file), file);
        let o = run_opts(&["--http-max-connections=4", "--shutdown-grace-seconds=1"]).unwrap();
        assert_eq!(
            o.http.over(file),
            Limits {
                max_connections: 4,
                shutdown_grace: Duration::from_secs(1),
                ..file
            }
        );
    }

    #[test]
    fn zero_and_out_of_range_values_are_usage_errors_naming_the_flag() {
        for arg in [
            "--http-header-timeout-seconds=0",
            "--http-request-timeout-seconds=3601",
            "--http-max-connections=0",
            "--shutdown-grace-seconds=0",
        ] {
            let e = run_opts(&[arg]).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            let flag = arg.split('=').next().unwrap_or_default();
            assert!(e.to_string().contains(flag), "{e}");
        }
    }
}
