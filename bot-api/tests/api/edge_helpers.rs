//! Helpers of the transport tests: a local Bot API stand-in that records calls and can
//! misbehave on command, and `spawn_app()` serving the real routes on port 0.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bot_api::config::{BookingRules, Mode};
use bot_api::http::WebhookAuth;
use bot_api::metrics::Metrics;
use bot_api::server::{ServerConfig, run};
use bot_api::telegram::client::BotApi;
use bot_api::telegram::sender::SenderConfig;
use bot_api::updates::BotContext;
use secrecy::SecretString;
use serde_json::{Value, json};
use shared::testing::{TestDb, test_db};
use tokio::sync::oneshot;
use warp::Filter;

/// A well-formed bot token the stand-in expects in the URL.
pub const TOKEN: &str = "123456789:AAHfakeTokenForTests_abcdefghijklmnopq";
/// The webhook secret of the apps under test.
pub const SECRET: &str = "webhook-secret-under-test";

static NEXT: AtomicI64 = AtomicI64::new(1_000_000);

/// A fresh update id.
pub fn uid() -> i64 {
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// How the stand-in answers one call.
#[derive(Debug, Clone)]
pub enum Answer {
    /// 200 ok.
    Ok,
    /// 429 with `parameters.retry_after`.
    TooMany(u64),
    /// That status (5xx or 4xx) with a description.
    Status(u16),
    /// 200 ok after this delay.
    Slow(Duration),
}

/// One call the stand-in received.
#[derive(Debug, Clone)]
pub struct Call {
    /// Bot API method.
    pub method: String,
    /// JSON body.
    pub payload: Value,
    /// When it arrived.
    pub at: Instant,
    /// Whether the URL held [`TOKEN`].
    pub token_ok: bool,
}

#[derive(Default)]
struct StandInState {
    calls: Vec<Call>,
    script: VecDeque<Answer>,
    updates: Vec<Value>,
}

/// The local Bot API stand-in.
#[derive(Clone)]
pub struct StandIn {
    /// Its base URL (`TELEGRAM_API_BASE`).
    pub base: String,
    state: Arc<Mutex<StandInState>>,
}

impl StandIn {
    /// Starts a stand-in on 127.0.0.1:0.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(StandInState::default()));
        let s = state.clone();
        let route = warp::post()
            .and(warp::path!(String / String))
            .and(warp::body::json())
            .then(move |bot: String, method: String, payload: Value| {
                let s = s.clone();
                async move { answer(&s, &bot, &method, payload).await }
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Self {
            base: format!("http://{addr}"),
            state,
        }
    }

    /// Queues answers for the next calls other than `getUpdates` (then plain 200s).
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state.lock().unwrap().script.extend(answers);
    }

    /// Makes `update` available to `getUpdates`.
    pub fn push_update(&self, update: Value) {
        self.state.lock().unwrap().updates.push(update);
    }

    /// Every call received so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Calls of `method`.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// Waits until `pred` holds for the calls, or panics after `timeout`.
    pub async fn wait_for(&self, timeout: Duration, what: &str, pred: impl Fn(&[Call]) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(&self.calls()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; calls: {:?}",
                self.calls()
                    .iter()
                    .map(|c| c.method.clone())
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn answer(
    state: &Mutex<StandInState>,
    bot: &str,
    method: &str,
    payload: Value,
) -> warp::reply::WithStatus<warp::reply::Json> {
    let reply = |status: u16, body: Value| {
        warp::reply::with_status(
            warp::reply::json(&body),
            warp::http::StatusCode::from_u16(status).unwrap(),
        )
    };
    let next = {
        let mut s = state.lock().unwrap();
        s.calls.push(Call {
            method: method.to_owned(),
            payload: payload.clone(),
            at: Instant::now(),
            token_ok: bot == format!("bot{TOKEN}"),
        });
        if method == "getUpdates" {
            let offset = payload["offset"].as_i64().unwrap_or(0);
            let due: Vec<Value> = s
                .updates
                .iter()
                .filter(|u| u["update_id"].as_i64().unwrap_or(0) >= offset)
                .cloned()
                .collect();
            if !due.is_empty() {
                return reply(200, json!({"ok": true, "result": due}));
            }
            None
        } else {
            Some(s.script.pop_front().unwrap_or(Answer::Ok))
        }
    };
    match next {
        // An empty long poll: hold briefly, then answer nothing.
        None => {
            tokio::time::sleep(Duration::from_millis(100)).await;
            reply(200, json!({"ok": true, "result": []}))
        }
        Some(Answer::Ok) => reply(200, json!({"ok": true, "result": {"message_id": 1}})),
        Some(Answer::Slow(d)) => {
            tokio::time::sleep(d).await;
            reply(200, json!({"ok": true, "result": {"message_id": 1}}))
        }
        Some(Answer::TooMany(s)) => reply(
            429,
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry later",
                   "parameters": {"retry_after": s}}),
        ),
        Some(Answer::Status(code)) => reply(
            code,
            json!({"ok": false, "error_code": code, "description": format!("Stand-in says {code}")}),
        ),
    }
}

/// How to start an app.
#[derive(Clone)]
pub struct AppOptions {
    /// Bot API base; `None` runs offline.
    pub telegram: Option<String>,
    /// Webhook secret; `None` means the policy of `bot-api serve` for the token.
    pub secret: Option<&'static str>,
    /// Webhook or polling.
    pub mode: Mode,
    /// Sender tunables (tests shorten the back-off).
    pub sender: SenderConfig,
    /// Public webhook URL to register.
    pub webhook_url: Option<String>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            telegram: None,
            secret: Some(SECRET),
            mode: Mode::Webhook,
            sender: fast_sender(),
            webhook_url: None,
        }
    }
}

/// A sender with short delays so tests run in seconds.
pub fn fast_sender() -> SenderConfig {
    SenderConfig {
        backoff_base: Duration::from_millis(200),
        backoff_max: Duration::from_secs(2),
        idle_poll: Duration::from_millis(50),
        ..SenderConfig::default()
    }
}

/// A running app.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// HTTP client for requests to it.
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// The admin of every app.
pub const ADMIN: i64 = 9_100_000_001;

/// Starts an app on a fresh database.
pub async fn spawn_app(opts: AppOptions) -> (TestApp, TestDb) {
    let db = test_db().await;
    let app = spawn_app_on(&db.pool, opts).await;
    (app, db)
}

/// A bot context on `pool` with fresh metrics.
pub fn context(pool: &sqlx::PgPool) -> BotContext {
    BotContext {
        pool: pool.clone(),
        rules: BookingRules::default(),
        admins: Arc::new(HashSet::from([ADMIN])),
        metrics: Arc::new(Metrics::new()),
    }
}

/// Starts an app on an existing database.
pub async fn spawn_app_on(pool: &sqlx::PgPool, opts: AppOptions) -> TestApp {
    let ctx = context(pool);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let telegram = opts
        .telegram
        .as_ref()
        .map(|base| BotApi::new(base, SecretString::from(TOKEN), Duration::from_secs(2)).unwrap());
    let auth = match opts.secret {
        Some(s) => WebhookAuth::Secret(SecretString::from(s)),
        None if telegram.is_none() => WebhookAuth::Open,
        None => WebhookAuth::Closed,
    };
    let mut cfg = ServerConfig::new(opts.mode, telegram, auth);
    cfg.sender = opts.sender;
    cfg.webhook_url = opts.webhook_url;
    cfg.polling.timeout_s = 1;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, ctx, cfg, async move {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        http: reqwest::Client::new(),
        stop: Some(tx),
        task: Some(task),
    }
}

impl TestApp {
    /// `http://addr{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs `body` to the webhook with the given secret header.
    pub async fn webhook_raw(&self, body: Vec<u8>, secret: Option<&str>) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url("/telegram/webhook"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        req.send().await.unwrap()
    }

    /// POSTs an update with the right secret.
    pub async fn webhook(&self, update: &Value) -> reqwest::Response {
        self.webhook_raw(serde_json::to_vec(update).unwrap(), Some(SECRET))
            .await
    }

    /// GETs `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// The `/metrics` text.
    pub async fn scrape(&self) -> String {
        self.get("/metrics").await.text().await.unwrap()
    }

    /// Stops the app and waits until it has drained.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// A private text message update from `from` as JSON.
pub fn text(update_id: i64, from: i64, text: &str) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "from": {"id": from, "is_bot": false, "first_name": "Test"},
            "chat": {"id": from, "type": "private"},
            "text": text
        }
    })
}

/// The value of sample `name{labels}` in a scrape (0 when absent).
pub fn sample(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            (k == series).then(|| v.parse().ok()).flatten()
        })
        .unwrap_or(0.0)
}

/// Rows of the outbox: (id, chat_id, status, attempts, last_error).
pub async fn outbox_rows(pool: &sqlx::PgPool) -> Vec<(i64, i64, String, i32, Option<String>)> {
    sqlx::query_as("SELECT id, chat_id, status, attempts, last_error FROM outbox ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Waits until no outbox row is pending (or panics after `timeout`).
pub async fn wait_outbox_settled(pool: &sqlx::PgPool, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let pending: i64 =
            sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'pending'")
                .fetch_one(pool)
                .await
                .unwrap();
        if pending == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "outbox still has {pending} pending rows: {:?}",
            outbox_rows(pool).await
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
