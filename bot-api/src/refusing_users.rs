//! Who was refused a booking lately: the distinct users refused in the last [`WINDOW`], kept in
//! memory as Telegram id → time of the last refusal, and exported only as their number, the
//! gauge `bot_api_booking_refusing_users`. The BookingFailureSpike alert needs it to tell a wave
//! of refusals (many people cannot book: a schedule or release problem) from one client's typos,
//! and a count is the only way to say "how many users" in Prometheus without a user id ever
//! becoming a label.
//!
//! Bounded: at most [`CAPACITY`] users are held; past it the longest-ago refusal is forgotten,
//! which only matters when far more users than the alert's threshold were refused anyway. A
//! restart forgets everyone, so the count can only be too low for one window after it, never
//! too high: one client can never look like several.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus::IntGauge;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;

/// How far back refusals count: the 10-minute window of the BookingFailureSpike rule
/// (`alerts/bot-api.rules.yml`) and of the agent's default `booking_failure_window_seconds`.
pub const WINDOW: Duration = Duration::from_secs(600);

/// Most users held at once (a few tens of kilobytes).
pub const CAPACITY: usize = 1024;

/// The refused users of the last [`WINDOW`]. Pure: the caller passes the time.
#[derive(Debug, Default)]
pub struct RefusingUsers {
    last_refused: HashMap<i64, Instant>,
}

impl RefusingUsers {
    /// Notes that `user` (a Telegram id) was refused a booking at `now`.
    pub fn record(&mut self, user: i64, now: Instant) {
        if self.last_refused.len() >= CAPACITY && !self.last_refused.contains_key(&user) {
            self.forget_before(now);
            if self.last_refused.len() >= CAPACITY {
                // All fresh: make room by forgetting the refusal longest ago.
                let oldest = self
                    .last_refused
                    .iter()
                    .min_by_key(|(_, at)| **at)
                    .map(|(id, _)| *id);
                if let Some(id) = oldest {
                    self.last_refused.remove(&id);
                }
            }
        }
        self.last_refused.insert(user, now);
    }

    /// The number of distinct users refused in the [`WINDOW`] before `now`.
    pub fn count(&mut self, now: Instant) -> usize {
        self.forget_before(now);
        self.last_refused.len()
    }

    fn forget_before(&mut self, now: Instant) {
        self.last_refused
            .retain(|_, at| now.saturating_duration_since(*at) < WINDOW);
    }
}

/// The `bot_api_booking_refusing_users` family: a gauge whose value is computed from the
/// [`RefusingUsers`] at each scrape, because users age out of the window without any event
/// that could set it. Clones share the users.
#[derive(Debug, Clone)]
pub struct RefusingUsersGauge {
    gauge: IntGauge,
    users: Arc<Mutex<RefusingUsers>>,
}

impl RefusingUsersGauge {
    /// Notes that `user` was refused a booking just now.
    pub fn record(&self, user: i64) {
        self.lock().record(user, Instant::now());
    }

    /// The number of distinct users refused in the last [`WINDOW`].
    pub fn count(&self) -> usize {
        self.lock().count(Instant::now())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RefusingUsers> {
        // The map stays consistent whatever panicked while holding it.
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Collector for RefusingUsersGauge {
    fn desc(&self) -> Vec<&Desc> {
        self.gauge.desc()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.gauge
            .set(i64::try_from(self.count()).unwrap_or(i64::MAX));
        self.gauge.collect()
    }
}

impl shared::metrics::Family for RefusingUsersGauge {
    fn create(name: &str, help: &str, labels: &[&str]) -> prometheus::Result<Self> {
        Ok(Self {
            gauge: <IntGauge as shared::metrics::Family>::create(name, help, labels)?,
            users: Arc::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn one_user_refused_many_times_counts_once() {
        let t0 = Instant::now();
        let mut u = RefusingUsers::default();
        for i in 0..5 {
            u.record(42, t0 + MIN * i);
        }
        assert_eq!(u.count(t0 + MIN * 5), 1);
        u.record(43, t0 + MIN * 5);
        u.record(44, t0 + MIN * 6);
        assert_eq!(u.count(t0 + MIN * 6), 3);
    }

    #[test]
    fn users_age_out_after_the_window_counted_from_their_last_refusal() {
        let t0 = Instant::now();
        let mut u = RefusingUsers::default();
        u.record(1, t0);
        u.record(2, t0 + MIN * 5);
        u.record(1, t0 + MIN * 8);
        assert_eq!(u.count(t0 + MIN * 10), 2);
        // User 2's refusal is exactly 10 minutes old: out.
        assert_eq!(u.count(t0 + MIN * 15), 1);
        assert_eq!(u.count(t0 + MIN * 18), 0);
    }

    #[test]
    fn the_map_never_holds_more_than_its_capacity() {
        let t0 = Instant::now();
        let mut u = RefusingUsers::default();
        let n = i64::try_from(CAPACITY).unwrap() * 3;
        for id in 0..n {
            u.record(id, t0 + Duration::from_millis(id.unsigned_abs()));
        }
        assert_eq!(u.last_refused.len(), CAPACITY);
        // The newest users are the ones kept.
        assert!(u.last_refused.contains_key(&(n - 1)));
        assert!(!u.last_refused.contains_key(&0));
        // Expired users make room before fresh ones are forgotten.
        let later = t0 + WINDOW * 2;
        u.record(-1, later);
        assert_eq!(u.count(later), 1);
    }

    #[test]
    fn the_gauge_is_computed_at_each_scrape() {
        let registry = prometheus::Registry::new();
        let g: RefusingUsersGauge =
            shared::metrics::register(&registry, "t_refusing_users", "Users.", &[]).unwrap();
        g.record(7);
        g.record(7);
        g.record(8);
        let text = String::from_utf8(shared::metrics::encode(&registry)).unwrap();
        assert!(
            text.contains("# TYPE t_refusing_users gauge\nt_refusing_users 2\n"),
            "{text}"
        );
        assert!(
            shared::metrics::register::<RefusingUsersGauge>(&registry, "t", "x", &["label"])
                .is_err()
        );
    }
}
