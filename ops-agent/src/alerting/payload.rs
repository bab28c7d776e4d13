//! The Alertmanager webhook payload (version 4), field for field as Alertmanager itself sends it
//! to webhook receivers, so anything that takes Alertmanager's webhooks takes the agent's; and
//! the alert fingerprint computed as Prometheus does (FNV-1a 64 over the sorted labels).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{AlertInstance, AlertStatus};

/// One webhook POST body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload {
    /// Always `"4"`.
    pub version: String,
    /// Identifies the group (here: one alert name) across notifications.
    pub group_key: String,
    /// How many alerts were left out (never any here).
    pub truncated_alerts: u64,
    /// `firing` when any alert of the group fires.
    pub status: AlertStatus,
    /// The receiver's configured name.
    pub receiver: String,
    /// Labels the group is formed by.
    pub group_labels: BTreeMap<String, String>,
    /// Labels all alerts share.
    pub common_labels: BTreeMap<String, String>,
    /// Annotations all alerts share.
    pub common_annotations: BTreeMap<String, String>,
    /// Where the sender can be reached (the agent's own HTTP address).
    #[serde(rename = "externalURL")]
    pub external_url: String,
    /// The alerts of the group.
    pub alerts: Vec<WebhookAlert>,
}

/// One alert inside a [`WebhookPayload`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAlert {
    /// This alert's status.
    pub status: AlertStatus,
    /// `alertname`, `severity` and the agent's fixed labels.
    pub labels: BTreeMap<String, String>,
    /// `summary`, `description`, `runbook_url`.
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339; when the condition started to hold.
    pub starts_at: String,
    /// RFC 3339; when it resolved, or `0001-01-01T00:00:00Z` while firing (as Alertmanager).
    pub ends_at: String,
    /// Link to what produced the alert.
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    /// 16 hex digits identifying the label set.
    pub fingerprint: String,
}

/// Alertmanager's "zero time" for alerts that have not ended.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// RFC 3339 in UTC with millisecond precision and a `Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Prometheus' label-set fingerprint: FNV-1a 64 over `name 0xff value 0xff` for each label in
/// name order, printed as 16 hex digits.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    const OFFSET: u64 = 14_695_981_039_346_656_037;
    const PRIME: u64 = 1_099_511_628_211;
    let mut h = OFFSET;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for (k, v) in labels {
        add(k.as_bytes());
        add(&[0xff]);
        add(v.as_bytes());
        add(&[0xff]);
    }
    format!("{h:016x}")
}

/// The payload for one alert sent to `receiver`.
pub fn webhook_payload(
    alert: &AlertInstance,
    receiver: &str,
    external_url: &str,
) -> WebhookPayload {
    let item = webhook_alert(alert, external_url);
    let group_labels = BTreeMap::from([("alertname".to_owned(), alert.name.as_str().to_owned())]);
    WebhookPayload {
        version: "4".into(),
        group_key: format!("{{}}:{{alertname=\"{}\"}}", alert.name.as_str()),
        truncated_alerts: 0,
        status: alert.status,
        receiver: receiver.to_owned(),
        group_labels,
        common_labels: item.labels.clone(),
        common_annotations: item.annotations.clone(),
        external_url: external_url.to_owned(),
        alerts: vec![item],
    }
}

/// One alert in webhook form.
pub fn webhook_alert(alert: &AlertInstance, external_url: &str) -> WebhookAlert {
    let labels = alert.labels();
    WebhookAlert {
        status: alert.status,
        fingerprint: fingerprint(&labels),
        labels,
        annotations: alert.annotations.clone(),
        starts_at: rfc3339(alert.starts_at),
        ends_at: alert.ends_at.map_or_else(|| ZERO_TIME.to_owned(), rfc3339),
        generator_url: format!("{}/metrics", external_url.trim_end_matches('/')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_matches_prometheus_for_known_label_sets() {
        // Go: model.LabelSet{}.Fingerprint() == 0xcbf29ce484222325 (the FNV offset basis).
        assert_eq!(fingerprint(&BTreeMap::new()), "cbf29ce484222325");
        let a = BTreeMap::from([("alertname".to_owned(), "BotApiDown".to_owned())]);
        let b = BTreeMap::from([("alertname".to_owned(), "BotApiNotReady".to_owned())]);
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a).len(), 16);
    }
}
