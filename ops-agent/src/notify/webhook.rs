//! Webhook receivers: one Alertmanager webhook payload (version 4) per alert, POSTed as JSON,
//! with an optional bearer token that never reaches a log line.

use secrecy::{ExposeSecret, SecretString};

use super::receiver::{DeliveryError, Receiver};
use crate::alerting::AlertInstance;
use crate::alerting::payload::webhook_payload;

/// POSTs one payload per alert in `alerts` to `url`; any non-2xx answer is a failure.
pub async fn send(
    client: &reqwest::Client,
    receiver: &Receiver,
    url: &str,
    bearer_token: Option<&SecretString>,
    alerts: &[AlertInstance],
    external_url: &str,
) -> Result<(), DeliveryError> {
    for alert in alerts {
        let payload = webhook_payload(alert, &receiver.name, external_url);
        let mut req = client.post(url).timeout(receiver.timeout).json(&payload);
        if let Some(token) = bearer_token {
            req = req.bearer_auth(token.expose_secret());
        }
        let resp = req.send().await.map_err(DeliveryError::from_reqwest)?;
        if !resp.status().is_success() {
            return Err(DeliveryError::from_status(resp.status()));
        }
    }
    Ok(())
}
