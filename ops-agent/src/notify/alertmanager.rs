//! A real Alertmanager as receiver: the agent POSTs its alerts to `/api/v2/alerts`, as Prometheus
//! does, so an operator who runs one gets its routing, grouping, inhibition and silences.
//!
//! Firing alerts are sent without `endsAt`, so Alertmanager resolves them itself after its
//! `resolve_timeout` if the agent stops resending (the receiver's `repeat_interval` must stay
//! below it); resolved alerts carry their `endsAt`.

use serde::Serialize;

use super::receiver::{DeliveryError, Receiver};
use crate::alerting::payload::rfc3339;
use crate::alerting::{AlertInstance, AlertStatus};

/// One element of Alertmanager's `postableAlerts`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableAlert {
    /// Labels identifying the alert.
    pub labels: std::collections::BTreeMap<String, String>,
    /// Summary, description, runbook.
    pub annotations: std::collections::BTreeMap<String, String>,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339; only for resolved alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
    /// Link back to the agent.
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
}

/// The body Alertmanager's `POST /api/v2/alerts` takes.
pub fn postable(alerts: &[AlertInstance], external_url: &str) -> Vec<PostableAlert> {
    alerts
        .iter()
        .map(|a| PostableAlert {
            labels: a.labels(),
            annotations: a.annotations.clone(),
            starts_at: rfc3339(a.starts_at),
            ends_at: match a.status {
                AlertStatus::Firing => None,
                AlertStatus::Resolved => a.ends_at.map(rfc3339),
            },
            generator_url: format!("{}/metrics", external_url.trim_end_matches('/')),
        })
        .collect()
}

/// POSTs `alerts` to `{url}/api/v2/alerts`.
pub async fn send(
    client: &reqwest::Client,
    receiver: &Receiver,
    url: &str,
    alerts: &[AlertInstance],
    external_url: &str,
) -> Result<(), DeliveryError> {
    let endpoint = format!("{}/api/v2/alerts", url.trim_end_matches('/'));
    let resp = client
        .post(endpoint)
        .timeout(receiver.timeout)
        .json(&postable(alerts, external_url))
        .send()
        .await
        .map_err(DeliveryError::from_reqwest)?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(DeliveryError::from_status(resp.status()))
    }
}
