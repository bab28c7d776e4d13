//! The app under test over real HTTP: `spawn_app()` serves the real routes on port 0 (offline
//! or against `shared::testing::telegram::StandIn`), with webhook and scrape helpers and outbox readers.

use std::net::SocketAddr;
use std::time::Duration;

use bot_api::config::{BookingRules, FloodLimits, Mode};
use bot_api::http::WebhookAuth;
use bot_api::server::{ServerConfig, run};
use bot_api::telegram::client::BotApi;
use bot_api::telegram::sender::SenderConfig;
use secrecy::SecretString;
use serde_json::Value;
use shared::testing::{TestDb, eventually, test_db};
use tokio::sync::oneshot;

use super::{SECRET, TOKEN, context_with};

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
    /// False mimics `--observability-off`.
    pub observability: bool,
    /// Flood limits (default: off, tests talk fast).
    pub flood: FloodLimits,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            telegram: None,
            secret: Some(SECRET),
            mode: Mode::Webhook,
            sender: fast_sender(),
            webhook_url: None,
            observability: true,
            flood: FloodLimits {
                user_updates_per_minute: 0,
                outbox_max_pending_per_chat: 0,
                ..FloodLimits::default()
            },
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

/// Starts an app on a fresh database.
pub async fn spawn_app(opts: AppOptions) -> (TestApp, TestDb) {
    let db = test_db().await;
    let app = spawn_app_on(&db.pool, opts).await;
    (app, db)
}

/// Starts an app on an existing database.
pub async fn spawn_app_on(pool: &sqlx::PgPool, opts: AppOptions) -> TestApp {
    let ctx = context_with(pool, BookingRules::default(), opts.flood);
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
    cfg.observability = opts.observability;
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

/// Rows of the outbox: (id, chat_id, status, attempts, last_error).
pub async fn outbox_rows(pool: &sqlx::PgPool) -> Vec<(i64, i64, String, i32, Option<String>)> {
    sqlx::query_as("SELECT id, chat_id, status, attempts, last_error FROM outbox ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Waits until no outbox row is pending (or panics after `timeout`).
pub async fn wait_outbox_settled(pool: &sqlx::PgPool, timeout: Duration) {
    let settled = eventually(
        || async {
            let pending: i64 =
                sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'pending'")
                    .fetch_one(pool)
                    .await
                    .unwrap();
            pending == 0
        },
        timeout,
    )
    .await;
    assert!(
        settled,
        "the outbox still has pending rows: {:?}",
        outbox_rows(pool).await
    );
}
