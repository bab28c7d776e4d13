//! The daemon end to end: probes of a stand-in bot-api, alert evaluation, webhook payloads.
//! Paused time: the daemon's clock is tokio's, so `for` durations pass in virtual time, and
//! a check that an alert did not fire waits for the evaluations it is about.

use std::sync::atomic::Ordering;
use std::time::Duration;

use shared::testing::eventually;

use crate::helpers::{FakeBotApi, FakeReceiver, HOOK_BEARER, TestDaemon, is, probe_only};

fn config(receiver: &FakeReceiver, alerts: &str) -> String {
    probe_only(&format!(
        "[alerts]\n{alerts}\n[[receivers]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"{}\"\nbearer_token = \"{HOOK_BEARER}\"\nmax_attempts = 2\nbackoff_seconds = 0.1\n",
        receiver.url()
    ))
}

/// Waits until the last probe of `target` succeeded (`true`) or failed.
async fn probe_is(daemon: &TestDaemon, target: &str, up: bool) {
    let series = format!("ops_agent_probe_success{{target=\"{target}\"}}");
    let want = if up { 1.0 } else { 0.0 };
    let held = eventually(
        || async { daemon.sample(&series).await == want },
        Duration::from_secs(10),
    )
    .await;
    assert!(held, "{series} never became {want}");
}

#[tokio::test(start_paused = true)]
async fn bot_api_down_fires_after_its_for_duration_and_resolves_when_the_api_returns() {
    let mut api = FakeBotApi::start_new().await;
    let hook = FakeReceiver::start().await;
    let daemon =
        TestDaemon::start(&config(&hook, "bot_api_down_for_seconds = 2"), &api.url()).await;
    probe_is(&daemon, "health", true).await;

    api.stop().await;
    let stopped = tokio::time::Instant::now();
    let firing = hook
        .wait_for(
            "BotApiDown firing",
            Duration::from_secs(10),
            is("BotApiDown", "firing"),
        )
        .await;
    assert!(
        stopped.elapsed() >= Duration::from_secs(2),
        "fired before its `for`: {:?}",
        stopped.elapsed()
    );
    assert_eq!(firing["alerts"][0]["labels"]["severity"], "critical");
    assert_eq!(firing["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(
        daemon
            .sample("ops_agent_alerts_firing{alertname=\"BotApiDown\"}")
            .await,
        1.0
    );
    assert_eq!(
        daemon
            .sample("ops_agent_probe_success{target=\"health\"}")
            .await,
        0.0
    );
    // The bearer token went along, and the metrics scrape failed too.
    let first = hook.requests.lock().unwrap()[0].clone();
    assert_eq!(first.authorization, Some(format!("Bearer {HOOK_BEARER}")));
    assert_eq!(first.path, "/hook");

    api.start().await;
    let resolved = hook
        .wait_for(
            "BotApiDown resolved",
            Duration::from_secs(10),
            is("BotApiDown", "resolved"),
        )
        .await;
    assert_eq!(
        resolved["alerts"][0]["startsAt"],
        firing["alerts"][0]["startsAt"]
    );
    assert_ne!(resolved["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(
        resolved["alerts"][0]["fingerprint"],
        firing["alerts"][0]["fingerprint"]
    );
    assert_eq!(
        daemon
            .sample("ops_agent_alerts_firing{alertname=\"BotApiDown\"}")
            .await,
        0.0
    );
    // Exactly one firing and one resolved notice (repeat interval is 4 h).
    let down = hook.about("BotApiDown");
    assert_eq!(down.len(), 2, "{down:#?}");
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn bot_api_not_ready_fires_while_ready_answers_503() {
    let api = FakeBotApi::start_new().await;
    let hook = FakeReceiver::start().await;
    // BotApiDown's `for` as short as BotApiNotReady's, so that it would have fired by now if
    // a failing /ready counted as down.
    let daemon = TestDaemon::start(
        &config(
            &hook,
            "bot_api_not_ready_for_seconds = 1\nbot_api_down_for_seconds = 1",
        ),
        &api.url(),
    )
    .await;
    api.ready_status.store(503, Ordering::SeqCst);
    let b = hook
        .wait_for(
            "BotApiNotReady",
            Duration::from_secs(10),
            is("BotApiNotReady", "firing"),
        )
        .await;
    assert!(
        b["alerts"][0]["annotations"]["runbook_url"]
            .as_str()
            .unwrap()
            .ends_with("#botapinotready")
    );
    // Health still answers, so BotApiDown never fires: not in the evaluations past its `for`.
    daemon.evaluations(3).await;
    assert!(!daemon.firing("BotApiDown"));
    assert!(daemon.firing("BotApiNotReady"));
    assert!(hook.about("BotApiDown").is_empty(), "{:#?}", hook.bodies());
    daemon.stop().await;
}

/// Adds `n` failed bookings to the stand-in's counters, `system` of them system failures.
fn fail(api: &FakeBotApi, n: u64, system: bool) {
    api.failure.fetch_add(n, Ordering::SeqCst);
    if system {
        api.system.fetch_add(n, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn a_system_failure_spike_fires_and_the_same_ratio_under_the_minimum_volume_does_not() {
    // Low volume first: 4 failures of 5 (80 %) but under the minimum of 5 failures.
    let api = FakeBotApi::start_new().await;
    api.success.store(100, Ordering::SeqCst);
    api.failure.store(10, Ordering::SeqCst);
    let hook = FakeReceiver::start().await;
    let daemon =
        TestDaemon::start(&config(&hook, "booking_failure_min_count = 5"), &api.url()).await;
    // The window has its first sample.
    daemon.evaluations(2).await;
    api.success.fetch_add(1, Ordering::SeqCst);
    fail(&api, 4, true);
    // Evaluations that saw the new counters (the spike's `for` is zero).
    daemon.evaluations(2).await;
    assert!(!daemon.firing("BookingFailureSpike"));
    assert!(hook.bodies().is_empty(), "{:#?}", hook.bodies());

    // Same ratio, more volume: 8 failures of 10 in the window (plus the 4 above): fires, with
    // nobody refused at all.
    api.success.fetch_add(1, Ordering::SeqCst);
    fail(&api, 4, true);
    let b = hook
        .wait_for(
            "BookingFailureSpike",
            Duration::from_secs(10),
            is("BookingFailureSpike", "firing"),
        )
        .await;
    assert_eq!(b["alerts"][0]["labels"]["severity"], "warning");
    let description = b["alerts"][0]["annotations"]["description"]
        .as_str()
        .unwrap();
    assert!(description.starts_with("System failures. 8 of 10"), "{b:#}");
    assert!(description.contains("8 system failures"), "{b:#}");
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn one_clients_refusals_do_not_fire_but_the_same_refusals_from_three_users_do() {
    let api = FakeBotApi::start_new().await;
    api.success.store(100, Ordering::SeqCst);
    api.failure.store(10, Ordering::SeqCst);
    let hook = FakeReceiver::start().await;
    let daemon = TestDaemon::start(&config(&hook, ""), &api.url()).await;
    daemon.evaluations(2).await;
    // One client sends eight bad /book: 8 of 9 attempts refused, all to one user.
    api.success.fetch_add(1, Ordering::SeqCst);
    fail(&api, 8, false);
    api.refusing_users.store(1, Ordering::SeqCst);
    daemon.evaluations(3).await;
    assert!(!daemon.firing("BookingFailureSpike"));
    assert!(
        hook.about("BookingFailureSpike").is_empty(),
        "{:#?}",
        hook.bodies()
    );

    // Two more users are refused too: a wave, not typos.
    api.refusing_users.store(3, Ordering::SeqCst);
    let b = hook
        .wait_for(
            "BookingFailureSpike",
            Duration::from_secs(10),
            is("BookingFailureSpike", "firing"),
        )
        .await;
    let description = b["alerts"][0]["annotations"]["description"]
        .as_str()
        .unwrap();
    assert!(
        description.starts_with("Refusals to several users. 8 of 9"),
        "{b:#}"
    );
    assert!(description.contains("3 distinct users"), "{b:#}");
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_bot_api_restart_resetting_its_counters_is_not_a_spike() {
    let api = FakeBotApi::start_new().await;
    api.success.store(1000, Ordering::SeqCst);
    api.failure.store(500, Ordering::SeqCst);
    api.system.store(300, Ordering::SeqCst);
    let hook = FakeReceiver::start().await;
    let daemon = TestDaemon::start(&config(&hook, ""), &api.url()).await;
    daemon.evaluations(2).await;
    // Counters restart from zero with a healthy mix.
    api.success.store(20, Ordering::SeqCst);
    api.failure.store(1, Ordering::SeqCst);
    api.system.store(1, Ordering::SeqCst);
    // Evaluations that saw the reset, and one more after it.
    daemon.evaluations(3).await;
    assert!(!daemon.firing("BookingFailureSpike"));
    assert_eq!(
        daemon
            .sample("ops_agent_alerts_firing{alertname=\"BookingFailureSpike\"}")
            .await,
        0.0
    );
    assert!(hook.about("BookingFailureSpike").is_empty());
    daemon.stop().await;
}
