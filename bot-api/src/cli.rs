//! What each subcommand does: `serve` (migrate, then listen), `migrate`, `chat`.
//!
//! Webhook secret policy (see [`webhook_auth`]): with a bot token, webhook mode refuses to
//! start without `TELEGRAM_WEBHOOK_SECRET`; offline (no token) the webhook takes requests
//! without a secret header, for local trials, but only on a loopback address unless
//! `BOT_INSECURE_OPEN_WEBHOOK` says otherwise.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use shared::config::{DatabaseArgs, ENV_EXAMPLE, LogArgs, Secret, refuse_placeholder};
use sqlx::{Connection, PgConnection, PgPool};

use crate::config::{BotArgs, ChatArgs, Cli, Command, MigrateArgs, Mode, ServeArgs};
use crate::events::service::DatabaseUnavailable;
use crate::http::WebhookAuth;
use crate::metrics::Metrics;
use crate::server::{self, ServerConfig};
use crate::telegram::client::BotApi;
use crate::throttle::Throttle;
use crate::updates::BotContext;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    refuse_placeholders(&cli.command)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve(cli.log, args)),
        Command::Migrate(args) => runtime.block_on(migrate(cli.log, args)),
        Command::Chat(args) => runtime.block_on(chat(args)),
    }?;
    Ok(ExitCode::SUCCESS)
}

/// Refuses, before anything starts, a secret setting still holding the placeholder of
/// `compose/.env.example`: a stack must not run on a password published in the repository.
pub fn refuse_placeholders(command: &Command) -> anyhow::Result<()> {
    let db = match command {
        Command::Serve(a) => &a.db,
        Command::Chat(a) => &a.db,
        Command::Migrate(a) => &a.db,
    };
    db.refuse_placeholder()?;
    if let Command::Serve(a) = command {
        for (setting, value) in [
            ("TELEGRAM_BOT_TOKEN", &a.telegram.token),
            ("TELEGRAM_WEBHOOK_SECRET", &a.telegram.webhook_secret),
        ] {
            if let Some(v) = value {
                refuse_placeholder(setting, Secret::Whole(v.expose_secret()), ENV_EXAMPLE)?;
            }
        }
    }
    Ok(())
}

/// Webhook authentication for this configuration, or why it cannot start. Without a secret
/// (and without a token) the webhook is open: only on a loopback `listen` address, or on any
/// address with `insecure_open` (`BOT_INSECURE_OPEN_WEBHOOK`), so it never fails open by
/// accident.
pub fn webhook_auth(
    mode: Mode,
    token: Option<&SecretString>,
    secret: Option<&SecretString>,
    listen: SocketAddr,
    insecure_open: bool,
) -> anyhow::Result<WebhookAuth> {
    match (secret, token) {
        (Some(s), _) if s.expose_secret().is_empty() => {
            anyhow::bail!("TELEGRAM_WEBHOOK_SECRET is set but empty")
        }
        (Some(s), _) => Ok(WebhookAuth::Secret(s.clone())),
        (None, None) if listen.ip().is_loopback() || insecure_open => Ok(WebhookAuth::Open),
        (None, None) => anyhow::bail!(
            "TELEGRAM_WEBHOOK_SECRET is required when BOT_API_LISTEN ({listen}) is not a loopback \
             address: without it anyone who reaches the webhook could post updates as any user. \
             Set it, listen on 127.0.0.1, or accept the risk with BOT_INSECURE_OPEN_WEBHOOK=true"
        ),
        (None, Some(_)) if mode == Mode::Webhook => anyhow::bail!(
            "TELEGRAM_WEBHOOK_SECRET is required in webhook mode when TELEGRAM_BOT_TOKEN is set \
             (without it anyone could post updates in the bot's name); set it, or use BOT_MODE=polling"
        ),
        (None, Some(_)) => Ok(WebhookAuth::Closed),
    }
}

fn secrets(args: &ServeArgs) -> Vec<String> {
    let mut s = Vec::new();
    if let Some(t) = &args.telegram.token {
        s.push(t.expose_secret().to_owned());
    }
    if let Some(w) = &args.telegram.webhook_secret {
        s.push(w.expose_secret().to_owned());
    }
    let url = args.db.database_url.expose_secret();
    s.extend(shared::config::url_secret_literals(url));
    s.push(url.to_owned());
    s
}

fn context(db: &DatabaseArgs, bot: &BotArgs) -> anyhow::Result<BotContext> {
    Ok(BotContext {
        pool: shared::db::pool(&db.database_url, db.max_connections)?,
        rules: bot.rules.clone(),
        admins: Arc::new(bot.admins()),
        metrics: Arc::new(Metrics::new()),
        throttle: Arc::new(Throttle::new(bot.flood)),
    })
}

/// Applies migrations once the database accepts connections, waiting (with the driver's
/// reason logged: refused, authentication failed, unknown database…) while it does not. A
/// failure of the migrations themselves on a reachable database is an error, not a wait.
async fn migrate_when_reachable(url: &SecretString, pool: &PgPool) -> anyhow::Result<()> {
    let opts = shared::db::connect_options(url)?;
    let mut delay = Duration::from_secs(1);
    loop {
        let probe =
            tokio::time::timeout(Duration::from_secs(5), PgConnection::connect_with(&opts)).await;
        let reason = match probe {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                return shared::db::migrate(pool).await;
            }
            // Waiting cannot fix a malformed setting; its text may quote the URL, so it is
            // not echoed.
            Ok(Err(sqlx::Error::Configuration(_))) => {
                anyhow::bail!("DATABASE_URL cannot be used to connect (check its form)")
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => "no answer within 5 s".to_owned(),
        };
        DatabaseUnavailable {
            during: "applying migrations at startup",
            error: &reason,
            retry_in_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
        }
        .emit();
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

async fn serve(log: LogArgs, args: ServeArgs) -> anyhow::Result<()> {
    let auth = webhook_auth(
        args.mode,
        args.telegram.token.as_ref(),
        args.telegram.webhook_secret.as_ref(),
        args.listen,
        args.insecure_open_webhook,
    )?;
    let insecure_open = matches!(auth, WebhookAuth::Open) && !args.listen.ip().is_loopback();
    let mut log = log;
    if args.observability_off {
        // Benchmarks only: request and booking lines are info; warnings still show.
        log.log_level = "warn".into();
    }
    let guard = shared::telemetry::init("bot-api", &log, secrets(&args))?;
    let ctx = context(&args.db, &args.bot)?;
    let telegram = match &args.telegram.token {
        Some(token) => Some(BotApi::new(
            &args.telegram.api_base,
            token.clone(),
            Duration::from_secs(10),
        )?),
        None => None,
    };
    migrate_when_reachable(&args.db.database_url, &ctx.pool).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding BOT_API_LISTEN {}", args.listen))?;
    let mut cfg = ServerConfig::new(args.mode, telegram, auth);
    cfg.observability = !args.observability_off;
    cfg.dropped_lines = guard.dropped_counter();
    cfg.webhook_url = args.telegram.webhook_url.clone();
    cfg.insecure_open_webhook = insecure_open;
    cfg.retention.processed_updates =
        Duration::from_secs(u64::from(args.retain_processed_updates_days) * 86_400);
    cfg.retention.outbox = Duration::from_secs(u64::from(args.retain_outbox_days) * 86_400);
    cfg.http = args.http.limits();
    server::run(listener, ctx, cfg, shared::shutdown::signal()).await?;
    drop(guard);
    Ok(())
}

async fn migrate(log: LogArgs, args: MigrateArgs) -> anyhow::Result<()> {
    let mut secrets = shared::config::url_secret_literals(args.db.database_url.expose_secret());
    secrets.push(args.db.database_url.expose_secret().to_owned());
    let _guard = shared::telemetry::init("bot-api", &log, secrets)?;
    let pool = shared::db::pool(&args.db.database_url, 1)?;
    shared::db::migrate(&pool).await?;
    tracing::info!(event = "migrations_applied", "Database migrations applied");
    Ok(())
}

async fn chat(args: ChatArgs) -> anyhow::Result<()> {
    // No log subscriber: the terminal is the conversation.
    let ctx = context(&args.db, &args.bot)?;
    shared::db::migrate(&ctx.pool).await?;
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let mut stdout = std::io::stdout();
    crate::chat::run(&ctx, args.as_user, stdin, &mut stdout).await
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
