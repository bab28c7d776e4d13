//! A Telegram chat as receiver: `sendMessage` through the Bot API at `{base}/bot{token}/…`.
//!
//! The token is part of the URL, so every error is stripped of its URL before it is logged;
//! a 429 answer's `parameters.retry_after` is honoured (bounded) before the next attempt.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::receiver::{DeliveryError, Receiver};
use crate::alerting::{AlertInstance, AlertStatus};

/// The message text for one alert: plain text, no markup to escape.
pub fn message_text(alert: &AlertInstance) -> String {
    let (icon, status) = match alert.status {
        AlertStatus::Firing => ("🔥", "FIRING"),
        AlertStatus::Resolved => ("✅", "RESOLVED"),
    };
    let get = |k: &str| alert.annotations.get(k).map(String::as_str).unwrap_or("");
    format!(
        "{icon} {status}: {} ({})\n{}\n{}\nRunbook: {}",
        alert.name.as_str(),
        alert.name.severity(),
        get("summary"),
        get("description"),
        get("runbook_url")
    )
}

/// Sends one message per alert to `chat_id`.
pub async fn send(
    client: &reqwest::Client,
    receiver: &Receiver,
    api_base: &str,
    bot_token: &SecretString,
    chat_id: &str,
    alerts: &[AlertInstance],
) -> Result<(), DeliveryError> {
    let url = format!(
        "{}/bot{}/sendMessage",
        api_base.trim_end_matches('/'),
        bot_token.expose_secret()
    );
    for alert in alerts {
        let body = serde_json::json!({ "chat_id": chat_id, "text": message_text(alert) });
        let resp = client
            .post(&url)
            .timeout(receiver.timeout)
            .json(&body)
            .send()
            .await
            .map_err(DeliveryError::from_reqwest)?;
        let status = resp.status();
        if status.is_success() {
            continue;
        }
        let mut err = DeliveryError::from_status(status);
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let answer: serde_json::Value = resp.json().await.unwrap_or_default();
            err.retry_after = answer["parameters"]["retry_after"]
                .as_u64()
                .map(|s| Duration::from_secs(s.min(60)));
        }
        return Err(err);
    }
    Ok(())
}
