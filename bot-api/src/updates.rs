//! Where an update enters.
//!
//! Contract used by the transports (webhook, polling, terminal chat):
//! `process_update` registers the sender, lets the command read and decide (preparing the
//! replies of each outcome its write can reach), then runs one statement that records
//! `update_id` (a duplicate returns [`Outcome::Duplicate`] with no effect), makes the write and
//! enqueues the replies of the outcome reached ([`crate::writes`]). Only after it are that
//! outcome's [`crate::events`] emitted (logs + metrics), so a failed update counts nothing.
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
use crate::events::booking::{BookingSystemFailure, SystemFailureReason};
use crate::events::service::OutboxChatFull;
use crate::outbox;
use crate::rbac::{Actor, Role};
use crate::schedule::parse_tz;
use crate::telegram::types::{Update, User};
use crate::throttle::{SLOW_DOWN, Verdict};
use crate::writes::{self, Write};

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

/// How often an update is read and decided again when its write finds that what it read
/// changed meanwhile, before the update counts as failed (transient: it is retried later).
const DECIDE_ATTEMPTS: u32 = 3;

/// One update in at most three round trips: the sender registered (and a committed duplicate
/// recognised), the command's read, then one statement that records the update's id, makes
/// its write and enqueues its replies ([`writes::commit`]). Then the events. Nothing before
/// the last statement is an effect but the idempotent registration, so an update either
/// happened whole or not at all.
async fn apply(
    ctx: &BotContext,
    update: &Update,
    input: &Input<'_>,
) -> Result<Outcome, UpdateError> {
    let mut conn = ctx.pool.acquire().await?;
    let Some(actor) = register(&mut conn, ctx, update.update_id, input).await? else {
        return Ok(Outcome::Duplicate);
    };
    let text = clean(input.text);
    let cap = ctx.throttle.limits.outbox_max_pending_per_chat;
    let mut attempt = 1;
    loop {
        let mut fx = Effects::new(input.chat_id, input.callback_query_id);
        let parsed = if input.callback_query_id.is_some() {
            commands::parse_callback(&text)
        } else {
            commands::parse_text(&text)
        };
        dispatch(ctx, &mut conn, &actor, parsed, &mut fx).await?;
        let settled = writes::commit(
            &mut conn,
            update.update_id,
            fx.write.as_ref(),
            &fx.outbox_json(),
            cap,
        )
        .await;
        let settled = match settled {
            Ok(s) => s,
            Err(e) if writes::is_stale(&e) && attempt < DECIDE_ATTEMPTS => {
                attempt += 1;
                continue;
            }
            Err(e) => {
                if matches!(fx.write, Some(Write::Book { .. })) {
                    // What BookingFailureSpike watches for: a booking a database error broke.
                    BookingSystemFailure {
                        reason: SystemFailureReason::Database,
                    }
                    .emit(&ctx.metrics);
                }
                return Err(e.into());
            }
        };
        if settled.outcome == "duplicate" {
            return Ok(Outcome::Duplicate);
        }
        for e in fx.settle(&settled.outcome) {
            e.emit(&ctx.metrics);
        }
        if settled.dropped > 0 {
            OutboxChatFull {
                chat_id: input.chat_id,
                update_id: update.update_id,
                dropped: settled.dropped,
                cap,
            }
            .emit();
        }
        return Ok(Outcome::Processed);
    }
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

/// Registers or refreshes the sender and reads their role, in one round trip (autocommit: the
/// registration is idempotent, so it needs no transaction); `None` when the update was already
/// processed. A known user whose name and chat are unchanged is only read: even an
/// `ON CONFLICT DO UPDATE` that updates nothing locks the row, which is a WAL record and so a
/// WAL flush at the commit, once per update.
async fn register(
    conn: &mut PgConnection,
    ctx: &BotContext,
    update_id: i64,
    input: &Input<'_>,
) -> Result<Option<Actor>, sqlx::Error> {
    let from = input.from;
    type Row = (bool, Option<i64>, Option<i64>, Option<String>);
    let (done, user_id, master_id, tz): Row = sqlx::query_as(
        "WITH pu AS (SELECT EXISTS (SELECT 1 FROM processed_updates WHERE update_id = $5) AS done), \
         cur AS (SELECT id, (chat_id, username, first_name) \
                   IS NOT DISTINCT FROM ($2::bigint, $3::text, $4::text) AS same \
                 FROM users WHERE telegram_id = $1), \
         ins AS ( \
           INSERT INTO users (telegram_id, chat_id, username, first_name) \
           SELECT $1::bigint, $2::bigint, $3::text, $4::text FROM pu \
           WHERE NOT pu.done AND NOT EXISTS (SELECT 1 FROM cur WHERE cur.same) \
           ON CONFLICT (telegram_id) DO UPDATE SET chat_id = EXCLUDED.chat_id, \
             username = EXCLUDED.username, first_name = EXCLUDED.first_name, updated_at = now() \
           WHERE (users.chat_id, users.username, users.first_name) \
             IS DISTINCT FROM (EXCLUDED.chat_id, EXCLUDED.username, EXCLUDED.first_name) \
           RETURNING id), \
         u AS (SELECT id FROM ins UNION ALL SELECT id FROM cur LIMIT 1) \
         SELECT pu.done, u.id, m.id, m.time_zone FROM pu \
         LEFT JOIN u ON TRUE LEFT JOIN masters m ON m.user_id = u.id AND m.active",
    )
    .bind(from.id)
    .bind(input.chat_id)
    .bind(from.username.as_deref().map(clean))
    .bind(clean(&from.first_name))
    .bind(update_id)
    .fetch_one(&mut *conn)
    .await?;
    if done {
        return Ok(None);
    }
    let (user_id, master_id, tz) = match user_id {
        Some(id) => (id, master_id, tz),
        // The user's first updates raced: the other insert committed after this statement's
        // snapshot was taken. A new statement sees it.
        None => {
            sqlx::query_as(
                "SELECT u.id, m.id, m.time_zone FROM users u \
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
        master_tz: tz.as_deref().map(parse_tz),
    }))
}
