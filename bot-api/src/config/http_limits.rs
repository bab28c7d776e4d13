//! `bot-api serve`'s limits on HTTP clients (issue 13): how long a request head and a whole
//! request may take, how many connections may be open, and how long shutdown waits for
//! requests in flight. Enforced by [`shared::http_server`].

use clap::Args;
use shared::http_server::{Limits, MAX_CONNECTIONS_RANGE, SECONDS_RANGE};

/// Limits on HTTP clients.
#[derive(Debug, Clone, Copy, Args)]
pub struct HttpLimitsArgs {
    /// Seconds a connection may take to send a complete request head (and an idle keep-alive
    /// connection may wait for its next one); then it is closed. 1 to 3600.
    #[arg(long, env = "BOT_HTTP_HEADER_TIMEOUT_SECONDS",
          default_value_t = Limits::DEFAULT_HEADER_TIMEOUT_SECONDS,
          value_parser = clap::value_parser!(u64).range(SECONDS_RANGE))]
    pub http_header_timeout_seconds: u64,

    /// Seconds a request may take from its head to the answer, reading its body included;
    /// past it the answer is 503 (Telegram retries the update). 1 to 3600.
    #[arg(long, env = "BOT_HTTP_REQUEST_TIMEOUT_SECONDS",
          default_value_t = Limits::DEFAULT_REQUEST_TIMEOUT_SECONDS,
          value_parser = clap::value_parser!(u64).range(SECONDS_RANGE))]
    pub http_request_timeout_seconds: u64,

    /// Most HTTP connections open at once; further clients wait in the accept backlog.
    /// 1 to 100000.
    #[arg(long, env = "BOT_HTTP_MAX_CONNECTIONS",
          default_value_t = Limits::DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u64).range(MAX_CONNECTIONS_RANGE))]
    pub http_max_connections: u64,

    /// Seconds shutdown waits for requests in flight (webhooks) to finish before it drops
    /// them and the process exits. 1 to 3600.
    #[arg(long, env = "BOT_SHUTDOWN_GRACE_SECONDS",
          default_value_t = Limits::DEFAULT_SHUTDOWN_GRACE_SECONDS,
          value_parser = clap::value_parser!(u64).range(SECONDS_RANGE))]
    pub shutdown_grace_seconds: u64,
}

impl HttpLimitsArgs {
    /// The limits these settings describe.
    pub fn limits(&self) -> Limits {
        Limits::from_settings(
            self.http_header_timeout_seconds,
            self.http_request_timeout_seconds,
            self.http_max_connections,
            self.shutdown_grace_seconds,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::{Cli, Command};

    fn serve(args: &[&str]) -> Result<Cli, clap::Error> {
        let argv = ["bot-api", "serve", "--database-url=postgres://u:pw@h/db"];
        shared::config::try_parse_from(argv.iter().chain(args), &|_| None)
    }

    #[test]
    fn the_defaults_are_the_documented_ones_and_flags_set_them() {
        let Ok(Cli {
            command: Command::Serve(a),
            ..
        }) = serve(&[])
        else {
            panic!("serve does not parse")
        };
        assert_eq!(a.http.limits(), shared::http_server::Limits::default());
        let Ok(Cli {
            command: Command::Serve(a),
            ..
        }) = serve(&[
            "--http-header-timeout-seconds=1",
            "--http-request-timeout-seconds=2",
            "--http-max-connections=4",
            "--shutdown-grace-seconds=3",
        ])
        else {
            panic!("serve does not parse")
        };
        let l = a.http.limits();
        assert_eq!(
            (
                l.header_timeout,
                l.request_timeout,
                l.max_connections,
                l.shutdown_grace
            ),
            (
                Duration::from_secs(1),
                Duration::from_secs(2),
                4,
                Duration::from_secs(3)
            )
        );
    }

    #[test]
    fn zero_and_out_of_range_values_are_refused_naming_the_setting() {
        for (flag, bad) in [
            ("--http-header-timeout-seconds", "0"),
            ("--http-request-timeout-seconds", "3601"),
            ("--http-max-connections", "0"),
            ("--shutdown-grace-seconds", "-1"),
        ] {
            let e = serve(&[&format!("{flag}={bad}")]).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains(flag), "{e}");
        }
    }
}
