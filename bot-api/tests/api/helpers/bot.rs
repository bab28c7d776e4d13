//! The update handler in-process: a [`Bot`] on its own database that users talk to, and
//! readers of its outbox, so each domain test reads as a conversation.

use bot_api::config::BookingRules;
use bot_api::telegram::types::Update;
use bot_api::updates::{BotContext, Outcome, process_update};
use serde_json::Value;
use shared::testing::{TestDb, test_db};

use super::{ADMIN, MASTER, context, first_id, press_update, text_update, uid};

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
    let ctx = context(&db.pool, rules);
    Bot { db, ctx }
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
        let outcome = self.process(&text_update(uid(), from, text)).await;
        assert_eq!(outcome, Outcome::Processed, "{text}");
        self.last_text(from).await
    }

    /// Presses a button as `from` and returns the text of the reply to `from`.
    pub async fn press(&self, from: i64, data: &str) -> String {
        let outcome = self.process(&press_update(uid(), from, data)).await;
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
