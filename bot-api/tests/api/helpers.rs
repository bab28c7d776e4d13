//! The one harness of the bot-api tests. Here: who the test users are, fresh update ids, the
//! one [`BotContext`] builder, synthetic updates, replies' `#id`s, dates and scrape samples.
//! Below: [`app`] serves the real routes on port 0, [`bot`] drives the update handler
//! in-process, [`serve_bin`] runs the real binary, [`scenario`] is the scripted conversation
//! the metrics and logs tests share. The local Bot API is `shared::testing::telegram`.

pub mod app;
pub mod bot;
pub mod scenario;
pub mod serve_bin;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use bot_api::config::{BookingRules, FloodLimits};
use bot_api::metrics::Metrics;
use bot_api::telegram::types::{CallbackQuery, Chat, Message, Update, User};
use bot_api::throttle::Throttle;
use bot_api::updates::BotContext;
use chrono::{NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

pub use app::wait_outbox_settled;
pub use app::{AppOptions, fast_sender, outbox_rows, spawn_app, spawn_app_on};
pub use bot::{Bot, bot, bot_with};

/// The admin of every bot under test (beyond 32 bits on purpose).
pub const ADMIN: i64 = 9_000_000_001;
/// The master of a test (made one by [`Bot::master`] or the scenario).
pub const MASTER: i64 = 7_000_000_002;
/// A client.
pub const CLIENT: i64 = 5_000_000_003;
/// Another client.
pub const OTHER: i64 = 5_000_000_004;
/// A well-formed bot token; the Bot API stand-in is started expecting it in the URL.
pub const TOKEN: &str = "123456789:AAHfakeTokenForTests_abcdefghijklmnopq";
/// The webhook secret of the apps under test.
pub const SECRET: &str = "webhook-secret-under-test";

static NEXT_UPDATE: AtomicI64 = AtomicI64::new(1_000_000);

/// A fresh update id, unique within the test binary.
pub fn uid() -> i64 {
    NEXT_UPDATE.fetch_add(1, Ordering::Relaxed)
}

/// The bot's context on `pool`: `rules`, [`ADMIN`] as the only admin, fresh metrics, and no
/// flood control (tests talk fast; the flood tests use [`context_with`]).
pub fn context(pool: &PgPool, rules: BookingRules) -> BotContext {
    context_with(
        pool,
        rules,
        FloodLimits {
            user_updates_per_minute: 0,
            outbox_max_pending_per_chat: 0,
            ..FloodLimits::default()
        },
    )
}

/// [`context`] with these flood limits.
pub fn context_with(pool: &PgPool, rules: BookingRules, flood: FloodLimits) -> BotContext {
    BotContext {
        pool: pool.clone(),
        rules,
        admins: Arc::new(HashSet::from([ADMIN])),
        metrics: Arc::new(Metrics::new()),
        throttle: Arc::new(Throttle::new(flood)),
    }
}

/// A private text message update from `from`, as the webhook receives it (JSON).
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

fn user(id: i64) -> User {
    User {
        id,
        is_bot: false,
        first_name: format!("User{id}"),
        username: None,
    }
}

fn private_chat(id: i64) -> Chat {
    Chat {
        id,
        kind: "private".into(),
    }
}

/// A private text message from `from`, as the update handler takes it.
pub fn text_update(update_id: i64, from: i64, text: &str) -> Update {
    Update {
        update_id,
        message: Some(Message {
            message_id: update_id,
            from: Some(user(from)),
            chat: private_chat(from),
            text: Some(text.into()),
        }),
        ..Update::default()
    }
}

/// A button press by `from` with `data`.
pub fn press_update(update_id: i64, from: i64, data: &str) -> Update {
    Update {
        update_id,
        callback_query: Some(CallbackQuery {
            id: format!("cq{update_id}"),
            from: user(from),
            message: Some(Message {
                message_id: 1,
                from: None,
                chat: private_chat(from),
                text: Some("menu".into()),
            }),
            data: Some(data.into()),
        }),
        ..Update::default()
    }
}

/// The first `#<id>` in a reply.
pub fn first_id(text: &str) -> i64 {
    let digits: String = text
        .split_once('#')
        .unwrap_or_else(|| panic!("no #id in {text:?}"))
        .1
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no #id in {text:?}"))
}

/// The date `days` from today in Berlin (the default zone).
pub fn day(days: i64) -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive()
        + chrono::Duration::days(days)
}

/// The value of sample `name{labels}` in a scrape, 0 when absent (a counter not yet moved).
pub fn sample(scrape: &str, series: &str) -> f64 {
    shared::testing::prom::sample(scrape, series).unwrap_or(0.0)
}
