//! Receivers: the webhook payload's shape, retries and counted failures, Telegram's 429
//! handling, and a real Alertmanager taking the agent's alerts.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ops_agent::alerting::{AlertInstance, AlertName, AlertStatus, Evaluation};
use ops_agent::metrics::AgentMetrics;
use ops_agent::notify::{Notifier, Receiver, ReceiverKind};
use secrecy::SecretString;
use warp::Filter;

use super::support::{FakeBotApi, FakeReceiver, TestDaemon, is, probe_only};

fn alert(name: AlertName, status: AlertStatus) -> AlertInstance {
    let starts_at = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    AlertInstance {
        name,
        status,
        starts_at,
        ends_at: (status == AlertStatus::Resolved).then(Utc::now),
        annotations: BTreeMap::from([
            ("summary".to_owned(), name.summary().to_owned()),
            ("description".to_owned(), "details".to_owned()),
            (
                "runbook_url".to_owned(),
                format!("runbooks/alerts.md#{}", name.runbook_anchor()),
            ),
        ]),
    }
}

fn fired(a: AlertInstance) -> Evaluation {
    Evaluation {
        fired: vec![a.clone()],
        resolved: vec![],
        firing: vec![a],
    }
}

fn receiver(name: &str, kind: ReceiverKind, attempts: u32) -> Receiver {
    Receiver {
        name: name.to_owned(),
        kind,
        timeout: Duration::from_secs(2),
        max_attempts: attempts,
        backoff: Duration::from_millis(50),
        repeat_interval: Duration::from_secs(3600),
    }
}

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

async fn wait_metric(metrics: &AgentMetrics, outcome: &str, want: u64) {
    for _ in 0..100 {
        if metrics
            .notifications_total
            .with_label_values(&[outcome])
            .get()
            >= want
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("ops_agent_alert_notifications_total{{outcome={outcome}}} never reached {want}");
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
        "http://agent:9187".into(),
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
    assert_eq!(p["externalURL"], "http://agent:9187");
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
    assert_eq!(a["generatorURL"], "http://agent:9187/metrics");
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
    let runs = daemon
        .sample("ops_agent_job_runs_total{job=\"probe\",outcome=\"failure\"}")
        .await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert!(
        daemon
            .sample("ops_agent_job_runs_total{job=\"probe\",outcome=\"failure\"}")
            .await
            > runs,
        "probes stopped"
    );
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
async fn telegram_waits_for_retry_after_on_429_and_never_shows_the_token() {
    let hits = Arc::new(AtomicUsize::new(0));
    let seen: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
    let (h, s) = (hits.clone(), seen.clone());
    let route = warp::post().and(warp::path!(String / "sendMessage")).and(warp::body::json()).map(
        move |bot: String, body: serde_json::Value| {
            s.lock().unwrap().push((bot, body));
            if h.fetch_add(1, Ordering::SeqCst) == 0 {
                let answer = serde_json::json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}});
                warp::reply::with_status(warp::reply::json(&answer), warp::http::StatusCode::TOO_MANY_REQUESTS)
            } else {
                warp::reply::with_status(warp::reply::json(&serde_json::json!({"ok": true, "result": {}})), warp::http::StatusCode::OK)
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(warp::serve(route).incoming(listener).run());

    let metrics = Arc::new(AgentMetrics::new().unwrap());
    let kind = ReceiverKind::Telegram {
        api_base: base,
        bot_token: SecretString::from("123456:ABCsecretTOKEN"),
        chat_id: "-10042".into(),
    };
    let n = Notifier::start(
        vec![receiver("chat", kind, 3)],
        "http://agent".into(),
        metrics.clone(),
    );
    let started = std::time::Instant::now();
    n.notify(
        &fired(alert(AlertName::BackupStale, AlertStatus::Firing)),
        Utc::now(),
    );
    wait_metric(&metrics, "success", 1).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retry_after not honoured"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].0, "bot123456:ABCsecretTOKEN");
    assert_eq!(seen[1].1["chat_id"], "-10042");
    let text = seen[1].1["text"].as_str().unwrap();
    assert!(
        text.contains("FIRING: BackupStale") && text.contains("runbooks/alerts.md#backupstale"),
        "{text}"
    );
}

#[tokio::test]
async fn telegram_errors_are_stripped_of_the_url_with_the_token() {
    // A connection error's message would otherwise carry {base}/bot{token}/sendMessage.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = reqwest::Client::new();
    let r = receiver("chat", ReceiverKind::Alertmanager { url: base.clone() }, 1);
    let token = SecretString::from("999:tokenTOKENtoken");
    let a = alert(AlertName::BotApiDown, AlertStatus::Firing);
    let err = ops_agent::notify::telegram::send(&client, &r, &base, &token, "1", &[a])
        .await
        .unwrap_err();
    assert!(!err.message.contains("tokenTOKEN"), "{}", err.message);
    assert!(err.retryable);
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
    wait_metric(&metrics, "success", 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let statuses: Vec<String> = hook
        .bodies()
        .iter()
        .map(|b| b["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["firing", "firing", "resolved"]);
}
