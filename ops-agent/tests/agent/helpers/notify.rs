//! What the notifier tests hand the notifier (alert instances, evaluations, receivers) and how
//! they wait for what it counted.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ops_agent::alerting::{AlertInstance, AlertName, AlertStatus, Evaluation};
use ops_agent::metrics::AgentMetrics;
use ops_agent::notify::{Receiver, ReceiverKind};
use shared::testing::eventually;

/// `name` in `status`, started 2026-11-27T10:00:00Z, with summary, description and runbook.
pub fn alert(name: AlertName, status: AlertStatus) -> AlertInstance {
    let starts_at = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    AlertInstance {
        name,
        status,
        starts_at,
        ends_at: (status == AlertStatus::Resolved).then(Utc::now),
        annotations: BTreeMap::from([
            ("summary".to_owned(), name.summary().to_owned()),
            ("description".to_owned(), "details".to_owned()),
            (
                "runbook_url".to_owned(),
                format!("runbooks/alerts.md#{}", name.runbook_anchor()),
            ),
        ]),
    }
}

/// An evaluation in which `a` has just fired.
pub fn fired(a: AlertInstance) -> Evaluation {
    Evaluation {
        fired: vec![a.clone()],
        resolved: vec![],
        firing: vec![a],
    }
}

/// A receiver with a 2 s timeout, `attempts` attempts 50 ms apart, repeating hourly.
pub fn receiver(name: &str, kind: ReceiverKind, attempts: u32) -> Receiver {
    Receiver {
        name: name.to_owned(),
        kind,
        timeout: Duration::from_secs(2),
        max_attempts: attempts,
        backoff: Duration::from_millis(50),
        repeat_interval: Duration::from_secs(3600),
    }
}

/// Waits until `ops_agent_alert_notifications_total{outcome}` reaches `want`.
pub async fn wait_metric(metrics: &AgentMetrics, outcome: &str, want: u64) {
    let count = || {
        metrics
            .notifications_total
            .with_label_values(&[outcome])
            .get()
    };
    let held = eventually(|| async { count() >= want }, Duration::from_secs(10)).await;
    assert!(
        held,
        "ops_agent_alert_notifications_total{{outcome={outcome}}} never reached {want}: {}",
        count()
    );
}
