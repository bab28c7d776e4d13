//! The Alertmanager receiver against the real Alertmanager (Debian's `prometheus-alertmanager`),
//! started on a free port with clustering off.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ops_agent::alerting::payload::fingerprint;
use ops_agent::alerting::{AlertInstance, AlertName, AlertStatus, Evaluation};
use ops_agent::metrics::AgentMetrics;
use ops_agent::notify::{Notifier, Receiver, ReceiverKind};
use shared::testing::eventually;

use crate::helpers::{ALERTMANAGER, EXTERNAL_URL};

struct Alertmanager {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_alertmanager() -> Alertmanager {
    assert!(
        std::path::Path::new(ALERTMANAGER).exists(),
        "{ALERTMANAGER} is missing: apt-get install prometheus-alertmanager"
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n",
    )
    .unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = Command::new(ALERTMANAGER)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let am = Alertmanager {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    };
    let ready = format!("{}/-/ready", am.url);
    let up = eventually(
        || async {
            reqwest::get(&ready)
                .await
                .is_ok_and(|r| r.status().is_success())
        },
        Duration::from_secs(10),
    )
    .await;
    assert!(up, "alertmanager did not become ready");
    am
}

async fn am_alerts(am: &Alertmanager) -> Vec<serde_json::Value> {
    reqwest::get(format!("{}/api/v2/alerts", am.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn instance(status: AlertStatus) -> AlertInstance {
    AlertInstance {
        name: AlertName::BotApiDown,
        status,
        starts_at: Utc::now() - chrono::Duration::minutes(3),
        ends_at: (status == AlertStatus::Resolved).then(Utc::now),
        annotations: BTreeMap::from([
            (
                "summary".to_owned(),
                "bot-api does not answer its health check".to_owned(),
            ),
            (
                "runbook_url".to_owned(),
                "runbooks/alerts.md#botapidown".to_owned(),
            ),
        ]),
    }
}

#[tokio::test]
async fn the_real_alertmanager_shows_the_agents_alert_and_forgets_it_once_resolved() {
    let am = start_alertmanager().await;
    let metrics = Arc::new(AgentMetrics::new().unwrap());
    let r = Receiver {
        name: "am".into(),
        kind: ReceiverKind::Alertmanager {
            url: am.url.clone(),
        },
        timeout: Duration::from_secs(5),
        max_attempts: 3,
        backoff: Duration::from_millis(200),
        repeat_interval: Duration::from_secs(60),
    };
    let n = Notifier::start(vec![r], EXTERNAL_URL.into(), metrics.clone());
    let firing = instance(AlertStatus::Firing);
    n.notify(
        &Evaluation {
            fired: vec![firing.clone()],
            resolved: vec![],
            firing: vec![firing.clone()],
        },
        Utc::now(),
    );

    let shown_up = eventually(
        || async { !am_alerts(&am).await.is_empty() },
        Duration::from_secs(5),
    )
    .await;
    let shown = am_alerts(&am).await;
    assert!(shown_up, "the alert never showed");
    assert_eq!(shown.len(), 1, "{shown:#?}");
    let a = &shown[0];
    assert_eq!(a["labels"]["alertname"], "BotApiDown");
    assert_eq!(a["labels"]["severity"], "critical");
    assert_eq!(
        a["annotations"]["runbook_url"],
        "runbooks/alerts.md#botapidown"
    );
    assert_eq!(a["status"]["state"], "active");
    assert_eq!(a["generatorURL"], format!("{EXTERNAL_URL}/metrics"));
    // Our fingerprint is Alertmanager's own.
    assert_eq!(
        a["fingerprint"].as_str().unwrap(),
        fingerprint(&firing.labels())
    );
    assert_eq!(
        metrics
            .notifications_total
            .with_label_values(&["success"])
            .get(),
        1
    );

    let resolved = instance(AlertStatus::Resolved);
    n.notify(
        &Evaluation {
            fired: vec![],
            resolved: vec![resolved],
            firing: vec![],
        },
        Utc::now(),
    );
    let gone = eventually(
        || async { am_alerts(&am).await.is_empty() },
        Duration::from_secs(5),
    )
    .await;
    assert!(
        gone,
        "resolved alert still active: {:#?}",
        am_alerts(&am).await
    );
}
