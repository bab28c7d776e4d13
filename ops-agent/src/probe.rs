//! Probing the bot-api: `GET /health` and `GET /ready` with a timeout, and a scrape of its
//! `/metrics` parsed with the `prometheus-parse` crate, from which the booking outcome counters
//! are read for the failure-spike alert.
//!
//! Used by `ops-agent probe` and by the daemon's probe job alike.

use std::fmt;
use std::time::{Duration, Instant};

use crate::alerting::window::BookingCounters;

/// What is probed; the `target` label of `ops_agent_probe_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `GET /health` (liveness).
    Health,
    /// `GET /ready` (database reachable).
    Ready,
    /// `GET /metrics` (scrape and parse).
    Metrics,
}

impl Target {
    /// Every target, in label order.
    pub const ALL: [Target; 3] = [Target::Health, Target::Ready, Target::Metrics];

    /// The `target` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Health => "health",
            Target::Ready => "ready",
            Target::Metrics => "metrics",
        }
    }
}

/// The outcome of probing one target.
#[derive(Debug, Clone)]
pub struct TargetResult {
    /// Which target.
    pub target: Target,
    /// 200 answered within the timeout (and, for metrics, parsed).
    pub success: bool,
    /// Time until the answer or the failure.
    pub duration: Duration,
    /// `HTTP 200`, `HTTP 503`, or the error without its URL.
    pub detail: String,
}

/// One probe round.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    /// Health, ready and metrics, in that order.
    pub results: Vec<TargetResult>,
    /// The booking counters and refused users of `/metrics`, when the scrape succeeded.
    pub bookings: Option<BookingCounters>,
}

impl ProbeReport {
    /// Whether `target` succeeded.
    pub fn ok(&self, target: Target) -> bool {
        self.results.iter().any(|r| r.target == target && r.success)
    }

    /// Whether every target succeeded.
    pub fn healthy(&self) -> bool {
        Target::ALL.iter().all(|t| self.ok(*t))
    }
}

impl fmt::Display for ProbeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            writeln!(
                f,
                "{:<8} {:<4} {:>8.1} ms  {}",
                r.target.as_str(),
                if r.success { "ok" } else { "FAIL" },
                r.duration.as_secs_f64() * 1000.0,
                r.detail
            )?;
        }
        if let Some(b) = self.bookings {
            writeln!(f, "bookings success={} failure={}", b.success, b.failure)?;
        }
        write!(
            f,
            "{}",
            if self.healthy() {
                "healthy"
            } else {
                "UNHEALTHY"
            }
        )
    }
}

/// Probes the bot-api at `base_url` once; every request is bounded by `timeout`.
pub async fn probe(client: &reqwest::Client, base_url: &str, timeout: Duration) -> ProbeReport {
    let base = base_url.trim_end_matches('/');
    let (health, ready, (metrics, bookings)) = tokio::join!(
        get_ok(client, Target::Health, format!("{base}/health"), timeout),
        get_ok(client, Target::Ready, format!("{base}/ready"), timeout),
        scrape(client, format!("{base}/metrics"), timeout),
    );
    ProbeReport {
        results: vec![health, ready, metrics],
        bookings,
    }
}

async fn fetch(
    client: &reqwest::Client,
    url: String,
    timeout: Duration,
) -> Result<(u16, String), String> {
    let resp = client
        .get(url)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| describe(e.without_url()))?;
    let status = resp.status().as_u16();
    let body = resp.text().await.map_err(|e| describe(e.without_url()))?;
    Ok((status, body))
}

fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection refused or unreachable".to_owned()
    } else {
        shared::error::error_chain(&e)
    }
}

async fn get_ok(
    client: &reqwest::Client,
    target: Target,
    url: String,
    timeout: Duration,
) -> TargetResult {
    let started = Instant::now();
    let (success, detail) = match fetch(client, url, timeout).await {
        Ok((status, _)) => (status == 200, format!("HTTP {status}")),
        Err(e) => (false, e),
    };
    TargetResult {
        target,
        success,
        duration: started.elapsed(),
        detail,
    }
}

async fn scrape(
    client: &reqwest::Client,
    url: String,
    timeout: Duration,
) -> (TargetResult, Option<BookingCounters>) {
    let started = Instant::now();
    let (success, detail, bookings) = match fetch(client, url, timeout).await {
        Ok((200, body)) => match parse_bookings(&body) {
            Ok(b) => (true, "HTTP 200".to_owned(), Some(b)),
            Err(e) => (false, format!("unparsable metrics: {e}"), None),
        },
        Ok((status, _)) => (false, format!("HTTP {status}"), None),
        Err(e) => (false, e, None),
    };
    let result = TargetResult {
        target: Target::Metrics,
        success,
        duration: started.elapsed(),
        detail,
    };
    (result, bookings)
}

/// Sums `bot_api_bookings_total` by `outcome`, `bot_api_booking_system_failures_total`,
/// `bot_api_updates_dead_lettered_total` and the gauge `bot_api_booking_refusing_users` from a
/// text-format scrape; absent series count 0.
pub fn parse_bookings(body: &str) -> std::io::Result<BookingCounters> {
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned())))?;
    let mut counters = BookingCounters::default();
    for s in &scrape.samples {
        let value = match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => continue,
        };
        match (s.metric.as_str(), s.labels.get("outcome")) {
            ("bot_api_bookings_total", Some("success")) => counters.success += value,
            ("bot_api_bookings_total", Some("failure")) => counters.failure += value,
            ("bot_api_updates_dead_lettered_total", _) => counters.dead_lettered += value,
            ("bot_api_booking_system_failures_total", _) => counters.system_failure += value,
            ("bot_api_booking_refusing_users", _) => counters.refusing_users += value,
            _ => {}
        }
    }
    Ok(counters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booking_counters_are_read_from_a_text_scrape() {
        let body = "# HELP bot_api_bookings_total Bookings by outcome.\n\
                    # TYPE bot_api_bookings_total counter\n\
                    bot_api_bookings_total{outcome=\"success\"} 12\n\
                    bot_api_bookings_total{outcome=\"failure\"} 3\n\
                    # TYPE bot_api_updates_dead_lettered_total counter\n\
                    bot_api_updates_dead_lettered_total 2\n\
                    # TYPE bot_api_booking_system_failures_total counter\n\
                    bot_api_booking_system_failures_total{reason=\"database\"} 1\n\
                    # TYPE bot_api_booking_refusing_users gauge\n\
                    bot_api_booking_refusing_users 4\n\
                    # TYPE bot_api_healthy gauge\nbot_api_healthy 1\n";
        let b = parse_bookings(body).unwrap();
        assert_eq!(
            b,
            BookingCounters {
                success: 12.0,
                failure: 3.0,
                system_failure: 1.0,
                dead_lettered: 2.0,
                refusing_users: 4.0,
            }
        );
        assert_eq!(parse_bookings("").unwrap(), BookingCounters::default());
    }
}
