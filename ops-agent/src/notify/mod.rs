//! Sending alerts to the configured receivers: Alertmanager-format webhooks ([`webhook`]), a real
//! Alertmanager's `/api/v2/alerts` ([`alertmanager`]) and a Telegram chat ([`telegram`]).
//!
//! Each receiver has one worker task fed through a queue, so notifications to one receiver keep
//! their order (firing before resolved) and a slow or dead receiver never holds up the probe
//! loop or the other receivers. A delivery is retried with exponential backoff; when every
//! attempt failed it is counted (`ops_agent_alert_notifications_total{outcome="failure"}`) and
//! logged, and the daemon goes on.

pub mod alertmanager;
mod receiver;
pub mod telegram;
pub mod webhook;

pub use receiver::{DeliveryError, Receiver, ReceiverKind};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::alerting::{AlertInstance, AlertName, Evaluation};
use crate::events::notify::{
    NotificationDropped, NotificationFailed, NotificationRetry, NotificationSent, ReceiverRef,
};
use crate::metrics::AgentMetrics;

/// A batch for one receiver.
#[derive(Debug, Clone)]
struct Job {
    alerts: Vec<AlertInstance>,
}

/// Fans evaluations out to the receivers' workers and decides repeats.
#[derive(Debug)]
pub struct Notifier {
    queues: Vec<(Receiver, mpsc::Sender<Job>)>,
    last_sent: Mutex<HashMap<(usize, AlertName), DateTime<Utc>>>,
    metrics: Arc<AgentMetrics>,
}

impl Notifier {
    /// Starts one worker task per receiver.
    pub fn start(
        receivers: Vec<Receiver>,
        external_url: String,
        metrics: Arc<AgentMetrics>,
    ) -> Self {
        let client = reqwest::Client::new();
        let queues = receivers
            .into_iter()
            .map(|r| {
                let (tx, rx) = mpsc::channel(256);
                let ctx = Worker {
                    client: client.clone(),
                    receiver: r.clone(),
                    external_url: external_url.clone(),
                    metrics: metrics.clone(),
                };
                tokio::spawn(ctx.run(rx));
                (r, tx)
            })
            .collect();
        Self {
            queues,
            last_sent: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    /// Queues what `eval` calls for: new firing and resolved alerts to every receiver, and
    /// still-firing alerts to receivers whose `repeat_interval` has passed since the last send.
    pub fn notify(&self, eval: &Evaluation, now: DateTime<Utc>) {
        let Ok(mut last) = self.last_sent.lock() else {
            return;
        };
        for (i, (receiver, tx)) in self.queues.iter().enumerate() {
            let mut batch: Vec<AlertInstance> = eval.resolved.clone();
            for a in &eval.resolved {
                last.remove(&(i, a.name));
            }
            for a in &eval.firing {
                let due = match last.get(&(i, a.name)) {
                    None => true,
                    Some(at) => chrono::Duration::from_std(receiver.repeat_interval)
                        .is_ok_and(|r| now.signed_duration_since(*at) >= r),
                };
                if due {
                    last.insert((i, a.name), now);
                    batch.push(a.clone());
                }
            }
            if batch.is_empty() {
                continue;
            }
            if tx.try_send(Job { alerts: batch }).is_err() {
                NotificationDropped {
                    receiver: &receiver.name,
                }
                .emit(&self.metrics);
            }
        }
    }
}

struct Worker {
    client: reqwest::Client,
    receiver: Receiver,
    external_url: String,
    metrics: Arc<AgentMetrics>,
}

impl Worker {
    async fn run(self, mut rx: mpsc::Receiver<Job>) {
        while let Some(job) = rx.recv().await {
            let units: Vec<Vec<AlertInstance>> = match self.receiver.kind {
                // Alertmanager takes a batch; webhooks and chats get one message per alert group.
                ReceiverKind::Alertmanager { .. } => vec![job.alerts],
                _ => job.alerts.into_iter().map(|a| vec![a]).collect(),
            };
            for alerts in units {
                self.deliver(&alerts).await;
            }
        }
    }

    async fn send_once(&self, alerts: &[AlertInstance]) -> Result<(), DeliveryError> {
        let r = &self.receiver;
        match &r.kind {
            ReceiverKind::Webhook { url, bearer_token } => {
                webhook::send(
                    &self.client,
                    r,
                    url,
                    bearer_token.as_ref(),
                    alerts,
                    &self.external_url,
                )
                .await
            }
            ReceiverKind::Alertmanager { url } => {
                alertmanager::send(&self.client, r, url, alerts, &self.external_url).await
            }
            ReceiverKind::Telegram {
                api_base,
                bot_token,
                chat_id,
            } => telegram::send(&self.client, r, api_base, bot_token, chat_id, alerts).await,
        }
    }

    /// Tries up to `max_attempts` times. Emits exactly one of `notification_sent` and
    /// `notification_failed`, which count the delivery.
    async fn deliver(&self, alerts: &[AlertInstance]) {
        let r = &self.receiver;
        let receiver = ReceiverRef {
            name: &r.name,
            kind: r.kind.as_str(),
        };
        let attempts = r.max_attempts.max(1);
        let names: Vec<&str> = alerts.iter().map(|a| a.name.as_str()).collect();
        for attempt in 1..=attempts {
            match self.send_once(alerts).await {
                Ok(()) => {
                    NotificationSent {
                        receiver,
                        alerts: &names,
                        attempt,
                    }
                    .emit(&self.metrics);
                    return;
                }
                Err(e) if e.retryable && attempt < attempts => {
                    let wait = e.retry_after.unwrap_or_else(|| backoff(r.backoff, attempt));
                    NotificationRetry {
                        receiver,
                        attempt,
                        error: &e,
                        wait,
                    }
                    .emit();
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    NotificationFailed {
                        receiver,
                        alerts: &names,
                        attempt,
                        error: &e,
                    }
                    .emit(&self.metrics);
                    return;
                }
            }
        }
    }
}

/// The wait after failed attempt `attempt` (1-based): `base`, `2·base`, `4·base`, … capped at 5 min.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
    base.saturating_mul(factor).min(Duration::from_secs(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Duration::from_secs(1);
        assert_eq!(backoff(b, 1), Duration::from_secs(1));
        assert_eq!(backoff(b, 2), Duration::from_secs(2));
        assert_eq!(backoff(b, 3), Duration::from_secs(4));
        assert_eq!(backoff(b, 40), Duration::from_secs(300));
    }
}
