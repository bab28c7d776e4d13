//! Everything that speaks the Telegram Bot API: update types, the client, polling, sending.

pub mod types;
