//! Alert evaluation: the seven alerts' conditions ([`rules`]), the Prometheus-like state machine
//! ([`state`]), booking failure rates from counter deltas ([`window`]) and the Alertmanager
//! webhook payload ([`payload`]).
//!
//! [`AlertEngine::evaluate`] is the one step the daemon runs after each probe: observations in,
//! alerts that fired, resolved or keep firing out. It does no I/O; sending is [`crate::notify`].

pub mod payload;
pub mod rules;
pub mod state;
pub mod window;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub use rules::{AlertName, Observations, Thresholds};
use state::{AlertState, Transition};

/// `"firing"` or `"resolved"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    /// The condition holds and has held for the alert's `for`.
    Firing,
    /// The alert fired and its condition no longer holds.
    Resolved,
}

/// One alert as receivers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertInstance {
    /// Which alert.
    pub name: AlertName,
    /// Firing or resolved.
    pub status: AlertStatus,
    /// When the condition started to hold.
    pub starts_at: DateTime<Utc>,
    /// When it resolved (`None` while firing).
    pub ends_at: Option<DateTime<Utc>>,
    /// `summary`, `description`, `runbook_url`.
    pub annotations: BTreeMap<String, String>,
}

impl AlertInstance {
    /// The alert's labels: `alertname`, `severity` and `service`.
    pub fn labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("alertname".to_owned(), self.name.as_str().to_owned()),
            ("severity".to_owned(), self.name.severity().to_owned()),
            ("service".to_owned(), "bot-api".to_owned()),
        ])
    }
}

/// The result of one evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    /// Alerts that started firing in this evaluation.
    pub fired: Vec<AlertInstance>,
    /// Alerts that resolved in this evaluation.
    pub resolved: Vec<AlertInstance>,
    /// Every alert firing now (including those in `fired`).
    pub firing: Vec<AlertInstance>,
}

/// The alerts' states between evaluations.
#[derive(Debug, Clone)]
pub struct AlertEngine {
    thresholds: Thresholds,
    runbook_base: String,
    states: BTreeMap<AlertName, AlertState>,
}

impl AlertEngine {
    /// A new engine with every alert inactive. `runbook_base` is the URL of
    /// `runbooks/alerts.md`; each alert links to its section there.
    pub fn new(thresholds: Thresholds, runbook_base: &str) -> Self {
        Self {
            thresholds,
            runbook_base: runbook_base.to_owned(),
            states: BTreeMap::new(),
        }
    }

    /// The thresholds in use.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Every firing alert with when its condition started to hold.
    pub fn firing_since(&self) -> Vec<(AlertName, DateTime<Utc>)> {
        self.states
            .iter()
            .filter_map(|(name, s)| match s {
                AlertState::Firing { since } => Some((*name, *since)),
                _ => None,
            })
            .collect()
    }

    /// Marks `firing` as firing since the given times, as a restarted daemon read them back:
    /// the next evaluation resolves those whose condition no longer holds.
    pub fn resume(&mut self, firing: impl IntoIterator<Item = (AlertName, DateTime<Utc>)>) {
        for (name, since) in firing {
            self.states.insert(name, AlertState::Firing { since });
        }
    }

    /// Whether `alert` is firing now.
    pub fn is_firing(&self, alert: AlertName) -> bool {
        matches!(self.states.get(&alert), Some(AlertState::Firing { .. }))
    }

    /// Steps every alert's state machine with the observations taken at `now`.
    pub fn evaluate(&mut self, obs: &Observations, now: DateTime<Utc>) -> Evaluation {
        let mut out = Evaluation::default();
        for name in AlertName::ALL {
            let active = rules::condition(name, obs, &self.thresholds, now);
            let prev = self.states.get(&name).copied().unwrap_or_default();
            let (next, tr) = state::step(prev, active, self.thresholds.for_duration(name), now);
            self.states.insert(name, next);
            let instance = |status, starts_at, ends_at| AlertInstance {
                name,
                status,
                starts_at,
                ends_at,
                annotations: self.annotations(name, obs, now),
            };
            match tr {
                Transition::Fired { since } => {
                    out.fired.push(instance(AlertStatus::Firing, since, None));
                }
                Transition::Resolved { since } => {
                    out.resolved
                        .push(instance(AlertStatus::Resolved, since, Some(now)));
                }
                Transition::None | Transition::Pending | Transition::Cleared => {}
            }
            if let AlertState::Firing { since } = next {
                out.firing.push(instance(AlertStatus::Firing, since, None));
            }
        }
        out
    }

    fn annotations(
        &self,
        name: AlertName,
        obs: &Observations,
        now: DateTime<Utc>,
    ) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("summary".to_owned(), name.summary().to_owned()),
            ("description".to_owned(), self.description(name, obs, now)),
            (
                "runbook_url".to_owned(),
                format!("{}#{}", self.runbook_base, name.runbook_anchor()),
            ),
        ])
    }

    fn description(&self, name: AlertName, obs: &Observations, now: DateTime<Utc>) -> String {
        let th = &self.thresholds;
        let age = |at: Option<DateTime<Utc>>| match at {
            Some(at) => format!("{:.1} h ago", (now - at).num_seconds() as f64 / 3600.0),
            None => "never".to_owned(),
        };
        match name {
            AlertName::BotApiDown => format!(
                "GET /health of the bot-api has failed for at least {} s.",
                th.bot_api_down_for.as_secs()
            ),
            AlertName::BotApiNotReady => format!(
                "GET /ready of the bot-api has failed for at least {} s; the database is probably unreachable.",
                th.bot_api_not_ready_for.as_secs()
            ),
            AlertName::BookingFailureSpike => {
                let b = &obs.bookings;
                let why = match rules::booking_spike(b, th) {
                    Some(rules::Spike::System) => "System failures. ",
                    Some(rules::Spike::Refusals) => "Refusals to several users. ",
                    None => "",
                };
                format!(
                    "{why}{} of {} bookings failed in the last {} s ({:.0} %): {} system failures (database errors) and {} refusals; {} distinct users refused in the bot-api's last 10 min. Fires above {:.0} % with at least {} system failures, or {} refusals to at least {} users.",
                    b.failure,
                    b.attempts(),
                    th.failure_window.as_secs(),
                    b.failure_ratio() * 100.0,
                    b.system_failure,
                    b.refusals(),
                    b.refusing_users,
                    th.failure_ratio * 100.0,
                    th.failure_min_count,
                    th.failure_min_count,
                    rules::MIN_REFUSING_USERS
                )
            }
            AlertName::BackupStale => format!(
                "The last successful backup was {} (threshold {} h).",
                age(obs.backup.and_then(|b| b.last_success_at)),
                th.backup_max_age.as_secs() / 3600
            ),
            AlertName::BackupFailed => format!(
                "The last backup attempt failed; the last successful one was {}.",
                age(obs.backup.and_then(|b| b.last_success_at))
            ),
            AlertName::RestoreVerifyFailed => format!(
                "The last restore drill {}; the last passed drill was {} (threshold {} days).",
                if obs.verify.is_some_and(|v| !v.last_ok) {
                    "failed"
                } else {
                    "passed or never ran"
                },
                age(obs.verify.and_then(|v| v.last_success_at)),
                th.verify_max_age.as_secs() / 86_400
            ),
            AlertName::UpdatesDeadLettered => format!(
                "{} Telegram update(s) failed with a permanent error in the last {} s and were stored in dead_letter_updates (see update_dead_lettered log lines); later updates were handled.",
                obs.bookings.dead_lettered,
                th.failure_window.as_secs()
            ),
        }
    }
}
