//! Slow and hostile HTTP clients (issue 13): half a request head is cut off at the header
//! timeout, a body that never completes gets a 503 at the request timeout, clients beyond the
//! connection cap wait, keep-alive still works, a webhook in flight at shutdown is answered,
//! and `serve` exits within the shutdown grace whatever its clients do.

use std::time::{Duration, Instant};

use bot_api::config::{BookingRules, Mode};
use bot_api::http::WebhookAuth;
use bot_api::server::{ServerConfig, run};
use secrecy::SecretString;
use shared::http_server::Limits;
use shared::http_server::raw_client::{HALF_HEAD, Outcome, RawClient, status};
use shared::testing::{TestDb, test_db};
use tokio::sync::oneshot;

use crate::helpers::serve_bin::Serve;
use crate::helpers::{CLIENT, SECRET, context, text, uid};

const S: Duration = Duration::from_secs(1);

/// Limits that stay out of the way unless a test lowers one.
fn relaxed() -> Limits {
    Limits {
        header_timeout: 30 * S,
        request_timeout: 30 * S,
        max_connections: 64,
        shutdown_grace: 10 * S,
    }
}

/// `server::run` on port 0 with `limits`, on a fresh database.
struct App {
    addr: std::net::SocketAddr,
    db: TestDb,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl App {
    async fn start(limits: Limits) -> Self {
        let db = test_db().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let auth = WebhookAuth::Secret(SecretString::from(SECRET));
        let mut cfg = ServerConfig::new(Mode::Webhook, None, auth);
        cfg.http = limits;
        let (tx, rx) = oneshot::channel::<()>();
        let ctx = context(&db.pool, BookingRules::default());
        let task = tokio::spawn(run(listener, ctx, cfg, async move {
            let _ = rx.await;
        }));
        Self {
            addr,
            db,
            stop: Some(tx),
            task,
        }
    }

    fn shutdown(&mut self) {
        let _ = self.stop.take().map(|tx| tx.send(()));
    }

    /// Shuts down (if not yet) and waits at most `within` for `run` to return.
    async fn stopped_within(mut self, within: Duration) -> TestDb {
        self.shutdown();
        tokio::time::timeout(within, self.task)
            .await
            .expect("server::run returned within the grace")
            .unwrap()
            .unwrap();
        self.db
    }
}

/// A webhook request for `update_id`: its head (with the secret) and its body.
fn webhook(update_id: i64) -> (Vec<u8>, Vec<u8>) {
    let body = serde_json::to_vec(&text(update_id, CLIENT, "/start")).unwrap();
    let head = format!(
        "POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    (head.into_bytes(), body)
}

const GET_HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

#[tokio::test]
async fn half_a_request_head_is_disconnected_within_the_header_timeout() {
    let app = App::start(Limits {
        header_timeout: S,
        ..relaxed()
    })
    .await;
    let mut c = RawClient::send_to(app.addr, HALF_HEAD).await.unwrap();
    match c.closed_within(5 * S).await {
        Outcome::Closed(after) => assert!(after >= S / 2, "closed after {after:?}"),
        Outcome::TimedOut => panic!("half a head still connected after 5 s"),
    }
    app.stopped_within(5 * S).await;
}

#[tokio::test]
async fn keep_alive_answers_health_and_webhooks_on_one_connection() {
    let app = App::start(relaxed()).await;
    let mut c = RawClient::send_to(app.addr, GET_HEALTH).await.unwrap();
    for _ in 0..2 {
        let resp = c.response_within(5 * S).await.expect("/health answered");
        assert_eq!(status(&resp), Some(200), "{resp}");
        let (head, body) = webhook(uid());
        c.send(&[head, body].concat()).await.unwrap();
        let resp = c.response_within(5 * S).await.expect("webhook answered");
        assert_eq!(status(&resp), Some(200), "{resp}");
        assert!(resp.contains("\"processed\""), "{resp}");
        c.send(GET_HEALTH).await.unwrap();
    }
    assert!(c.response_within(5 * S).await.is_some());
    app.stopped_within(5 * S).await;
}

#[tokio::test]
async fn a_webhook_body_that_never_completes_is_answered_503_at_the_request_timeout() {
    let app = App::start(Limits {
        request_timeout: S,
        ..relaxed()
    })
    .await;
    let update_id = uid();
    let (head, body) = webhook(update_id);
    let mut c = RawClient::send_to(app.addr, &head).await.unwrap();
    c.send(&body[..body.len() / 2]).await.unwrap();
    let resp = c.response_within(5 * S).await.expect("an answer");
    assert_eq!(status(&resp), Some(503), "{resp}");
    assert!(resp.contains("request_timeout"), "{resp}");
    assert!(matches!(c.closed_within(5 * S).await, Outcome::Closed(_)));
    let db = app.stopped_within(5 * S).await;
    let seen: i64 =
        sqlx::query_scalar("SELECT count(*) FROM processed_updates WHERE update_id = $1")
            .bind(update_id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(seen, 0, "nothing committed; Telegram will retry");
}

#[tokio::test]
async fn a_webhook_in_flight_when_shutdown_starts_is_still_answered() {
    let mut app = App::start(relaxed()).await;
    let update_id = uid();
    let (head, body) = webhook(update_id);
    let mut c = RawClient::send_to(app.addr, &head).await.unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    c.send(first).await.unwrap();
    tokio::time::sleep(S / 5).await;
    app.shutdown();
    tokio::time::sleep(S / 5).await;
    assert!(
        tokio::net::TcpStream::connect(app.addr).await.is_err(),
        "still accepting connections after shutdown started"
    );
    c.send(rest).await.unwrap();
    let resp = c.response_within(5 * S).await.expect("answered");
    assert_eq!(status(&resp), Some(200), "{resp}");
    assert!(resp.contains("\"processed\""), "{resp}");
    let db = app.stopped_within(5 * S).await;
    let seen: i64 =
        sqlx::query_scalar("SELECT count(*) FROM processed_updates WHERE update_id = $1")
            .bind(update_id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(seen, 1);
}

#[tokio::test]
async fn beyond_the_connection_cap_clients_wait_until_one_is_freed() {
    let app = App::start(Limits {
        max_connections: 4,
        ..relaxed()
    })
    .await;
    let mut holders = Vec::new();
    for _ in 0..4 {
        holders.push(RawClient::send_to(app.addr, HALF_HEAD).await.unwrap());
    }
    let mut waiting = RawClient::send_to(app.addr, GET_HEALTH).await.unwrap();
    assert_eq!(
        waiting.response_within(S / 2).await,
        None,
        "a fifth connection was served with a cap of 4"
    );
    drop(holders.pop());
    let resp = waiting
        .response_within(5 * S)
        .await
        .expect("served once a slot was freed");
    assert_eq!(status(&resp), Some(200), "{resp}");
    drop(waiting);
    holders.clear();
    // Healthy afterwards: a fresh client is served at once.
    let mut fresh = RawClient::send_to(app.addr, GET_HEALTH).await.unwrap();
    let resp = fresh.response_within(5 * S).await.expect("served");
    assert_eq!(status(&resp), Some(200), "{resp}");
    app.stopped_within(5 * S).await;
}

#[tokio::test]
async fn serve_exits_on_sigterm_within_the_grace_with_stuck_clients_connected() {
    let db = test_db().await;
    let serve = Serve::start(&[
        ("DATABASE_URL", &db.url),
        ("BOT_SHUTDOWN_GRACE_SECONDS", "1"),
    ]);
    serve.wait_status("/ready", 200, 60 * S).await;
    let addr = serve.base.trim_start_matches("http://").parse().unwrap();
    let _half = RawClient::send_to(addr, HALF_HEAD).await.unwrap();
    let (head, body) = webhook(uid());
    let mut stuck = RawClient::send_to(addr, &head).await.unwrap();
    stuck.send(&body[..body.len() / 2]).await.unwrap();
    tokio::time::sleep(S / 5).await;

    let start = Instant::now();
    let (out, _) = serve.terminate().await;
    let took = start.elapsed();
    assert!(took < 5 * S, "exit took {took:?} with a grace of 1 s");
    let line = out
        .iter()
        .find(|l| l.contains("\"shutdown_deadline\""))
        .unwrap_or_else(|| panic!("no shutdown_deadline line: {out:?}"));
    assert!(
        line.contains("\"level\":\"warn\"") && line.contains("\"connections\":2"),
        "{line}"
    );
}

#[tokio::test]
async fn zero_or_out_of_range_http_settings_are_refused_naming_the_setting() {
    for (var, value, flag) in [
        ("BOT_HTTP_MAX_CONNECTIONS", "0", "--http-max-connections"),
        (
            "BOT_HTTP_HEADER_TIMEOUT_SECONDS",
            "0",
            "--http-header-timeout-seconds",
        ),
        (
            "BOT_HTTP_REQUEST_TIMEOUT_SECONDS",
            "86400",
            "--http-request-timeout-seconds",
        ),
        (
            "BOT_SHUTDOWN_GRACE_SECONDS",
            "0",
            "--shutdown-grace-seconds",
        ),
    ] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bot-api"))
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", "postgres://u:pw@127.0.0.1:1/db")
            .env(var, value)
            .output()
            .await
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {err}");
        assert!(err.contains(flag), "{var}={value}: {err}");
    }
}
