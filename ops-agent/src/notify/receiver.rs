//! A configured receiver ([`Receiver`], [`ReceiverKind`]) and why one delivery attempt failed
//! ([`DeliveryError`]): what the notification worker and the three senders share.

use std::time::Duration;

use secrecy::SecretString;

/// Where one receiver's notifications go.
#[derive(Debug, Clone)]
pub enum ReceiverKind {
    /// POST the Alertmanager webhook payload to `url`.
    Webhook {
        /// The endpoint.
        url: String,
        /// Sent as `Authorization: Bearer …` when set.
        bearer_token: Option<SecretString>,
    },
    /// POST the alerts to `{url}/api/v2/alerts` of an Alertmanager.
    Alertmanager {
        /// Alertmanager's base URL, e.g. `http://127.0.0.1:9093`.
        url: String,
    },
    /// `sendMessage` to a chat through the Telegram Bot API.
    Telegram {
        /// Bot API base URL (`https://api.telegram.org`).
        api_base: String,
        /// The bot's token; part of the request path, so errors are stripped of URLs.
        bot_token: SecretString,
        /// The chat to write to.
        chat_id: String,
    },
}

impl ReceiverKind {
    /// `webhook`, `alertmanager` or `telegram`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ReceiverKind::Webhook { .. } => "webhook",
            ReceiverKind::Alertmanager { .. } => "alertmanager",
            ReceiverKind::Telegram { .. } => "telegram",
        }
    }
}

/// One configured receiver.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// Its name (the payload's `receiver` field, log lines).
    pub name: String,
    /// Where and how to send.
    pub kind: ReceiverKind,
    /// Bound on each HTTP attempt.
    pub timeout: Duration,
    /// Attempts per notification, at least 1.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub backoff: Duration,
    /// How often a still-firing alert is sent again.
    pub repeat_interval: Duration,
}

/// Why one attempt failed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    /// What went wrong (never containing a URL or a token).
    pub message: String,
    /// Whether another attempt may succeed (network errors, 5xx, 429).
    pub retryable: bool,
    /// The receiver asked to wait this long (Telegram's `retry_after`).
    pub retry_after: Option<Duration>,
}

impl DeliveryError {
    /// From a reqwest error, without its URL (which may carry a token).
    pub fn from_reqwest(e: reqwest::Error) -> Self {
        let e = e.without_url();
        let message = if e.is_timeout() {
            "timed out".to_owned()
        } else {
            shared::error::error_chain(&e)
        };
        Self {
            message,
            retryable: true,
            retry_after: None,
        }
    }

    /// From a non-2xx answer.
    pub fn from_status(status: reqwest::StatusCode) -> Self {
        Self {
            message: format!("answered HTTP {}", status.as_u16()),
            retryable: status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS,
            retry_after: None,
        }
    }
}
