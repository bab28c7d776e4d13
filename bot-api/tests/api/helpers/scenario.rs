//! One scripted conversation over real HTTP (for the metrics and logs tests): an admin adds a
//! master, the master sets hours, two clients book (two successes, a taken slot, a date in the
//! past), a client tries a master command (denial), cancels a booking, a duplicate update and a
//! webhook with a wrong secret.

use serde_json::Value;
use sqlx::PgPool;

use super::{ADMIN, CLIENT, MASTER, OTHER, SECRET, day, first_id, text, uid};

/// Posts updates to a webhook at `base` and reads replies from the database.
pub struct Driver<'a> {
    /// HTTP client.
    pub http: reqwest::Client,
    /// `http://host:port`.
    pub base: String,
    /// The app's database.
    pub pool: &'a PgPool,
}

impl Driver<'_> {
    /// Posts `body` with `secret` and returns the status.
    pub async fn post(&self, body: &Value, secret: &str) -> u16 {
        self.http
            .post(format!("{}/telegram/webhook", self.base))
            .header("X-Telegram-Bot-Api-Secret-Token", secret)
            .json(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Sends `text` as `from`, expecting 200, and returns the newest reply to `from`.
    pub async fn say(&self, from: i64, t: &str) -> String {
        assert_eq!(self.post(&text(uid(), from, t), SECRET).await, 200, "{t}");
        let reply: Option<Value> = sqlx::query_scalar(
            "SELECT payload FROM outbox WHERE chat_id = $1 AND method = 'sendMessage' \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(from)
        .fetch_optional(self.pool)
        .await
        .unwrap();
        reply
            .and_then(|p| p["text"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Runs the scenario; the counters it moves are listed in `metrics.rs`.
pub async fn run(d: &Driver<'_>) {
    d.say(ADMIN, "/start").await;
    d.say(MASTER, "/start").await;
    let added = d
        .say(ADMIN, &format!("/addmaster {MASTER} Anna Smith"))
        .await;
    let m = first_id(&added);
    let hours = d.say(MASTER, "/hours mon-sun 08:00-20:00").await;
    assert!(hours.contains("08:00-20:00"), "{hours}");
    d.say(CLIENT, "/start").await;
    let day = day(3);
    let booked = d.say(CLIENT, &format!("/book {m} {day} 10:00")).await;
    let booking = first_id(&booked);
    let second = d.say(CLIENT, &format!("/book {m} {day} 11:00")).await;
    assert!(second.contains('#'), "{second}");
    let taken = d.say(OTHER, &format!("/book {m} {day} 10:00")).await;
    assert!(!taken.starts_with("Booked"), "{taken}");
    let past = d.say(OTHER, &format!("/book {m} 2001-01-01 10:00")).await;
    assert!(!past.starts_with("Booked"), "{past}");
    let denied = d.say(CLIENT, "/agenda").await;
    assert!(!denied.is_empty());
    let cancelled = d.say(CLIENT, &format!("/cancel {booking}")).await;
    assert!(cancelled.contains(&format!("#{booking}")), "{cancelled}");
    // A duplicate and a webhook with a wrong secret.
    let dup = text(uid(), CLIENT, "/my");
    assert_eq!(d.post(&dup, SECRET).await, 200);
    assert_eq!(d.post(&dup, SECRET).await, 200);
    assert_eq!(
        d.post(&text(uid(), CLIENT, "/my"), "wrong-secret").await,
        401
    );
}

/// Webhook posts with status 200 that [`run`] makes (processed + duplicate).
pub const WEBHOOK_200: u64 = 13;
/// Updates processed.
pub const PROCESSED: u64 = 12;
