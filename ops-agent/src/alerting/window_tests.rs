//! Tests of [`super`]: deltas, resets and the window's baseline.

use super::*;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap()
}
const TEN_MIN: Duration = Duration::from_secs(600);

fn c(success: f64, failure: f64) -> BookingCounters {
    BookingCounters {
        success,
        failure,
        ..BookingCounters::default()
    }
}

fn wc(success: f64, failure: f64) -> WindowCounts {
    WindowCounts {
        success,
        failure,
        ..WindowCounts::default()
    }
}

#[test]
fn system_failures_are_a_part_of_the_failures_and_a_drop_of_theirs_is_a_restart() {
    let raw = |failure: f64, system_failure: f64| BookingCounters {
        success: 10.0,
        failure,
        system_failure,
        ..BookingCounters::default()
    };
    let mut w = BookingWindow::default();
    w.observe(t(0), raw(10.0, 4.0), TEN_MIN);
    w.observe(t(60), raw(16.0, 9.0), TEN_MIN);
    let got = w.counts(t(60), TEN_MIN);
    assert_eq!(
        (got.failure, got.system_failure, got.refusals()),
        (6.0, 5.0, 1.0)
    );
    // Only the system counter dropped: the bot-api restarted all the same.
    w.observe(t(120), raw(17.0, 2.0), TEN_MIN);
    let got = w.counts(t(120), TEN_MIN);
    assert_eq!((got.failure, got.system_failure), (6.0 + 17.0, 5.0 + 2.0));
}

#[test]
fn refusing_users_are_those_of_the_last_scrape_not_a_sum() {
    let users = |n: f64| BookingCounters {
        refusing_users: n,
        ..BookingCounters::default()
    };
    let mut w = BookingWindow::default();
    assert_eq!(w.counts(t(0), TEN_MIN).refusing_users, 0.0);
    w.observe(t(0), users(2.0), TEN_MIN);
    w.observe(t(60), users(3.0), TEN_MIN);
    assert_eq!(w.counts(t(60), TEN_MIN).refusing_users, 3.0);
    // A restarted bot-api forgot who was refused; so does the window.
    w.observe(t(120), users(1.0), TEN_MIN);
    assert_eq!(w.counts(t(120), TEN_MIN).refusing_users, 1.0);
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
