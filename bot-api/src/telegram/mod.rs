//! Everything that speaks the Telegram Bot API: update types ([`types`]), the HTTP client
//! ([`client`]), long polling ([`polling`]) and the outbox sender ([`sender`]).

pub mod client;
pub mod polling;
pub mod sender;
pub mod types;
