//! The seven alerts of docs/interface.md: their names, severities, texts and runbook anchors, and the
//! pure conditions that decide from one round of observations whether each one holds.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::window::WindowCounts;

/// The alerts, named as in docs/interface.md and `alerts/*.yml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertName {
    /// The bot-api's `/health` probe fails.
    BotApiDown,
    /// The bot-api's `/ready` probe fails.
    BotApiNotReady,
    /// Too large a share of bookings fails because of the system, or is refused to several users.
    BookingFailureSpike,
    /// No successful backup for too long.
    BackupStale,
    /// The last backup attempt failed.
    BackupFailed,
    /// The last restore drill failed, or none passed for too long.
    RestoreVerifyFailed,
    /// The bot-api set updates aside after a permanent error (`dead_letter_updates`).
    UpdatesDeadLettered,
}

impl AlertName {
    /// Every alert, in a fixed order.
    pub const ALL: [AlertName; 7] = [
        AlertName::BotApiDown,
        AlertName::BotApiNotReady,
        AlertName::BookingFailureSpike,
        AlertName::BackupStale,
        AlertName::BackupFailed,
        AlertName::RestoreVerifyFailed,
        AlertName::UpdatesDeadLettered,
    ];

    /// The `alertname` label.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertName::BotApiDown => "BotApiDown",
            AlertName::BotApiNotReady => "BotApiNotReady",
            AlertName::BookingFailureSpike => "BookingFailureSpike",
            AlertName::BackupStale => "BackupStale",
            AlertName::BackupFailed => "BackupFailed",
            AlertName::RestoreVerifyFailed => "RestoreVerifyFailed",
            AlertName::UpdatesDeadLettered => "UpdatesDeadLettered",
        }
    }

    /// The `severity` label: `critical` pages someone, `warning` waits for working hours.
    pub fn severity(self) -> &'static str {
        match self {
            AlertName::BotApiDown | AlertName::BotApiNotReady => "critical",
            _ => "warning",
        }
    }

    /// The `summary` annotation: one line for a phone screen.
    pub fn summary(self) -> &'static str {
        match self {
            AlertName::BotApiDown => "bot-api does not answer its health check",
            AlertName::BotApiNotReady => "bot-api is up but not ready (database unreachable)",
            AlertName::BookingFailureSpike => "Many bookings are failing",
            AlertName::BackupStale => "No successful database backup recently",
            AlertName::BackupFailed => "The last database backup failed",
            AlertName::RestoreVerifyFailed => "The restore drill failed or has not run",
            AlertName::UpdatesDeadLettered => "Telegram updates failed and were set aside",
        }
    }

    /// The runbook section's anchor in `runbooks/alerts.md` (GitHub's heading slug).
    pub fn runbook_anchor(self) -> String {
        self.as_str().to_lowercase()
    }
}

/// Refusals make BookingFailureSpike hold only when at least this many distinct users were
/// refused (`bot_api_booking_refusing_users`), so one client's typos never do; as in
/// `alerts/bot-api.rules.yml`.
pub const MIN_REFUSING_USERS: f64 = 3.0;

/// Alert thresholds (the `[alerts]` table of the config file).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// How long `/health` must fail before `BotApiDown` fires.
    pub bot_api_down_for: Duration,
    /// How long `/ready` must fail before `BotApiNotReady` fires.
    pub bot_api_not_ready_for: Duration,
    /// How long the spike must last before `BookingFailureSpike` fires.
    pub failure_spike_for: Duration,
    /// The look-back window of the failure ratio.
    pub failure_window: Duration,
    /// Share of booking attempts above which system failures, or refusals, make the spike
    /// condition hold (0.2 = 20 %).
    pub failure_ratio: f64,
    /// Minimum number of system failures, or of refusals, in the window; below it, low traffic
    /// never alerts.
    pub failure_min_count: f64,
    /// Age of the last successful backup that makes `BackupStale` fire.
    pub backup_max_age: Duration,
    /// Age of the last passed drill that makes `RestoreVerifyFailed` fire.
    pub verify_max_age: Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            bot_api_down_for: Duration::from_secs(120),
            bot_api_not_ready_for: Duration::from_secs(120),
            failure_spike_for: Duration::ZERO,
            failure_window: Duration::from_secs(600),
            failure_ratio: 0.2,
            failure_min_count: 5.0,
            backup_max_age: Duration::from_secs(26 * 3600),
            verify_max_age: Duration::from_secs(8 * 86_400),
        }
    }
}

impl Thresholds {
    /// The `for` duration of `alert`; status-file alerts fire on the first evaluation.
    pub fn for_duration(&self, alert: AlertName) -> Duration {
        match alert {
            AlertName::BotApiDown => self.bot_api_down_for,
            AlertName::BotApiNotReady => self.bot_api_not_ready_for,
            AlertName::BookingFailureSpike => self.failure_spike_for,
            _ => Duration::ZERO,
        }
    }
}

/// Why BookingFailureSpike holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spike {
    /// System failures (database errors) above the ratio, with volume.
    System,
    /// Refusals above the ratio, with volume, to at least [`MIN_REFUSING_USERS`] users.
    Refusals,
}

/// Whether the bookings of the window make BookingFailureSpike hold, and why. System failures
/// are trouble whoever sent them; refusals only when several users get them.
pub fn booking_spike(b: &WindowCounts, th: &Thresholds) -> Option<Spike> {
    let high = |n: f64| n >= th.failure_min_count && b.share(n) > th.failure_ratio;
    if high(b.system_failure) {
        Some(Spike::System)
    } else if high(b.refusals()) && b.refusing_users >= MIN_REFUSING_USERS {
        Some(Spike::Refusals)
    } else {
        None
    }
}

/// What the status file of a backup or drill says, reduced to what the alerts need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Whether the last attempt succeeded.
    pub last_ok: bool,
    /// When a run last succeeded, if ever.
    pub last_success_at: Option<DateTime<Utc>>,
}

/// One round of observations the alerts are evaluated on.
#[derive(Debug, Clone, PartialEq)]
pub struct Observations {
    /// `/health` answered 200.
    pub health_ok: bool,
    /// `/ready` answered 200.
    pub ready_ok: bool,
    /// Bookings (and dead-lettered updates) in the failure window.
    pub bookings: WindowCounts,
    /// The backup status file, when one exists.
    pub backup: Option<RunSummary>,
    /// The drill status file, when one exists.
    pub verify: Option<RunSummary>,
    /// When the agent started watching: the reference age when nothing succeeded yet, so a new
    /// installation is not paged before it had the chance to take its first backup.
    pub watching_since: DateTime<Utc>,
}

fn older_than(at: DateTime<Utc>, now: DateTime<Utc>, max: Duration) -> bool {
    chrono::Duration::from_std(max).is_ok_and(|m| now.signed_duration_since(at) > m)
}

/// Whether `alert`'s condition holds at `now`.
pub fn condition(
    alert: AlertName,
    obs: &Observations,
    th: &Thresholds,
    now: DateTime<Utc>,
) -> bool {
    let stale = |run: Option<RunSummary>, max| {
        let reference = run
            .and_then(|r| r.last_success_at)
            .unwrap_or(obs.watching_since);
        older_than(reference, now, max)
    };
    match alert {
        AlertName::BotApiDown => !obs.health_ok,
        AlertName::BotApiNotReady => !obs.ready_ok,
        AlertName::BookingFailureSpike => booking_spike(&obs.bookings, th).is_some(),
        AlertName::BackupStale => stale(obs.backup, th.backup_max_age),
        AlertName::BackupFailed => obs.backup.is_some_and(|b| !b.last_ok),
        AlertName::RestoreVerifyFailed => {
            obs.verify.is_some_and(|v| !v.last_ok) || stale(obs.verify, th.verify_max_age)
        }
        // Each one is a bug or bad data that a person must look at: one is enough.
        AlertName::UpdatesDeadLettered => obs.bookings.dead_lettered > 0.0,
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
