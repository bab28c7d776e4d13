//! The real `bot-api serve` binary through a whole scenario (bookings, a denial, a rejected
//! webhook, a Telegram 5xx) with a known bot token, webhook secret and database password:
//! every stdout line is one JSON envelope, the contract's events appear with their fields,
//! and none of the three secrets appears anywhere in stdout or stderr.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::edge_helpers::{Answer, SECRET, StandIn, TOKEN, wait_outbox_settled};
use crate::scenario::{self, ADMIN, Driver};

fn collect<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
    r: R,
) -> (Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let task = tokio::spawn(async move {
        let mut r = BufReader::new(r).lines();
        while let Ok(Some(l)) = r.next_line().await {
            sink.lock().unwrap().push(l);
        }
    });
    (lines, task)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn find<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == name)
        .unwrap_or_else(|| panic!("no {name} event in the logs"))
}

#[tokio::test]
async fn a_whole_scenario_logs_json_envelopes_with_the_events_and_no_secret() {
    let db = shared::testing::test_db().await;
    let password = bot_api::cli::url_password(&db.url)
        .into_iter()
        .next()
        .expect("the test database URL has a password");
    let tg = StandIn::start().await;
    tg.script([Answer::Status(500)]);
    let port = free_port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bot-api"))
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", &db.url)
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_BASE", &tg.base)
        .env("TELEGRAM_WEBHOOK_SECRET", SECRET)
        .env("BOT_API_LISTEN", format!("127.0.0.1:{port}"))
        .env("BOT_ADMIN_IDS", ADMIN.to_string())
        .env("LOG_FORMAT", "json")
        .env("LOG_LEVEL", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (stdout, out_task) = collect(child.stdout.take().unwrap());
    let (stderr, err_task) = collect(child.stderr.take().unwrap());

    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{base}/health")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "bot-api never became healthy: {:?}",
            stderr.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let d = Driver {
        http: http.clone(),
        base: base.clone(),
        pool: &db.pool,
    };
    scenario::run(&d).await;
    wait_outbox_settled(&db.pool, Duration::from_secs(30)).await;
    assert!(tg.calls().iter().all(|c| c.token_ok));

    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("bot-api stops on SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    out_task.await.unwrap();
    err_task.await.unwrap();

    let lines = stdout.lock().unwrap().clone();
    let errors = stderr.lock().unwrap().clone();
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
    assert_eq!(deny["actor_telegram_id"], scenario::CLIENT);
    assert!(find(&events, "schedule_updated")["action"].is_string());
    let rejected = find(&events, "webhook_rejected");
    assert_eq!(rejected["reason"], "secret_mismatch");
    assert_eq!(rejected["status"], 401);
    let retry = find(&events, "outbox_retry");
    assert!(retry["reason"].as_str().unwrap().contains("500"), "{retry}");
    assert!(retry["retry_in_ms"].is_u64());
}
