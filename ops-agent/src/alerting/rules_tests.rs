use super::*;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap()
}

fn healthy() -> Observations {
    Observations {
        health_ok: true,
        ready_ok: true,
        bookings: WindowCounts::default(),
        backup: Some(RunSummary {
            last_ok: true,
            last_success_at: Some(t(0)),
        }),
        verify: Some(RunSummary {
            last_ok: true,
            last_success_at: Some(t(0)),
        }),
        watching_since: t(0),
    }
}

fn holding(obs: &Observations, now: i64) -> Vec<AlertName> {
    let th = Thresholds::default();
    AlertName::ALL
        .into_iter()
        .filter(|a| condition(*a, obs, &th, t(now)))
        .collect()
}

#[test]
fn a_healthy_system_holds_no_condition() {
    assert!(holding(&healthy(), 3600).is_empty());
}

#[test]
fn failing_probes_hold_down_and_not_ready() {
    let mut o = healthy();
    o.health_ok = false;
    o.ready_ok = false;
    assert_eq!(
        holding(&o, 60),
        [AlertName::BotApiDown, AlertName::BotApiNotReady]
    );
}

/// `success` successes, `system` system failures and `refused` refusals, with `users` distinct
/// refused users.
fn bookings(success: f64, system: f64, refused: f64, users: f64) -> WindowCounts {
    WindowCounts {
        success,
        failure: system + refused,
        system_failure: system,
        refusing_users: users,
        ..WindowCounts::default()
    }
}

fn spike(b: WindowCounts) -> Option<Spike> {
    booking_spike(&b, &Thresholds::default())
}

#[test]
fn system_failures_spike_with_the_ratio_and_the_minimum_volume_whoever_sent_them() {
    let mut o = healthy();
    o.bookings = bookings(10.0, 5.0, 0.0, 0.0); // 33 %, 5 failures, nobody refused
    assert_eq!(holding(&o, 60), [AlertName::BookingFailureSpike]);
    assert_eq!(spike(o.bookings), Some(Spike::System));
    // 66 %, only 4 failures.
    assert_eq!(spike(bookings(2.0, 4.0, 0.0, 0.0)), None);
    // Exactly 20 %: not above.
    assert_eq!(spike(bookings(20.0, 5.0, 0.0, 0.0)), None);
    // Refusals do not make up for missing system failures: 4 + 4 is no system spike, and the
    // refusals came from one user.
    assert_eq!(spike(bookings(2.0, 4.0, 4.0, 1.0)), None);
}

#[test]
fn one_clients_many_refusals_never_spike() {
    let mut o = healthy();
    // Five malformed or refused /book from one client: 100 % of the attempts.
    o.bookings = bookings(0.0, 0.0, 5.0, 1.0);
    assert!(holding(&o, 60).is_empty());
    // Two users are still not a wave, whatever the volume.
    o.bookings = bookings(0.0, 0.0, 50.0, 2.0);
    assert!(holding(&o, 60).is_empty());
}

#[test]
fn refusals_spread_across_several_users_spike_with_the_ratio_and_the_minimum_volume() {
    let mut o = healthy();
    o.bookings = bookings(10.0, 0.0, 5.0, 3.0);
    assert_eq!(holding(&o, 60), [AlertName::BookingFailureSpike]);
    assert_eq!(spike(o.bookings), Some(Spike::Refusals));
    // Several users but low volume, or a low share: no.
    assert_eq!(spike(bookings(1.0, 0.0, 4.0, 4.0)), None);
    assert_eq!(spike(bookings(100.0, 0.0, 10.0, 10.0)), None);
    // System failures are not refusals: 5 failures with 1 system failure are 4 refusals.
    assert_eq!(spike(bookings(5.0, 1.0, 4.0, 3.0)), None);
}

#[test]
fn backup_goes_stale_after_26_hours_and_a_failed_attempt_alerts_at_once() {
    let mut o = healthy();
    assert!(holding(&o, 26 * 3600).is_empty());
    assert_eq!(holding(&o, 26 * 3600 + 1), [AlertName::BackupStale]);
    o.backup = Some(RunSummary {
        last_ok: false,
        last_success_at: Some(t(0)),
    });
    assert_eq!(holding(&o, 60), [AlertName::BackupFailed]);
}

#[test]
fn no_backup_ever_is_stale_only_26_hours_after_the_agent_started() {
    let mut o = healthy();
    o.backup = None;
    o.watching_since = t(1000);
    assert!(holding(&o, 1000 + 26 * 3600).is_empty());
    assert_eq!(holding(&o, 1001 + 26 * 3600), [AlertName::BackupStale]);
}

#[test]
fn restore_drill_alerts_when_failed_or_eight_days_old() {
    let mut o = healthy();
    o.verify = Some(RunSummary {
        last_ok: false,
        last_success_at: Some(t(0)),
    });
    assert_eq!(holding(&o, 60), [AlertName::RestoreVerifyFailed]);
    o = healthy();
    o.backup = Some(RunSummary {
        last_ok: true,
        last_success_at: Some(t(8 * 86_400)),
    });
    assert!(holding(&o, 8 * 86_400).is_empty());
    assert_eq!(
        holding(&o, 8 * 86_400 + 1),
        [AlertName::RestoreVerifyFailed]
    );
}

#[test]
fn one_dead_lettered_update_in_the_window_is_enough() {
    let mut o = healthy();
    o.bookings.dead_lettered = 1.0;
    assert_eq!(holding(&o, 60), [AlertName::UpdatesDeadLettered]);
    o.bookings.dead_lettered = 0.0;
    assert!(holding(&o, 60).is_empty());
}

#[test]
fn names_and_anchors_match_the_contract() {
    let names: Vec<_> = AlertName::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "BotApiDown",
            "BotApiNotReady",
            "BookingFailureSpike",
            "BackupStale",
            "BackupFailed",
            "RestoreVerifyFailed",
            "UpdatesDeadLettered"
        ]
    );
    assert_eq!(AlertName::BackupStale.runbook_anchor(), "backupstale");
}
