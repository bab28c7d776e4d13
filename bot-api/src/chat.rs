//! `bot-api chat --as <telegram_user_id>`: talk to the bot from a terminal, without Telegram.
//!
//! Each typed line becomes a synthetic private-chat message update; typing the number shown
//! next to an inline button "presses" it (a `callback_query` update with that button's
//! `callback_data`). Updates go through the same [`process_update`] as the webhook, and the
//! bot's replies for this chat are taken from the outbox, printed, and marked sent (they were
//! delivered — to the terminal). Synthetic `update_id`s are negative, so they can never
//! collide with Telegram's (which are positive).

use std::io::Write;

use anyhow::Context;
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::events::service::UpdateHandled;
use crate::telegram::types::{CallbackQuery, Chat, Message, Update, User};
use crate::updates::{BotContext, process_update};

/// An inline button the person can press by number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// The message (outbox row id) the button belongs to.
    pub message_id: i64,
    /// Its `callback_data`.
    pub data: String,
}

/// Renders one outbox row for the terminal, appending its buttons to `buttons` (numbered
/// after those already there). Pure, so it is unit-tested.
pub fn render(id: i64, method: &str, payload: &Value, buttons: &mut Vec<Button>) -> String {
    let text = payload.get("text").and_then(Value::as_str).unwrap_or("");
    let mut out = match method {
        "sendMessage" => format!("bot: {text}"),
        "editMessageText" => format!("bot (edited): {text}"),
        "answerCallbackQuery" if text.is_empty() => return String::new(),
        "answerCallbackQuery" => format!("bot (notice): {text}"),
        other => format!("bot [{other}]: {payload}"),
    };
    let message_id = payload
        .get("message_id")
        .and_then(Value::as_i64)
        .unwrap_or(id);
    let rows = payload
        .pointer("/reply_markup/inline_keyboard")
        .and_then(Value::as_array);
    for row in rows.into_iter().flatten() {
        for b in row.as_array().into_iter().flatten() {
            let label = b.get("text").and_then(Value::as_str).unwrap_or("?");
            if let Some(data) = b.get("callback_data").and_then(Value::as_str) {
                buttons.push(Button {
                    message_id,
                    data: data.to_owned(),
                });
                out.push_str(&format!("\n    [{}] {label}", buttons.len()));
            } else if let Some(url) = b.get("url").and_then(Value::as_str) {
                out.push_str(&format!("\n    (link) {label}: {url}"));
            }
        }
    }
    out
}

/// What a typed line means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Send this text as a message.
    Text(String),
    /// Press this button.
    Press(Button),
    /// Nothing to send.
    Empty,
}

/// Interprets a typed line against the buttons on screen.
pub fn interpret(line: &str, buttons: &[Button]) -> Input {
    let line = line.trim();
    if line.is_empty() {
        return Input::Empty;
    }
    if let Ok(n) = line.parse::<usize>()
        && let Some(b) = n.checked_sub(1).and_then(|i| buttons.get(i))
    {
        return Input::Press(b.clone());
    }
    Input::Text(line.to_owned())
}

/// Builds the synthetic update for `input` from `user_id` (who is also the chat).
pub fn synthetic_update(update_id: i64, user_id: i64, input: &Input) -> Option<Update> {
    let user = User {
        id: user_id,
        is_bot: false,
        first_name: "Terminal".into(),
        username: None,
    };
    let chat = Chat {
        id: user_id,
        kind: "private".into(),
    };
    match input {
        Input::Empty => None,
        Input::Text(text) => Some(Update {
            update_id,
            message: Some(Message {
                message_id: update_id.unsigned_abs() as i64 & 0x7fff_ffff,
                from: Some(user),
                chat,
                text: Some(text.clone()),
            }),
            ..Update::default()
        }),
        Input::Press(b) => Some(Update {
            update_id,
            callback_query: Some(CallbackQuery {
                id: format!("terminal-{}", update_id.unsigned_abs()),
                from: user,
                message: Some(Message {
                    message_id: b.message_id,
                    from: None,
                    chat,
                    text: None,
                }),
                data: Some(b.data.clone()),
            }),
            ..Update::default()
        }),
    }
}

/// Takes this chat's pending replies out of the outbox (marking them delivered), oldest first.
async fn take_replies(
    ctx: &BotContext,
    chat_id: i64,
) -> Result<Vec<(i64, String, Value)>, sqlx::Error> {
    let mut rows: Vec<(i64, String, Value)> = sqlx::query_as(
        "UPDATE outbox SET status = 'sent', sent_at = clock_timestamp(), attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE chat_id = $1 AND status = 'pending' \
                      ORDER BY id FOR UPDATE SKIP LOCKED) \
         RETURNING id, method, payload",
    )
    .bind(chat_id)
    .fetch_all(&ctx.pool)
    .await?;
    rows.sort_by_key(|r| r.0);
    Ok(rows)
}

/// Runs the conversation until `input` ends.
pub async fn run<R, W>(ctx: &BotContext, user_id: i64, input: R, out: &mut W) -> anyhow::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: Write,
{
    writeln!(
        out,
        "Chatting as Telegram user {user_id}. Type /start or /help; a number presses the \
         button shown with it; Ctrl-D quits."
    )?;
    let mut buttons = Vec::new();
    print_replies(ctx, user_id, &mut buttons, out).await?;
    let mut lines = input.lines();
    let mut last_id = -chrono::Utc::now().timestamp_micros();
    while let Some(line) = lines.next_line().await.context("reading the terminal")? {
        let input = interpret(&line, &buttons);
        last_id = last_id.min(-chrono::Utc::now().timestamp_micros()) - 1;
        let Some(update) = synthetic_update(last_id, user_id, &input) else {
            continue;
        };
        match process_update(ctx, &update).await {
            Ok(outcome) => UpdateHandled {
                update_id: update.update_id,
                outcome,
                transport: "chat",
            }
            .emit(&ctx.metrics),
            Err(e) => {
                let e = shared::error::error_chain(&e);
                writeln!(out, "(the database is unavailable: {e}; try again)")?;
                continue;
            }
        }
        print_replies(ctx, user_id, &mut buttons, out).await?;
    }
    Ok(())
}

async fn print_replies<W: Write>(
    ctx: &BotContext,
    user_id: i64,
    buttons: &mut Vec<Button>,
    out: &mut W,
) -> anyhow::Result<()> {
    let rows = take_replies(ctx, user_id)
        .await
        .context("reading replies from the outbox")?;
    let mut fresh = Vec::new();
    for (id, method, payload) in rows {
        let text = render(id, &method, &payload, &mut fresh);
        if !text.is_empty() {
            writeln!(out, "{text}")?;
        }
    }
    if !fresh.is_empty() {
        *buttons = fresh;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_message_with_a_keyboard_lists_numbered_buttons() {
        let mut buttons = Vec::new();
        let payload = json!({"chat_id": 1, "text": "Pick a master", "reply_markup": {"inline_keyboard": [
            [{"text": "Anna #1", "callback_data": "m:1"}, {"text": "Ben #2", "callback_data": "m:2"}],
            [{"text": "Site", "url": "https://example.org"}]
        ]}});
        let out = render(42, "sendMessage", &payload, &mut buttons);
        assert_eq!(
            out,
            "bot: Pick a master\n    [1] Anna #1\n    [2] Ben #2\n    (link) Site: https://example.org"
        );
        assert_eq!(
            buttons[1],
            Button {
                message_id: 42,
                data: "m:2".into()
            }
        );
    }

    #[test]
    fn a_silent_callback_answer_prints_nothing() {
        let mut b = Vec::new();
        assert_eq!(
            render(
                1,
                "answerCallbackQuery",
                &json!({"callback_query_id": "x"}),
                &mut b
            ),
            ""
        );
        assert_eq!(
            render(1, "answerCallbackQuery", &json!({"text": "Booked"}), &mut b),
            "bot (notice): Booked"
        );
    }

    #[test]
    fn a_number_presses_a_button_only_when_one_has_that_number() {
        let buttons = vec![Button {
            message_id: 7,
            data: "d:1".into(),
        }];
        assert_eq!(interpret(" 1 ", &buttons), Input::Press(buttons[0].clone()));
        assert_eq!(interpret("2", &buttons), Input::Text("2".into()));
        assert_eq!(interpret("0", &buttons), Input::Text("0".into()));
        assert_eq!(interpret("   ", &buttons), Input::Empty);
        assert_eq!(interpret("/my", &buttons), Input::Text("/my".into()));
    }

    #[test]
    fn synthetic_updates_are_private_chats_of_the_user() {
        let u = synthetic_update(-5, 9_000_000_000, &Input::Text("/start".into())).unwrap();
        let m = u.message.unwrap();
        assert_eq!(m.chat.id, 9_000_000_000);
        assert_eq!(m.chat.kind, "private");
        assert_eq!(m.from.unwrap().id, 9_000_000_000);
        let b = Button {
            message_id: 3,
            data: "x".into(),
        };
        let u = synthetic_update(-6, 5, &Input::Press(b)).unwrap();
        let q = u.callback_query.unwrap();
        assert_eq!(q.data.as_deref(), Some("x"));
        assert_eq!(q.message.unwrap().message_id, 3);
        assert!(synthetic_update(-7, 5, &Input::Empty).is_none());
    }
}
