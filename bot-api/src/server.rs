//! The seam between `main` and the tests: [`run`] serves HTTP on a given listener and runs
//! the background tasks (outbox sender, long polling, reminder sweep, retention prune) until `shutdown`
//! resolves, then drains in-flight requests (within the shutdown grace) and stops the tasks.
//! HTTP is served by [`shared::http_server`]: header and request time limits, a connection cap.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use shared::telemetry::DroppedLines;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::config::Mode;
use crate::events::service::{DatabaseUnavailable, ServiceStarted, WebhookInsecureOpen};
use crate::http::{AppState, WebhookAuth};
use crate::retention::{self, RetentionConfig};
use crate::telegram::client::BotApi;
use crate::telegram::polling::{self, PollConfig};
use crate::telegram::sender::{self, SenderConfig};
use crate::updates::BotContext;

/// Everything [`run`] needs besides the listener and the update handler's context.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How updates arrive.
    pub mode: Mode,
    /// The Bot API client; `None` is offline mode (replies stay in the outbox).
    pub telegram: Option<BotApi>,
    /// Webhook authentication.
    pub webhook_auth: WebhookAuth,
    /// False with `--observability-off`.
    pub observability: bool,
    /// Outbox sender tunables.
    pub sender: SenderConfig,
    /// Long-poll tunables.
    pub polling: PollConfig,
    /// How often the reminder sweep runs.
    pub reminder_every: Duration,
    /// The log writer's dropped-lines counter.
    pub dropped_lines: DroppedLines,
    /// Public webhook URL to register with setWebhook (webhook mode with a token and secret).
    pub webhook_url: Option<String>,
    /// The webhook is open (no secret) on an address that is not loopback, by
    /// `BOT_INSECURE_OPEN_WEBHOOK`: warned about at start and every [`INSECURE_WARNING_EVERY`].
    pub insecure_open_webhook: bool,
    /// The scheduled prune of old update ids and outbox rows.
    pub retention: RetentionConfig,
    /// Time limits on HTTP clients, the connection cap and the shutdown grace.
    pub http: shared::http_server::Limits,
}

/// How often an insecure open webhook is warned about again.
pub const INSECURE_WARNING_EVERY: Duration = Duration::from_secs(3600);

impl ServerConfig {
    /// Defaults for `mode` with an optional client and webhook authentication.
    pub fn new(mode: Mode, telegram: Option<BotApi>, webhook_auth: WebhookAuth) -> Self {
        Self {
            mode,
            telegram,
            webhook_auth,
            observability: true,
            sender: SenderConfig::default(),
            polling: PollConfig::default(),
            reminder_every: Duration::from_secs(60),
            dropped_lines: DroppedLines::default(),
            webhook_url: None,
            insecure_open_webhook: false,
            retention: RetentionConfig::default(),
            http: shared::http_server::Limits::default(),
        }
    }
}

/// Serves until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    ctx: BotContext,
    cfg: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let wake = Arc::new(Notify::new());
    let listen = listener.local_addr()?.to_string();
    let state = AppState {
        ctx: ctx.clone(),
        webhook_auth: cfg.webhook_auth.clone(),
        observability: cfg.observability,
        dropped_lines: cfg.dropped_lines.clone(),
        wake_sender: wake.clone(),
    };
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(api) = cfg.telegram.clone() {
        tasks.spawn(sender::run(
            ctx.pool.clone(),
            api.clone(),
            cfg.sender.clone(),
            ctx.metrics.clone(),
            wake.clone(),
            stop_rx.clone(),
        ));
        if let (Mode::Webhook, Some(url), WebhookAuth::Secret(secret)) =
            (cfg.mode, &cfg.webhook_url, &cfg.webhook_auth)
        {
            tasks.spawn(register_webhook(api.clone(), url.clone(), secret.clone()));
        }
        if cfg.mode == Mode::Polling {
            tasks.spawn(polling::run(
                ctx.clone(),
                api,
                cfg.polling.clone(),
                wake.clone(),
                stop_rx.clone(),
            ));
        }
    } else if cfg.mode == Mode::Polling {
        tracing::warn!(
            event = "polling_disabled",
            "Polling mode needs TELEGRAM_BOT_TOKEN; running offline (webhook route only)"
        );
    }
    if cfg.insecure_open_webhook {
        tasks.spawn(warn_insecure_open(listen.clone(), stop_rx.clone()));
    }
    tasks.spawn(retention::run(
        ctx.pool.clone(),
        cfg.retention.clone(),
        ctx.metrics.clone(),
        stop_rx.clone(),
    ));
    tasks.spawn(sweep_reminders(
        ctx.clone(),
        cfg.reminder_every,
        wake.clone(),
        stop_rx.clone(),
    ));

    ServiceStarted {
        listen: &listen,
        mode: match cfg.mode {
            Mode::Webhook => "webhook",
            Mode::Polling => "polling",
        },
        offline: cfg.telegram.is_none(),
    }
    .emit();

    let routes = crate::http::routes(state);
    let mut http_stop = stop_rx.clone();
    let server =
        shared::http_server::serve(listener, warp::service(routes), cfg.http, async move {
            let _ = http_stop.wait_for(|s| *s).await;
        });
    let server = tokio::spawn(server);
    shutdown.await;
    tracing::info!(event = "service_stopping", "Shutting down");
    let _ = stop_tx.send(true);
    // One deadline for everything: HTTP drains within the grace (the server enforces it), and
    // the background tasks (a send to Telegram, a long poll, a prune batch) get what is left of
    // it. A task still running then is aborted: its transaction rolls back, and a message sent
    // but not yet marked is sent again after the restart, as after a crash.
    let deadline = tokio::time::Instant::now() + cfg.http.shutdown_grace;
    let _ = server.await;
    let drained = tokio::time::timeout_at(deadline, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            event = "shutdown_deadline",
            tasks = tasks.len(),
            grace_seconds = cfg.http.shutdown_grace.as_secs(),
            "Background tasks still running at the shutdown deadline; aborting them"
        );
        tasks.shutdown().await;
    }
    Ok(())
}

/// `webhook_insecure_open`, at start and every [`INSECURE_WARNING_EVERY`] until shutdown.
async fn warn_insecure_open(listen: String, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        WebhookInsecureOpen { listen: &listen }.emit();
        tokio::select! {
            () = tokio::time::sleep(INSECURE_WARNING_EVERY) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Tells Telegram where to deliver updates, with the secret it must send back. A failure is
/// logged, not fatal: the webhook may already be registered, and `/ready` does not depend on it.
async fn register_webhook(api: BotApi, url: String, secret: SecretString) {
    let params = serde_json::json!({
        "url": url,
        "secret_token": secret.expose_secret(),
        "allowed_updates": ["message", "callback_query"],
    });
    match api.call("setWebhook", &params, None).await {
        Ok(_) => {
            tracing::info!(event = "webhook_registered", url = %url, "Webhook registered with Telegram")
        }
        Err(e) => {
            tracing::warn!(event = "webhook_registration_failed", url = %url, error = %e, "setWebhook failed")
        }
    }
}

/// Runs [`crate::reminders::sweep`] every `every` until shutdown.
async fn sweep_reminders(
    ctx: BotContext,
    every: Duration,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        match crate::reminders::sweep(&ctx).await {
            Ok(n) if n > 0 => wake.notify_waiters(),
            Ok(_) => {}
            Err(e) => DatabaseUnavailable {
                during: "reminder sweep",
                error: &e.to_string(),
                retry_in_ms: u64::try_from(every.as_millis()).unwrap_or(u64::MAX),
            }
            .emit(),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
    }
}
