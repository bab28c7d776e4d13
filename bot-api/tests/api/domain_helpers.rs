//! Shared helpers of the domain tests: a bot context on a fresh database, synthetic updates,
//! and readers of the outbox, so each test reads as a conversation.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use bot_api::config::BookingRules;
use bot_api::metrics::Metrics;
use bot_api::telegram::types::{CallbackQuery, Chat, Message, Update, User};
use bot_api::updates::{BotContext, Outcome, process_update};
use chrono::{NaiveDate, Utc};
use serde_json::Value;
use shared::testing::{TestDb, test_db};

/// The admin's Telegram id (beyond 32 bits on purpose).
pub const ADMIN: i64 = 9_000_000_001;
/// A future master.
pub const MASTER: i64 = 7_000_000_002;
/// A client.
pub const CLIENT: i64 = 5_000_000_003;
/// Another client.
pub const OTHER: i64 = 5_000_000_004;

static NEXT_UPDATE: AtomicI64 = AtomicI64::new(1);

/// A fresh update id.
pub fn next_update_id() -> i64 {
    NEXT_UPDATE.fetch_add(1, Ordering::Relaxed)
}

/// A bot on its own database.
pub struct Bot {
    /// The database (kept alive with the bot).
    pub db: TestDb,
    /// What `process_update` gets.
    pub ctx: BotContext,
}

/// A bot with default rules and [`ADMIN`] as admin.
pub async fn bot() -> Bot {
    bot_with(BookingRules::default()).await
}

/// A bot with the given rules.
pub async fn bot_with(rules: BookingRules) -> Bot {
    let db = test_db().await;
    let ctx = BotContext {
        pool: db.pool.clone(),
        rules,
        admins: Arc::new(HashSet::from([ADMIN])),
        metrics: Arc::new(Metrics::new()),
    };
    Bot { db, ctx }
}

fn user(id: i64) -> User {
    User {
        id,
        is_bot: false,
        first_name: format!("User{id}"),
        username: None,
    }
}

/// A private text message from `from`.
pub fn text_update(update_id: i64, from: i64, text: &str) -> Update {
    Update {
        update_id,
        message: Some(Message {
            message_id: update_id,
            from: Some(user(from)),
            chat: Chat {
                id: from,
                kind: "private".into(),
            },
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
                chat: Chat {
                    id: from,
                    kind: "private".into(),
                },
                text: Some("menu".into()),
            }),
            data: Some(data.into()),
        }),
        ..Update::default()
    }
}

impl Bot {
    /// Processes `update`, panicking on a database error.
    pub async fn process(&self, update: &Update) -> Outcome {
        process_update(&self.ctx, update)
            .await
            .expect("update processed")
    }

    /// Sends `text` as `from` and returns the text of the reply to `from`.
    pub async fn say(&self, from: i64, text: &str) -> String {
        let outcome = self
            .process(&text_update(next_update_id(), from, text))
            .await;
        assert_eq!(outcome, Outcome::Processed, "{text}");
        self.last_text(from).await
    }

    /// Presses a button as `from` and returns the text of the reply to `from`.
    pub async fn press(&self, from: i64, data: &str) -> String {
        let outcome = self
            .process(&press_update(next_update_id(), from, data))
            .await;
        assert_eq!(outcome, Outcome::Processed, "{data}");
        self.last_text(from).await
    }

    /// Every outbox row for `chat`, oldest first: (method, payload).
    pub async fn outbox(&self, chat: i64) -> Vec<(String, Value)> {
        sqlx::query_as("SELECT method, payload FROM outbox WHERE chat_id = $1 ORDER BY id")
            .bind(chat)
            .fetch_all(&self.db.pool)
            .await
            .unwrap()
    }

    /// The text of the newest message to `chat` ("" if none).
    pub async fn last_text(&self, chat: i64) -> String {
        self.outbox(chat)
            .await
            .iter()
            .rev()
            .find(|(m, _)| m == "sendMessage")
            .and_then(|(_, p)| p["text"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Number of outbox rows.
    pub async fn outbox_len(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// Makes [`MASTER`] a master working 08:00-20:00 every day; returns the master id.
    pub async fn master(&self) -> i64 {
        self.master_as(MASTER, "Anna Smith").await
    }

    /// Makes `telegram_id` a master working 08:00-20:00 every day; returns the master id.
    pub async fn master_as(&self, telegram_id: i64, name: &str) -> i64 {
        self.say(telegram_id, "/start").await;
        let reply = self
            .say(ADMIN, &format!("/addmaster {telegram_id} {name}"))
            .await;
        let id = first_id(&reply);
        let set = self.say(telegram_id, "/hours mon-sun 08:00-20:00").await;
        assert!(set.contains("set to 08:00-20:00"), "{set}");
        id
    }

    /// Number of confirmed bookings.
    pub async fn confirmed(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM bookings WHERE status = 'confirmed'")
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// `bot_api_booking_failures_total{reason}`.
    pub fn failures(&self, reason: &str) -> u64 {
        self.ctx
            .metrics
            .booking_failures
            .with_label_values(&[reason])
            .get()
    }
}

/// The first `#<id>` in a reply.
pub fn first_id(text: &str) -> i64 {
    let start = text
        .find('#')
        .unwrap_or_else(|| panic!("no #id in {text:?}"))
        + 1;
    text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
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
