//! The Prometheus families of CONTRACT.md "Metrics" for bot-api, registered in one place.
//! Each field's doc comment is its help text. Label values come from the fixed sets below,
//! and every known combination is pre-set to 0 so dashboards see a series from the start.

use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
};

/// The answers each route is expected to give, pre-set to 0: (route, method, statuses).
pub const KNOWN_ANSWERS: &[(&str, &str, &[&str])] = &[
    ("webhook", "POST", &["200", "400", "401", "413", "503"]),
    ("health", "GET", &["200"]),
    ("ready", "GET", &["200", "503"]),
    ("metrics", "GET", &["200"]),
    ("unmatched", "GET", &["404"]),
];
/// Route names used as the `route` label (`unmatched` for anything else).
pub const ROUTES: &[&str] = &["webhook", "health", "ready", "metrics", "unmatched"];
/// `outcome` of `bot_api_bookings_total`.
pub const BOOKING_OUTCOMES: &[&str] = &["success", "failure"];
/// `reason` of `bot_api_booking_failures_total`.
pub const FAILURE_REASONS: &[&str] = &[
    "in_past",
    "too_soon",
    "beyond_horizon",
    "outside_hours",
    "blocked",
    "taken",
    "limit_reached",
    "invalid_input",
    "master_not_found",
    "internal",
];
/// `by` of `bot_api_booking_cancellations_total`.
pub const CANCELLED_BY: &[&str] = &["client", "master", "admin"];
/// `action` of `bot_api_schedule_writes_total`.
pub const SCHEDULE_ACTIONS: &[&str] = &[
    "hours_set",
    "hours_cleared",
    "block_added",
    "block_removed",
    "timezone_set",
    "master_added",
    "master_removed",
];
/// `outcome` of `bot_api_schedule_writes_total`.
pub const SCHEDULE_OUTCOMES: &[&str] = &["success", "failure"];
/// `outcome` of `bot_api_telegram_updates_total`.
pub const UPDATE_OUTCOMES: &[&str] = &["processed", "duplicate", "ignored", "rejected", "error"];
/// `command` of `bot_api_rbac_denials_total` (commands above the client role).
pub const GUARDED_COMMANDS: &[&str] = &[
    "agenda",
    "hours",
    "block",
    "blocks",
    "unblock",
    "timezone",
    "addmaster",
    "removemaster",
    "cancel",
];

/// All bot-api metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// The registry `/metrics` encodes.
    pub registry: Registry,
    /// 1 while the database answers readiness checks, else 0.
    pub healthy: IntGauge,
    /// HTTP requests by matched route name, method and status code.
    pub http_requests: IntCounterVec,
    /// HTTP request duration in seconds by matched route name and method.
    pub http_duration: HistogramVec,
    /// Booking attempts by outcome (success/failure).
    pub bookings: IntCounterVec,
    /// Failed booking attempts by reason.
    pub booking_failures: IntCounterVec,
    /// Cancelled bookings by who cancelled (client/master/admin).
    pub cancellations: IntCounterVec,
    /// Schedule writes by action and outcome.
    pub schedule_writes: IntCounterVec,
    /// Commands refused by role-based access, by command.
    pub rbac_denials: IntCounterVec,
    /// Telegram updates by outcome.
    pub telegram_updates: IntCounterVec,
    /// Messages waiting in the outbox.
    pub outbox_pending: IntGauge,
    /// Log lines dropped because the log writer fell behind.
    pub log_lines_dropped: IntCounter,
}

impl Metrics {
    /// Creates and registers every family, pre-setting known label combinations to 0.
    pub fn new() -> Self {
        let registry = Registry::new();
        let healthy = IntGauge::new(
            "bot_api_healthy",
            "1 while the database answers readiness checks, else 0",
        )
        .expect("valid metric");
        let http_requests = counter_vec(
            "bot_api_http_requests_total",
            "HTTP requests by matched route, method and status",
            &["route", "method", "status"],
        );
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "bot_api_http_request_duration_seconds",
                "HTTP request duration in seconds by matched route and method",
            )
            .buckets(shared::metrics::LATENCY_BUCKETS.to_vec()),
            &["route", "method"],
        )
        .expect("valid metric");
        let bookings = counter_vec(
            "bot_api_bookings_total",
            "Booking attempts by outcome",
            &["outcome"],
        );
        let booking_failures = counter_vec(
            "bot_api_booking_failures_total",
            "Failed booking attempts by reason",
            &["reason"],
        );
        let cancellations = counter_vec(
            "bot_api_booking_cancellations_total",
            "Cancelled bookings by who cancelled",
            &["by"],
        );
        let schedule_writes = counter_vec(
            "bot_api_schedule_writes_total",
            "Schedule writes by action and outcome",
            &["action", "outcome"],
        );
        let rbac_denials = counter_vec(
            "bot_api_rbac_denials_total",
            "Commands refused by role-based access, by command",
            &["command"],
        );
        let telegram_updates = counter_vec(
            "bot_api_telegram_updates_total",
            "Telegram updates by outcome",
            &["outcome"],
        );
        let outbox_pending =
            IntGauge::new("bot_api_outbox_pending", "Messages waiting in the outbox")
                .expect("valid metric");
        let log_lines_dropped = IntCounter::new(
            "bot_api_log_lines_dropped_total",
            "Log lines dropped because the log writer fell behind",
        )
        .expect("valid metric");

        for c in [
            Box::new(healthy.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_requests.clone()),
            Box::new(http_duration.clone()),
            Box::new(bookings.clone()),
            Box::new(booking_failures.clone()),
            Box::new(cancellations.clone()),
            Box::new(schedule_writes.clone()),
            Box::new(rbac_denials.clone()),
            Box::new(telegram_updates.clone()),
            Box::new(outbox_pending.clone()),
            Box::new(log_lines_dropped.clone()),
        ] {
            registry.register(c).expect("metric names are unique");
        }
        for (route, method, statuses) in KNOWN_ANSWERS {
            http_duration.with_label_values(&[*route, *method]);
            for status in *statuses {
                http_requests.with_label_values(&[*route, *method, *status]);
            }
        }
        for o in BOOKING_OUTCOMES {
            bookings.with_label_values(&[*o]);
        }
        for r in FAILURE_REASONS {
            booking_failures.with_label_values(&[*r]);
        }
        for b in CANCELLED_BY {
            cancellations.with_label_values(&[*b]);
        }
        for a in SCHEDULE_ACTIONS {
            for o in SCHEDULE_OUTCOMES {
                schedule_writes.with_label_values(&[*a, *o]);
            }
        }
        for c in GUARDED_COMMANDS {
            rbac_denials.with_label_values(&[*c]);
        }
        for o in UPDATE_OUTCOMES {
            telegram_updates.with_label_values(&[*o]);
        }
        Self {
            registry,
            healthy,
            http_requests,
            http_duration,
            bookings,
            booking_failures,
            cancellations,
            schedule_writes,
            rbac_denials,
            telegram_updates,
            outbox_pending,
            log_lines_dropped,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric")
}
