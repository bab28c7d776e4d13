//! Booking outcome rates from successive scrapes of `bot_api_bookings_total{outcome}`, and
//! dead-lettered updates from `bot_api_updates_dead_lettered_total`: counter deltas between
//! scrapes summed over a sliding window, with counter resets (a restarted bot-api starts again
//! from zero) handled as Prometheus' `increase()` does.
//!
//! Pure: samples and times are passed in.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Raw counter values of one scrape.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BookingCounters {
    /// `bot_api_bookings_total{outcome="success"}`.
    pub success: f64,
    /// `bot_api_bookings_total{outcome="failure"}`.
    pub failure: f64,
    /// `bot_api_updates_dead_lettered_total`.
    pub dead_lettered: f64,
}

/// Bookings (and dead-lettered updates) that happened in a window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WindowCounts {
    /// Successful bookings in the window.
    pub success: f64,
    /// Failed bookings in the window.
    pub failure: f64,
    /// Updates dead-lettered in the window.
    pub dead_lettered: f64,
}

impl WindowCounts {
    /// Failures over all attempts; 0 when there were none.
    pub fn failure_ratio(&self) -> f64 {
        let total = self.success + self.failure;
        if total > 0.0 {
            self.failure / total
        } else {
            0.0
        }
    }
}

/// Reset-adjusted running totals at each scrape, oldest first.
#[derive(Debug, Clone, Default)]
pub struct BookingWindow {
    last_raw: Option<BookingCounters>,
    points: VecDeque<(DateTime<Utc>, WindowCounts)>,
}

/// The increases between two raw readings. All series come from one process: when any drops,
/// the bot-api restarted and counted from zero, so everything it shows now is new (this also
/// catches a restart after which one counter happens to be higher than before).
fn deltas(prev: BookingCounters, now: BookingCounters) -> WindowCounts {
    if now.success < prev.success
        || now.failure < prev.failure
        || now.dead_lettered < prev.dead_lettered
    {
        WindowCounts {
            success: now.success,
            failure: now.failure,
            dead_lettered: now.dead_lettered,
        }
    } else {
        WindowCounts {
            success: now.success - prev.success,
            failure: now.failure - prev.failure,
            dead_lettered: now.dead_lettered - prev.dead_lettered,
        }
    }
}

impl BookingWindow {
    /// Records one scrape taken at `at`; drops points no longer needed for a `window` look-back.
    pub fn observe(&mut self, at: DateTime<Utc>, raw: BookingCounters, window: Duration) {
        let mut total = self.points.back().map(|p| p.1).unwrap_or_default();
        if let Some(prev) = self.last_raw {
            let d = deltas(prev, raw);
            total.success += d.success;
            total.failure += d.failure;
            total.dead_lettered += d.dead_lettered;
        }
        self.last_raw = Some(raw);
        self.points.push_back((at, total));
        let start = window_start(at, window);
        // Keep one point at or before the window start as the baseline.
        while self.points.len() > 1 && self.points.get(1).is_some_and(|p| p.0 <= start) {
            self.points.pop_front();
        }
    }

    /// Bookings counted over the `window` ending at `now`. The baseline is the newest scrape at or
    /// before the window start (or the oldest one kept while the agent has not yet watched for a
    /// whole window).
    pub fn counts(&self, now: DateTime<Utc>, window: Duration) -> WindowCounts {
        let start = window_start(now, window);
        let Some(last) = self.points.back() else {
            return WindowCounts::default();
        };
        let base = self
            .points
            .iter()
            .rev()
            .find(|p| p.0 <= start)
            .or(self.points.front())
            .map(|p| p.1)
            .unwrap_or_default();
        WindowCounts {
            success: last.1.success - base.success,
            failure: last.1.failure - base.failure,
            dead_lettered: last.1.dead_lettered - base.dead_lettered,
        }
    }
}

fn window_start(now: DateTime<Utc>, window: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(window)
        .ok()
        .and_then(|w| now.checked_sub_signed(w))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }
    const TEN_MIN: Duration = Duration::from_secs(600);

    fn c(success: f64, failure: f64) -> BookingCounters {
        BookingCounters {
            success,
            failure,
            dead_lettered: 0.0,
        }
    }

    fn wc(success: f64, failure: f64) -> WindowCounts {
        WindowCounts {
            success,
            failure,
            dead_lettered: 0.0,
        }
    }

    #[test]
    fn dead_lettered_updates_are_counted_over_the_window_and_across_a_restart() {
        let d = |n: f64| BookingCounters {
            dead_lettered: n,
            ..BookingCounters::default()
        };
        let mut w = BookingWindow::default();
        w.observe(t(0), d(2.0), TEN_MIN);
        w.observe(t(60), d(2.0), TEN_MIN);
        assert_eq!(w.counts(t(60), TEN_MIN).dead_lettered, 0.0);
        w.observe(t(120), d(3.0), TEN_MIN);
        assert_eq!(w.counts(t(120), TEN_MIN).dead_lettered, 1.0);
        w.observe(t(180), d(1.0), TEN_MIN); // bot-api restarted, then dead-lettered one
        assert_eq!(w.counts(t(180), TEN_MIN).dead_lettered, 2.0);
        w.observe(t(900), d(1.0), TEN_MIN);
        assert_eq!(w.counts(t(900), TEN_MIN).dead_lettered, 0.0);
    }

    #[test]
    fn counts_are_deltas_since_the_window_start() {
        let mut w = BookingWindow::default();
        w.observe(t(0), c(100.0, 50.0), TEN_MIN);
        w.observe(t(300), c(110.0, 52.0), TEN_MIN);
        w.observe(t(600), c(120.0, 60.0), TEN_MIN);
        assert_eq!(w.counts(t(600), TEN_MIN), wc(20.0, 10.0));
        w.observe(t(900), c(120.0, 61.0), TEN_MIN);
        // Baseline is now the scrape at 300.
        assert_eq!(w.counts(t(900), TEN_MIN), wc(10.0, 9.0));
    }

    #[test]
    fn a_counter_reset_counts_the_new_values_as_increase() {
        let mut w = BookingWindow::default();
        w.observe(t(0), c(100.0, 40.0), TEN_MIN);
        w.observe(t(60), c(3.0, 6.0), TEN_MIN); // bot-api restarted
        assert_eq!(w.counts(t(60), TEN_MIN), wc(3.0, 6.0));
        w.observe(t(120), c(4.0, 8.0), TEN_MIN);
        assert_eq!(w.counts(t(120), TEN_MIN), wc(4.0, 8.0));
    }

    #[test]
    fn no_scrapes_means_no_bookings() {
        let w = BookingWindow::default();
        assert_eq!(w.counts(t(0), TEN_MIN).failure_ratio(), 0.0);
    }

    #[test]
    fn old_points_are_dropped() {
        let mut w = BookingWindow::default();
        for i in 0..1000 {
            w.observe(t(i * 30), c(i as f64, 0.0), TEN_MIN);
        }
        assert!(w.points.len() <= 22, "{}", w.points.len());
    }

    proptest::proptest! {
        /// Scrapes every minute with random increments and restarts: the window's counts are the
        /// true increments of the scrapes inside the last ten minutes.
        #[test]
        fn counts_equal_the_true_increments_despite_resets(
            steps in proptest::collection::vec((0u32..20, 0u32..20, proptest::bool::ANY), 1..60)
        ) {
            let mut w = BookingWindow::default();
            let (mut raw_s, mut raw_f) = (0.0, 0.0);
            let mut incs = Vec::new();
            for (i, (ds, df, restart)) in steps.iter().enumerate() {
                let (ds, df) = (f64::from(*ds), f64::from(*df));
                // A restart is only recognisable when a counter drops (as for Prometheus).
                if *restart && (ds < raw_s || df < raw_f) {
                    raw_s = ds;
                    raw_f = df;
                } else {
                    raw_s += ds;
                    raw_f += df;
                }
                incs.push((ds, df));
                w.observe(t(i as i64 * 60), c(raw_s, raw_f), TEN_MIN);
            }
            let n = incs.len() - 1;
            let from = n.saturating_sub(9).max(1);
            let want_s: f64 = incs.iter().skip(from).map(|x| x.0).sum();
            let want_f: f64 = incs.iter().skip(from).map(|x| x.1).sum();
            let got = w.counts(t(n as i64 * 60), TEN_MIN);
            proptest::prop_assert_eq!(got, wc(want_s, want_f));
        }
    }
}
