//! The Prometheus families of docs/interface.md "Metrics" for bot-api, registered in one
//! place. Each family's name and help text are written once, in [`Families`] (the help text is
//! also the field's doc). Label values come from the fixed sets below, and every known
//! combination is pre-set to 0 so dashboards see a series from the start.

use std::ops::Deref;

use prometheus::{HistogramVec, IntCounter, IntCounterVec, IntGauge, Registry};

use crate::refusing_users::RefusingUsersGauge;

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
/// `reason` of `bot_api_booking_system_failures_total`: booking attempts that failed because of
/// the system, not the request. Kept apart from [`FAILURE_REASONS`] so alerts can tell trouble
/// from typos by the series' name, without a list of which reasons are which.
pub const SYSTEM_FAILURE_REASONS: &[&str] = &["database"];
/// `by` of `bot_api_booking_cancellations_total`.
pub const CANCELLED_BY: &[&str] = &["client", "master", "admin"];
/// Tables the bot's retention prune deletes from, in prune order (the `table` label of
/// `bot_api_retention_deleted_rows_total`).
pub const RETENTION_TABLES: &[&str] = &["processed_updates", "outbox"];
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
pub const UPDATE_OUTCOMES: &[&str] = &[
    "processed",
    "duplicate",
    "ignored",
    "rejected",
    "error",
    "dead_lettered",
    "throttled",
];
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

shared::metric_families! {
    /// Every family bot-api exports.
    pub struct Families {
        pub healthy: IntGauge = "bot_api_healthy",
            "1 while the database answers readiness checks, else 0";
        pub http_requests: IntCounterVec = "bot_api_http_requests_total",
            "HTTP requests by matched route, method and status", ["route", "method", "status"];
        pub http_duration: HistogramVec = "bot_api_http_request_duration_seconds",
            "HTTP request duration in seconds by matched route and method", ["route", "method"];
        pub bookings: IntCounterVec = "bot_api_bookings_total",
            "Booking attempts by outcome", ["outcome"];
        pub booking_failures: IntCounterVec = "bot_api_booking_failures_total",
            "Failed booking attempts by reason", ["reason"];
        pub booking_system_failures: IntCounterVec = "bot_api_booking_system_failures_total",
            "Booking attempts that failed because of the system (also counted as failures with reason internal), by reason",
            ["reason"];
        pub refusing_users: RefusingUsersGauge = "bot_api_booking_refusing_users",
            "Distinct users refused a booking in the last 10 minutes (counted in memory since the start)";
        pub cancellations: IntCounterVec = "bot_api_booking_cancellations_total",
            "Cancelled bookings by who cancelled", ["by"];
        pub schedule_writes: IntCounterVec = "bot_api_schedule_writes_total",
            "Schedule writes by action and outcome", ["action", "outcome"];
        pub rbac_denials: IntCounterVec = "bot_api_rbac_denials_total",
            "Commands refused by role-based access, by command", ["command"];
        pub telegram_updates: IntCounterVec = "bot_api_telegram_updates_total",
            "Telegram updates by outcome", ["outcome"];
        pub updates_dead_lettered: IntCounter = "bot_api_updates_dead_lettered_total",
            "Updates that failed with a permanent error and were stored in dead_letter_updates";
        pub retention_deleted_rows: IntCounterVec = "bot_api_retention_deleted_rows_total",
            "Rows deleted by the scheduled retention prune, by table", ["table"];
        pub outbox_pending: IntGauge = "bot_api_outbox_pending",
            "Messages waiting in the outbox";
        pub log_lines_dropped: IntCounter = "bot_api_log_lines_dropped_total",
            "Log lines dropped because the log writer fell behind";
    }
}

/// All bot-api metrics: the registry `/metrics` encodes and its [`Families`] (reached through
/// `Deref`, so `metrics.bookings` reads as before).
#[derive(Debug, Clone)]
pub struct Metrics {
    /// The registry `/metrics` encodes.
    pub registry: Registry,
    families: Families,
}

impl Deref for Metrics {
    type Target = Families;

    fn deref(&self) -> &Families {
        &self.families
    }
}

impl Metrics {
    /// Creates and registers every family, pre-setting known label combinations to 0.
    pub fn new() -> Self {
        let registry = Registry::new();
        let families = Families::register(&registry).expect("metric names are valid and unique");
        let Families {
            http_requests,
            http_duration,
            bookings,
            booking_failures,
            booking_system_failures,
            cancellations,
            schedule_writes,
            rbac_denials,
            telegram_updates,
            retention_deleted_rows,
            ..
        } = &families;
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
        for r in SYSTEM_FAILURE_REASONS {
            booking_system_failures.with_label_values(&[*r]);
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
        for t in RETENTION_TABLES {
            retention_deleted_rows.with_label_values(&[*t]);
        }
        Self { registry, families }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
