//! Receivers: the webhook payload's shape, retries and counted failures, repeats of a firing
//! alert, and a real Alertmanager taking the agent's alerts. The Telegram receiver's own
//! behaviour is [`crate::telegram`]'s.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use ops_agent::alerting::{AlertName, AlertStatus, Evaluation};
use ops_agent::metrics::AgentMetrics;
use ops_agent::notify::{Notifier, ReceiverKind};

use crate::helpers::notify::{alert, fired, receiver, wait_metric};
use crate::helpers::{EXTERNAL_URL, FakeBotApi, FakeReceiver, TestDaemon, is, probe_only};

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn the_webhook_payload_matches_alertmanagers_format_field_for_field() {
    let hook = FakeReceiver::start().await;
    let metrics = Arc::new(AgentMetrics::new().unwrap());
    let kind = ReceiverKind::Webhook {
        url: hook.url(),
        bearer_token: None,
    };
    let n = Notifier::start(
        vec![receiver("ops", kind, 1)],
        EXTERNAL_URL.into(),
        metrics.clone(),
    );
    n.notify(
        &fired(alert(AlertName::BackupFailed, AlertStatus::Firing)),
        Utc::now(),
    );
    let p = hook
        .wait_for(
            "payload",
            Duration::from_secs(5),
            is("BackupFailed", "firing"),
        )
        .await;

    let top = [
        "version",
        "groupKey",
        "truncatedAlerts",
        "status",
        "receiver",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "alerts",
    ];
    assert_eq!(keys(&p), top.iter().map(|s| s.to_string()).collect());
    assert_eq!(p["version"], "4");
    assert_eq!(p["groupKey"], "{}:{alertname=\"BackupFailed\"}");
    assert_eq!(p["truncatedAlerts"], 0);
    assert_eq!(p["receiver"], "ops");
    assert_eq!(p["externalURL"], EXTERNAL_URL);
    assert_eq!(
        p["groupLabels"],
        serde_json::json!({"alertname": "BackupFailed"})
    );
    assert_eq!(
        p["commonLabels"],
        serde_json::json!({"alertname": "BackupFailed", "severity": "warning", "service": "bot-api"})
    );
    assert_eq!(
        p["commonAnnotations"]["runbook_url"],
        "runbooks/alerts.md#backupfailed"
    );
    let a = &p["alerts"][0];
    let item = [
        "status",
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
    ];
    assert_eq!(keys(a), item.iter().map(|s| s.to_string()).collect());
    assert_eq!(a["status"], "firing");
    assert_eq!(a["labels"], p["commonLabels"]);
    assert_eq!(
        keys(&a["annotations"]),
        ["description", "runbook_url", "summary"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert_eq!(a["startsAt"], "2026-11-27T10:00:00.000Z");
    assert_eq!(a["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(a["generatorURL"], format!("{EXTERNAL_URL}/metrics"));
    let fp = a["fingerprint"].as_str().unwrap();
    assert!(
        fp.len() == 16 && fp.chars().all(|c| c.is_ascii_hexdigit()),
        "{fp}"
    );
    wait_metric(&metrics, "success", 1).await;
}

#[tokio::test]
async fn a_receiver_answering_500_is_retried_then_counted_as_failed() {
    let hook = FakeReceiver::start().await;
    hook.status.store(500, Ordering::SeqCst);
    let metrics = Arc::new(AgentMetrics::new().unwrap());
    let kind = ReceiverKind::Webhook {
        url: hook.url(),
        bearer_token: None,
    };
    let n = Notifier::start(
        vec![receiver("ops", kind, 3)],
        "http://agent".into(),
        metrics.clone(),
    );
    n.notify(
        &fired(alert(AlertName::BotApiDown, AlertStatus::Firing)),
        Utc::now(),
    );
    wait_metric(&metrics, "failure", 1).await;
    assert_eq!(hook.requests.lock().unwrap().len(), 3);
    assert_eq!(
        metrics
            .notifications_total
            .with_label_values(&["success"])
            .get(),
        0
    );
    // The receiver comes back: the next notification goes through.
    hook.status.store(200, Ordering::SeqCst);
    n.notify(
        &fired(alert(AlertName::BackupStale, AlertStatus::Firing)),
        Utc::now(),
    );
    wait_metric(&metrics, "success", 1).await;
}

#[tokio::test]
async fn a_receiver_that_times_out_is_retried_then_counted_as_failed() {
    let hook = FakeReceiver::start().await;
    hook.delay_ms.store(3000, Ordering::SeqCst);
    let metrics = Arc::new(AgentMetrics::new().unwrap());
    let kind = ReceiverKind::Webhook {
        url: hook.url(),
        bearer_token: None,
    };
    let mut r = receiver("slow", kind, 2);
    r.timeout = Duration::from_millis(300);
    let n = Notifier::start(vec![r], "http://agent".into(), metrics.clone());
    let started = std::time::Instant::now();
    n.notify(
        &fired(alert(AlertName::BotApiDown, AlertStatus::Firing)),
        Utc::now(),
    );
    wait_metric(&metrics, "failure", 1).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "timeout not applied: {:?}",
        started.elapsed()
    );
    assert_eq!(hook.requests.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_receiver_that_is_down_is_counted_and_the_daemon_goes_on() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let hook = FakeReceiver::start().await;
    let mut api = FakeBotApi::start_new().await;
    let toml = probe_only(&format!(
        "[alerts]\nbot_api_down_for_seconds = 0\n\
         [[receivers]]\nname = \"dead\"\nkind = \"webhook\"\nurl = \"{dead_url}\"\nmax_attempts = 3\nbackoff_seconds = 0.1\n\
         [[receivers]]\nname = \"alive\"\nkind = \"webhook\"\nurl = \"{}\"\n",
        hook.url()
    ));
    let daemon = TestDaemon::start(&toml, &api.url()).await;
    api.stop().await;
    hook.wait_for(
        "firing",
        Duration::from_secs(10),
        is("BotApiDown", "firing"),
    )
    .await;
    wait_metric(&daemon.metrics, "failure", 1).await;
    // The probes go on while the dead receiver's retries fail.
    daemon.evaluations(2).await;
    let health = reqwest::get(format!("http://{}/health", daemon.addr))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    api.start().await;
    hook.wait_for(
        "resolved",
        Duration::from_secs(10),
        is("BotApiDown", "resolved"),
    )
    .await;
    daemon.stop().await;
}

#[tokio::test]
async fn a_firing_alert_is_sent_again_every_repeat_interval_and_once_resolved() {
    let hook = FakeReceiver::start().await;
    let metrics = Arc::new(AgentMetrics::new().unwrap());
    let kind = ReceiverKind::Webhook {
        url: hook.url(),
        bearer_token: None,
    };
    let mut r = receiver("ops", kind, 1);
    r.repeat_interval = Duration::from_secs(600);
    let n = Notifier::start(vec![r], "http://agent".into(), metrics.clone());
    let a = alert(AlertName::BackupStale, AlertStatus::Firing);
    let still = Evaluation {
        fired: vec![],
        resolved: vec![],
        firing: vec![a.clone()],
    };
    let t0 = Utc::now();
    let min = chrono::Duration::minutes;
    n.notify(&fired(a.clone()), t0);
    n.notify(&still, t0 + min(5));
    n.notify(&still, t0 + min(9));
    n.notify(&still, t0 + min(10)); // repeat
    n.notify(&still, t0 + min(15));
    let resolved = Evaluation {
        fired: vec![],
        resolved: vec![alert(AlertName::BackupStale, AlertStatus::Resolved)],
        firing: vec![],
    };
    n.notify(&resolved, t0 + min(16));
    // The resolved notice was queued last and the worker keeps order: once it is in, every
    // repeat that was going to be sent has been.
    hook.wait_for(
        "resolved",
        Duration::from_secs(10),
        is("BackupStale", "resolved"),
    )
    .await;
    wait_metric(&metrics, "success", 3).await;
    let statuses: Vec<String> = hook
        .bodies()
        .iter()
        .map(|b| b["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["firing", "firing", "resolved"]);
}
