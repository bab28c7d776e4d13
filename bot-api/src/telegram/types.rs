//! The parts of Bot API objects the bot reads. Unknown fields are ignored and every field the
//! bot does not strictly need is optional, so any valid update deserialises; what the bot does
//! not act on is recognised and acknowledged, never an error.

use serde::{Deserialize, Serialize};

/// One incoming update (webhook body or an element of `getUpdates`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Update {
    /// Unique, increasing id; the key of exactly-once handling.
    pub update_id: i64,
    #[serde(default)]
    pub message: Option<Message>,
    #[serde(default)]
    pub callback_query: Option<CallbackQuery>,
    /// Any other kind (edited_message, channel_post, my_chat_member, inline_query…) is only
    /// recorded as present so it can be acknowledged and ignored.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// A message.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Message {
    pub message_id: i64,
    #[serde(default)]
    pub from: Option<User>,
    pub chat: Chat,
    #[serde(default)]
    pub text: Option<String>,
}

/// A Telegram user. Ids exceed 32 bits.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct User {
    pub id: i64,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub username: Option<String>,
}

/// A chat; the bot acts only in `private` chats.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Chat {
    pub id: i64,
    #[serde(default, rename = "type")]
    pub kind: String,
}

/// A press of an inline keyboard button.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CallbackQuery {
    pub id: String,
    pub from: User,
    #[serde(default)]
    pub message: Option<Message>,
    /// Up to 64 bytes chosen by the bot — and forgeable by a client: parse and check it
    /// exactly like a typed command.
    #[serde(default)]
    pub data: Option<String>,
}
