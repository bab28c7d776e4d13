//! The `[http]` table of the daemon's configuration: limits on the clients of the agent's own
//! `/metrics` and `/health` (a request head's and a whole request's time limit, the connection
//! cap) and the shutdown grace. `ops-agent run`'s flags and variables win over it.

use serde::Deserialize;
use shared::http_server::{Limits, MAX_CONNECTIONS_RANGE, SECONDS_RANGE, check_range};

use super::values::{ConfigError, invalid};

/// `[http]` as written; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    header_timeout_seconds: Option<u64>,
    request_timeout_seconds: Option<u64>,
    max_connections: Option<u64>,
    shutdown_grace_seconds: Option<u64>,
}

/// The limits `[http]` describes, the built-in default for each key left out; a value out of
/// range is refused with the key's dotted path.
pub(super) fn limits(raw: RawHttp) -> Result<Limits, ConfigError> {
    let value = |key: &str, v: Option<u64>, default: u64, range| {
        v.map_or(Ok(default), |v| {
            check_range(v, range).map_err(|reason| invalid(format!("http.{key}"), reason))
        })
    };
    Ok(Limits::from_settings(
        value(
            "header_timeout_seconds",
            raw.header_timeout_seconds,
            Limits::DEFAULT_HEADER_TIMEOUT_SECONDS,
            &SECONDS_RANGE,
        )?,
        value(
            "request_timeout_seconds",
            raw.request_timeout_seconds,
            Limits::DEFAULT_REQUEST_TIMEOUT_SECONDS,
            &SECONDS_RANGE,
        )?,
        value(
            "max_connections",
            raw.max_connections,
            Limits::DEFAULT_MAX_CONNECTIONS,
            &MAX_CONNECTIONS_RANGE,
        )?,
        value(
            "shutdown_grace_seconds",
            raw.shutdown_grace_seconds,
            Limits::DEFAULT_SHUTDOWN_GRACE_SECONDS,
            &SECONDS_RANGE,
        )?,
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::daemon::DaemonConfig;
    use shared::http_server::Limits;

    #[test]
    fn without_the_table_the_defaults_apply() {
        assert_eq!(DaemonConfig::parse("").unwrap().http, Limits::default());
    }

    #[test]
    fn the_table_sets_each_limit() {
        let c = DaemonConfig::parse(
            "[http]\nheader_timeout_seconds = 1\nrequest_timeout_seconds = 2\n\
             max_connections = 4\nshutdown_grace_seconds = 3\n",
        )
        .unwrap();
        let s = Duration::from_secs;
        assert_eq!(
            c.http,
            Limits {
                header_timeout: s(1),
                request_timeout: s(2),
                max_connections: 4,
                shutdown_grace: s(3),
            }
        );
    }

    #[test]
    fn zero_and_out_of_range_values_name_their_key() {
        for (text, key) in [
            ("header_timeout_seconds = 0", "http.header_timeout_seconds"),
            (
                "request_timeout_seconds = 3601",
                "http.request_timeout_seconds",
            ),
            ("max_connections = 0", "http.max_connections"),
            ("shutdown_grace_seconds = 0", "http.shutdown_grace_seconds"),
        ] {
            let e = DaemonConfig::parse(&format!("[http]\n{text}\n"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
        let e = DaemonConfig::parse("[http]\nmax_connection = 4\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_connection"), "{e}");
    }
}
