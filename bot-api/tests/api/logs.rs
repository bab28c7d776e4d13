//! The real `bot-api serve` binary through a whole scenario (bookings, a denial, a rejected
//! webhook, a Telegram 5xx) with a known bot token, webhook secret and database password:
//! every stdout line is one JSON envelope, the contract's events appear with their fields,
//! and none of the three secrets appears anywhere in stdout or stderr.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::scenario::{self, Driver};
use crate::helpers::serve_bin::Serve;
use crate::helpers::{ADMIN, CLIENT, SECRET, TOKEN, wait_outbox_settled};
use shared::testing::telegram::{Answer, StandIn};

fn find<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == name)
        .unwrap_or_else(|| panic!("no {name} event in the logs"))
}

#[tokio::test]
async fn a_whole_scenario_logs_json_envelopes_with_the_events_and_no_secret() {
    let db = shared::testing::test_db().await;
    let password = shared::config::url_secret_literals(&db.url)
        .into_iter()
        .next()
        .expect("the test database URL has a password");
    let tg = StandIn::start(TOKEN).await;
    tg.script([Answer::Status(500)]);
    let admins = ADMIN.to_string();
    let serve = Serve::start(&[
        ("DATABASE_URL", &db.url),
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_API_BASE", &tg.base),
        ("TELEGRAM_WEBHOOK_SECRET", SECRET),
        ("BOT_ADMIN_IDS", &admins),
        ("LOG_FORMAT", "json"),
        ("LOG_LEVEL", "debug"),
    ]);
    serve
        .wait_status("/health", 200, Duration::from_secs(30))
        .await;
    let d = Driver {
        http: reqwest::Client::new(),
        base: serve.base.clone(),
        pool: &db.pool,
    };
    scenario::run(&d).await;
    wait_outbox_settled(&db.pool, Duration::from_secs(30)).await;
    assert!(tg.calls().iter().all(|c| c.token_ok));
    let (lines, errors) = serve.terminate().await;

    assert!(lines.len() > 20, "too few log lines: {lines:?}");
    for secret in [TOKEN, SECRET, password.as_str()] {
        for l in lines.iter().chain(errors.iter()) {
            assert!(!l.contains(secret), "a secret leaked: {l}");
        }
    }
    let mut events = Vec::new();
    for l in &lines {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        let ts = v["ts"].as_str().unwrap_or_else(|| panic!("no ts: {l}"));
        assert!(
            ts.ends_with('Z') && ts.len() == 24,
            "ts not RFC 3339 UTC ms: {l}"
        );
        chrono::DateTime::parse_from_rfc3339(ts).unwrap();
        assert!(v["level"].is_string(), "{l}");
        assert_eq!(v["service"], "bot-api", "{l}");
        assert!(v["event"].as_str().is_some_and(|e| !e.is_empty()), "{l}");
        assert!(v["message"].is_string(), "{l}");
        events.push(v);
    }

    let started = find(&events, "service_started");
    assert_eq!(started["mode"], "webhook");
    assert_eq!(started["offline"], false);
    let created = find(&events, "booking_created");
    assert!(created["booking_id"].is_i64() && created["master_id"].is_i64());
    let failed: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "booking_failed")
        .map(|e| e["reason"].as_str().unwrap().to_owned())
        .collect();
    assert!(failed.contains(&"taken".into()) && failed.contains(&"in_past".into()));
    assert_eq!(find(&events, "booking_cancelled")["by"], "client");
    let deny = find(&events, "rbac_deny");
    assert_eq!(deny["command"], "agenda");
    assert_eq!(deny["role"], "client");
    assert_eq!(deny["actor_telegram_id"], CLIENT);
    assert!(find(&events, "schedule_updated")["action"].is_string());
    let rejected = find(&events, "webhook_rejected");
    assert_eq!(rejected["reason"], "secret_mismatch");
    assert_eq!(rejected["status"], 401);
    let retry = find(&events, "outbox_retry");
    assert!(retry["reason"].as_str().unwrap().contains("500"), "{retry}");
    assert!(retry["retry_in_ms"].is_u64());
}
