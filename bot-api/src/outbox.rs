//! Messages for Telegram. An update's are enqueued by its last statement
//! ([`crate::writes`]), so a reply exists exactly when the update's effects do; the reminder
//! sweep enqueues its own with [`enqueue`]. The sender ([`crate::telegram`]) drains the table.

use serde_json::Value;
use sqlx::PgConnection;

/// One Bot API call to make later.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// Chat the call concerns (rate limits are per chat).
    pub chat_id: i64,
    /// Bot API method, e.g. `sendMessage`, `answerCallbackQuery`, `editMessageText`.
    pub method: &'static str,
    /// The method's JSON parameters (without the token).
    pub payload: Value,
}

impl Outgoing {
    /// A plain `sendMessage` with optional inline keyboard (`reply_markup`).
    pub fn message(chat_id: i64, text: impl Into<String>, reply_markup: Option<Value>) -> Self {
        let mut payload = serde_json::json!({ "chat_id": chat_id, "text": text.into() });
        if let Some(m) = reply_markup {
            payload["reply_markup"] = m;
        }
        Self {
            chat_id,
            method: "sendMessage",
            payload,
        }
    }
}

/// Inserts `items` in one statement (one round trip, whatever their number).
pub async fn enqueue(conn: &mut PgConnection, items: &[Outgoing]) -> Result<(), sqlx::Error> {
    if items.is_empty() {
        return Ok(());
    }
    let chat_ids: Vec<i64> = items.iter().map(|o| o.chat_id).collect();
    let methods: Vec<&str> = items.iter().map(|o| o.method).collect();
    let payloads: Vec<Value> = items.iter().map(|o| o.payload.clone()).collect();
    sqlx::query(
        "INSERT INTO outbox (chat_id, method, payload) \
         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::jsonb[])",
    )
    .bind(&chat_ids)
    .bind(&methods)
    .bind(&payloads)
    .execute(conn)
    .await?;
    Ok(())
}
