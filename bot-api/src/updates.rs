//! Where an update enters.
//!
//! Contract used by the transports (webhook, polling, terminal chat):
//! `process_update` opens one transaction, records `update_id` (a duplicate returns
//! [`Outcome::Duplicate`] with no effect), applies the command, enqueues every reply and
//! notification in the outbox, and commits. Only after the commit are the collected
//! [`crate::events`] emitted (logs + metrics), so a rolled-back update counts nothing.
//! The `bot_api_telegram_updates_total{outcome}` counter is the transport's job.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use sqlx::{PgConnection, PgPool};

use crate::commands::{self, Command, Parsed};
use crate::config::BookingRules;
use crate::effects::{Effects, Event};
use crate::events::access::RbacDeny;
use crate::events::booking::{BookingFailed, FailureReason};
use crate::events::service::{OutboxChatFull, UpdateDeadLettered};
use crate::metrics::Metrics;
use crate::rbac::{self, Actor, Role};
use crate::telegram::types::{Update, User};
use crate::throttle::{SLOW_DOWN, Throttle, Verdict};
use crate::{blocks, booking, browse, masters, outbox, schedule};

/// What the update handler needs.
#[derive(Debug, Clone)]
pub struct BotContext {
    /// The database.
    pub pool: PgPool,
    /// Booking rules from configuration.
    pub rules: BookingRules,
    /// Telegram ids of admins (`BOT_ADMIN_IDS`).
    pub admins: Arc<HashSet<i64>>,
    /// Where events are counted.
    pub metrics: Arc<Metrics>,
    /// Flood control per user and the outbox's per-chat cap.
    pub throttle: Arc<Throttle>,
}

/// What happened to one update (defined beside its event, which counts it by outcome).
pub use crate::events::service::Outcome;

/// Why an update could not be processed; nothing of it was committed. A
/// [transient](UpdateError::is_transient) one is retried (the webhook answers 503 so Telegram
/// retries); any other is [dead-lettered](dead_letter) so it does not hold back the updates
/// after it.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The database failed or was unreachable.
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

impl UpdateError {
    /// Whether trying again later may succeed: the connection, not the update, is at fault
    /// (pool timeout, connection refused or reset, the server shutting down or out of
    /// connections) or the transaction lost a serialization race or a deadlock.
    pub fn is_transient(&self) -> bool {
        let Self::Database(e) = self;
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::BeginFailed => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|c| {
                // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect
                // now; 53300: too many connections; 40001/40P01: serialization failure,
                // deadlock.
                c.starts_with("08")
                    || matches!(
                        &*c,
                        "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01"
                    )
            }),
            _ => false,
        }
    }
}

/// Stores an update that failed with a permanent error in `dead_letter_updates` together with
/// its error, and records its `update_id` as processed (one statement, one transaction), so
/// neither Telegram nor polling offers it again. `payload` is the update's JSON text.
pub async fn dead_letter(
    pool: &PgPool,
    update_id: i64,
    payload: &str,
    error: &str,
    transport: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH pu AS (INSERT INTO processed_updates (update_id) VALUES ($1) ON CONFLICT DO NOTHING) \
         INSERT INTO dead_letter_updates (update_id, payload, error, transport) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (update_id) DO NOTHING",
    )
    .bind(update_id)
    .bind(clean(payload))
    .bind(clean(error))
    .bind(transport)
    .execute(pool)
    .await?;
    Ok(())
}

/// What a transport does with a failed update. A transient error comes back to be retried. Any
/// other is logged once with its causes and `update_id`, [dead-lettered](dead_letter) and
/// counted; `Ok` then means the update is settled and the next one can be handled. If storing
/// it fails too, that error comes back (the update is retried and classified again).
pub async fn settle_failure(
    ctx: &BotContext,
    update_id: i64,
    payload: &str,
    err: UpdateError,
    transport: &'static str,
) -> Result<(), UpdateError> {
    if err.is_transient() {
        return Err(err);
    }
    let error = shared::error::error_chain(&err);
    dead_letter(&ctx.pool, update_id, payload, &error, transport).await?;
    UpdateDeadLettered {
        update_id,
        transport,
        error: &error,
    }
    .emit(&ctx.metrics);
    Ok(())
}

/// The parts of an update the bot acts on.
struct Input<'a> {
    from: &'a User,
    chat_id: i64,
    text: &'a str,
    callback_query_id: Option<&'a str>,
}

/// PostgreSQL text and jsonb cannot hold NUL; a NUL echoed into a reply would fail the
/// update on every redelivery, so it is replaced on the way in.
fn clean(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{fffd}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Picks out a private, human, textual message or button press; `None` for everything else.
fn input(update: &Update) -> Option<Input<'_>> {
    if let Some(m) = &update.message {
        let from = m.from.as_ref().filter(|u| !u.is_bot)?;
        if m.chat.kind != "private" {
            return None;
        }
        return Some(Input {
            from,
            chat_id: m.chat.id,
            text: m.text.as_deref()?,
            callback_query_id: None,
        });
    }
    let q = update.callback_query.as_ref()?;
    if q.from.is_bot || q.message.as_ref().is_some_and(|m| m.chat.kind != "private") {
        return None;
    }
    Some(Input {
        from: &q.from,
        // In a private chat the chat id is the user id.
        chat_id: q.message.as_ref().map_or(q.from.id, |m| m.chat.id),
        text: q.data.as_deref()?,
        callback_query_id: Some(q.id.as_str()),
    })
}

/// Processes one update exactly once.
pub async fn process_update(ctx: &BotContext, update: &Update) -> Result<Outcome, UpdateError> {
    const RECORD: &str = "INSERT INTO processed_updates (update_id) VALUES ($1) \
                          ON CONFLICT DO NOTHING RETURNING update_id";
    let Some(input) = input(update) else {
        // Autocommit: recording the id is the only effect.
        let fresh: Option<i64> = sqlx::query_scalar(RECORD)
            .bind(update.update_id)
            .fetch_optional(&ctx.pool)
            .await?;
        return Ok(if fresh.is_some() {
            Outcome::Ignored
        } else {
            Outcome::Duplicate
        });
    };
    if !ctx.admins.contains(&input.from.id)
        && let Verdict::Throttle { reply } = ctx.throttle.check(input.from.id)
    {
        return throttled(ctx, update.update_id, input.chat_id, reply).await;
    }
    let mut tx = ctx.pool.begin().await?;
    let Some(actor) = record_and_register(&mut tx, ctx, update.update_id, &input).await? else {
        return Ok(Outcome::Duplicate);
    };
    let mut fx = Effects::new(input.chat_id, input.callback_query_id);
    let text = clean(input.text);
    let parsed = if input.callback_query_id.is_some() {
        commands::parse_callback(&text)
    } else {
        commands::parse_text(&text)
    };
    dispatch(ctx, &mut tx, &actor, parsed, &mut fx).await?;
    let cap = ctx.throttle.limits.outbox_max_pending_per_chat;
    let dropped = outbox::enqueue_capped(&mut tx, &fx.out, cap).await?;
    tx.commit().await?;
    for e in &fx.events {
        e.emit(&ctx.metrics);
    }
    if dropped > 0 {
        OutboxChatFull {
            chat_id: input.chat_id,
            update_id: update.update_id,
            dropped,
            cap,
        }
        .emit();
    }
    Ok(Outcome::Processed)
}

/// A throttled update in one statement: its id recorded as processed and, for the first of a
/// stretch, the "slow down" reply enqueued. A redelivered one is a duplicate.
async fn throttled(
    ctx: &BotContext,
    update_id: i64,
    chat_id: i64,
    reply: bool,
) -> Result<Outcome, UpdateError> {
    let msg = outbox::Outgoing::message(chat_id, SLOW_DOWN, None);
    let fresh: bool = sqlx::query_scalar(
        "WITH pu AS (INSERT INTO processed_updates (update_id) VALUES ($1) \
                     ON CONFLICT DO NOTHING RETURNING update_id), \
              r AS (INSERT INTO outbox (chat_id, method, payload) \
                    SELECT $2, $3, $4 FROM pu WHERE $5 RETURNING id) \
         SELECT EXISTS (SELECT 1 FROM pu)",
    )
    .bind(update_id)
    .bind(chat_id)
    .bind(msg.method)
    .bind(&msg.payload)
    .bind(reply)
    .fetch_one(&ctx.pool)
    .await?;
    Ok(if fresh {
        Outcome::Throttled
    } else {
        Outcome::Duplicate
    })
}

/// Records `update_id` and registers or refreshes the sender, computing their role, in one
/// round trip; `None` when the update was already processed. The user row is only rewritten
/// when something changed, so a regular user costs no write; either way `ON CONFLICT DO
/// UPDATE` locks it until the commit, which serialises one user's updates (the client's
/// booking limit relies on that).
async fn record_and_register(
    conn: &mut PgConnection,
    ctx: &BotContext,
    update_id: i64,
    input: &Input<'_>,
) -> Result<Option<Actor>, sqlx::Error> {
    let from = input.from;
    let (fresh, user_id, master_id): (bool, Option<i64>, Option<i64>) = sqlx::query_as(
        "WITH pu AS ( \
           INSERT INTO processed_updates (update_id) VALUES ($5) \
           ON CONFLICT DO NOTHING RETURNING update_id), \
         ins AS ( \
           INSERT INTO users (telegram_id, chat_id, username, first_name) \
           SELECT $1::bigint, $2::bigint, $3::text, $4::text FROM pu \
           ON CONFLICT (telegram_id) DO UPDATE SET chat_id = EXCLUDED.chat_id, \
             username = EXCLUDED.username, first_name = EXCLUDED.first_name, updated_at = now() \
           WHERE (users.chat_id, users.username, users.first_name) \
             IS DISTINCT FROM (EXCLUDED.chat_id, EXCLUDED.username, EXCLUDED.first_name) \
           RETURNING id), \
         u AS (SELECT id FROM ins UNION ALL SELECT id FROM users WHERE telegram_id = $1 LIMIT 1) \
         SELECT EXISTS (SELECT 1 FROM pu), u.id, m.id FROM (SELECT 1) AS one \
         LEFT JOIN u ON TRUE LEFT JOIN masters m ON m.user_id = u.id AND m.active",
    )
    .bind(from.id)
    .bind(input.chat_id)
    .bind(from.username.as_deref().map(clean))
    .bind(clean(&from.first_name))
    .bind(update_id)
    .fetch_one(&mut *conn)
    .await?;
    if !fresh {
        return Ok(None);
    }
    let (user_id, master_id) = match user_id {
        Some(id) => (id, master_id),
        // The user's first updates raced: the other insert committed after this statement's
        // snapshot was taken (the row is locked for us now). A new statement sees it.
        None => {
            sqlx::query_as(
                "SELECT u.id, m.id FROM users u \
                 LEFT JOIN masters m ON m.user_id = u.id AND m.active WHERE u.telegram_id = $1",
            )
            .bind(from.id)
            .fetch_one(&mut *conn)
            .await?
        }
    };
    Ok(Some(Actor {
        user_id,
        telegram_id: from.id,
        chat_id: input.chat_id,
        role: Role::of(ctx.admins.contains(&from.id), master_id.is_some()),
        master_id,
    }))
}

async fn dispatch(
    ctx: &BotContext,
    conn: &mut PgConnection,
    actor: &Actor,
    parsed: Parsed,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let name = match &parsed {
        Parsed::NotACommand => {
            fx.reply("I understand commands only. Send /help to see what you can do.");
            return Ok(());
        }
        Parsed::Unknown => {
            fx.reply("I do not know that command. Send /help to see what you can do.");
            return Ok(());
        }
        Parsed::Command(c) => c.name(),
        Parsed::Malformed(m) => m.command,
    };
    // Role before syntax: a client learns nothing about the form of master commands.
    if let Err(denial) = rbac::authorize(actor, name) {
        fx.event(Event::Deny(RbacDeny {
            actor_telegram_id: actor.telegram_id,
            role: actor.role.as_str(),
            command: name,
        }));
        fx.reply(denial.message);
        return Ok(());
    }
    let cmd = match parsed {
        Parsed::Command(c) => c,
        Parsed::Malformed(m) => {
            if m.command == "book" {
                fx.event(Event::Failed(BookingFailed {
                    reason: FailureReason::InvalidInput,
                    master_id: None,
                    client_telegram_id: actor.telegram_id,
                }));
            }
            fx.reply(m.reply());
            return Ok(());
        }
        Parsed::NotACommand | Parsed::Unknown => return Ok(()),
    };
    run(ctx, conn, actor, cmd, fx).await
}

async fn run(
    ctx: &BotContext,
    conn: &mut PgConnection,
    actor: &Actor,
    cmd: Command,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let rules = &ctx.rules;
    match cmd {
        Command::Start => {
            fx.reply(format!(
                "Welcome! You are registered as {}.\n\n{}",
                actor.role.as_str(),
                rbac::help_text(actor)
            ));
            Ok(())
        }
        Command::Help => {
            fx.reply(rbac::help_text(actor));
            Ok(())
        }
        Command::Masters => browse::masters(conn, fx).await,
        Command::PickDay { master_id } => browse::pick_day(conn, rules, master_id, fx).await,
        Command::Slots { master_id, date } => browse::slots(conn, rules, master_id, date, fx).await,
        Command::ConfirmPrompt {
            master_id,
            date,
            time,
            later,
        } => browse::confirm_prompt(conn, master_id, date, (time, later), fx).await,
        Command::Book {
            master_id,
            date,
            time,
            later,
        } => booking::book(conn, rules, actor, master_id, date, (time, later), fx).await,
        Command::My => browse::my(conn, actor, fx).await,
        Command::Cancel { booking_id } => booking::cancel(conn, rules, actor, booking_id, fx).await,
        Command::Agenda { date } => browse::agenda(conn, actor, date, fx).await,
        Command::Hours { days, hours } => schedule::hours(conn, actor, days, hours, fx).await,
        Command::Block { date, range } => blocks::block(conn, actor, date, range, fx).await,
        Command::Blocks => blocks::blocks(conn, actor, fx).await,
        Command::Unblock { block_id } => blocks::unblock(conn, actor, block_id, fx).await,
        Command::Timezone { tz } => schedule::timezone(conn, actor, tz, fx).await,
        Command::AddMaster { telegram_id, name } => {
            masters::add_master(conn, rules, actor, telegram_id, &name, fx).await
        }
        Command::RemoveMaster { master_id, confirm } => {
            masters::remove_master(conn, actor, master_id, confirm, fx).await
        }
    }
}
