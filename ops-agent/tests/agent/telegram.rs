//! The Telegram receiver: waiting out a 429's `retry_after`, and the bot token kept out of what
//! it sends and out of its error messages.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ops_agent::alerting::{AlertName, AlertStatus};
use ops_agent::metrics::AgentMetrics;
use ops_agent::notify::{Notifier, ReceiverKind};
use secrecy::SecretString;
use shared::testing::telegram::{Answer, StandIn};

use crate::helpers::notify::{alert, fired, receiver, wait_metric};
use crate::helpers::{CHAT_ID, TOKEN, TOKEN_SECRET};

#[tokio::test]
async fn telegram_waits_for_retry_after_on_429_and_never_shows_the_token() {
    let telegram = StandIn::start(TOKEN).await;
    telegram.script([Answer::TooMany(1)]);
    let metrics = Arc::new(AgentMetrics::new().unwrap());
    let kind = ReceiverKind::Telegram {
        api_base: telegram.base.clone(),
        bot_token: SecretString::from(TOKEN),
        chat_id: CHAT_ID.into(),
    };
    let n = Notifier::start(
        vec![receiver("chat", kind, 3)],
        "http://agent".into(),
        metrics.clone(),
    );
    n.notify(
        &fired(alert(AlertName::BackupStale, AlertStatus::Firing)),
        Utc::now(),
    );
    wait_metric(&metrics, "success", 1).await;
    let sent = telegram.calls_of("sendMessage");
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(
        sent[1].at.duration_since(sent[0].at) >= Duration::from_secs(1),
        "retry_after not honoured: {:?}",
        sent[1].at.duration_since(sent[0].at)
    );
    assert!(sent.iter().all(|c| c.token_ok), "{sent:#?}");
    assert_eq!(sent[1].payload["chat_id"], CHAT_ID);
    let text = sent[1].payload["text"].as_str().unwrap();
    assert!(
        text.contains("FIRING: BackupStale") && text.contains("runbooks/alerts.md#backupstale"),
        "{text}"
    );
    assert!(!text.contains(TOKEN_SECRET), "{text}");
}

#[tokio::test]
async fn telegram_errors_are_stripped_of_the_url_with_the_token() {
    // A connection error's message would otherwise carry {base}/bot{token}/sendMessage.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = reqwest::Client::new();
    let r = receiver("chat", ReceiverKind::Alertmanager { url: base.clone() }, 1);
    let token = SecretString::from(TOKEN);
    let a = alert(AlertName::BotApiDown, AlertStatus::Firing);
    let err = ops_agent::notify::telegram::send(&client, &r, &base, &token, "1", &[a])
        .await
        .unwrap_err();
    assert!(!err.message.contains(TOKEN_SECRET), "{}", err.message);
    assert!(err.retryable);
}
