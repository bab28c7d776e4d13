//! Where an update enters.
//!
//! Contract used by the transports (webhook, polling, terminal chat):
//! `process_update` opens one transaction, records `update_id` (a duplicate returns
//! [`Outcome::Duplicate`] with no effect), applies the command, enqueues every reply and
//! notification in the outbox, and commits. Only after the commit are the collected
//! [`crate::events`] emitted (logs + metrics), so a rolled-back update counts nothing.
//! The `bot_api_telegram_updates_total{outcome}` counter is the transport's job.
//!
//! The handler's parts: `context` (what it needs), `failure` (transient errors and dead
//! letters) and `dispatch` (routing a command to the module that owns it).

mod context;
mod dispatch;
mod failure;

use sqlx::PgConnection;

use self::dispatch::dispatch;
use self::failure::clean;
use crate::commands;
use crate::effects::Effects;
use crate::events::service::OutboxChatFull;
use crate::outbox;
use crate::rbac::{Actor, Role};
use crate::telegram::types::{Update, User};
use crate::throttle::{SLOW_DOWN, Verdict};

pub use self::context::BotContext;
pub use self::failure::{UpdateError, dead_letter, settle_failure};

/// What happened to one update (defined beside its event, which counts it by outcome).
pub use crate::events::service::Outcome;

/// The parts of an update the bot acts on.
struct Input<'a> {
    from: &'a User,
    chat_id: i64,
    text: &'a str,
    callback_query_id: Option<&'a str>,
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
    let counted = !ctx.admins.contains(&input.from.id);
    if counted && let Verdict::Throttle { reply } = ctx.throttle.check(input.from.id) {
        return throttled(ctx, update.update_id, input.chat_id, reply).await;
    }
    let applied = apply(ctx, update, &input).await;
    if counted && applied.is_err() {
        // Nothing of it was committed: its retry (Telegram's redelivery, the poller's next
        // attempt) is the same message, not another one from the user.
        ctx.throttle.refund(input.from.id);
    }
    applied
}

/// The transaction of one update: record its id, register its sender, run the command,
/// enqueue the replies, commit; then the events.
async fn apply(
    ctx: &BotContext,
    update: &Update,
    input: &Input<'_>,
) -> Result<Outcome, UpdateError> {
    let mut tx = ctx.pool.begin().await?;
    let Some(actor) = record_and_register(&mut tx, ctx, update.update_id, input).await? else {
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
