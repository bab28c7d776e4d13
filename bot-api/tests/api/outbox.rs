//! The outbox sender against the Bot API stand-in: delivery after a restart, 429 with
//! `retry_after`, 5xx and timeouts retried, 400/403 given up, per-chat pacing, and two
//! senders on one database never sending a message twice.

use std::collections::HashSet;
use std::time::Duration;

use bot_api::outbox::{Outgoing, enqueue};
use shared::testing::telegram::{Answer, StandIn};
use sqlx::PgPool;

use crate::helpers::{
    AppOptions, TOKEN, outbox_rows, spawn_app, spawn_app_on, text, uid, wait_outbox_settled,
};

async fn put(pool: &PgPool, items: &[(i64, &str)]) {
    let out: Vec<Outgoing> = items
        .iter()
        .map(|(chat, t)| Outgoing::message(*chat, *t, None))
        .collect();
    let mut conn = pool.acquire().await.unwrap();
    enqueue(&mut conn, &out).await.unwrap();
}

fn online(stand_in: &StandIn) -> AppOptions {
    AppOptions {
        telegram: Some(stand_in.base.clone()),
        ..AppOptions::default()
    }
}

#[tokio::test]
async fn replies_kept_while_offline_are_delivered_after_a_restart_with_a_token() {
    let (offline, db) = spawn_app(AppOptions::default()).await;
    assert_eq!(
        offline.webhook(&text(uid(), 4242, "/start")).await.status(),
        200
    );
    let kept = outbox_rows(&db.pool).await;
    assert!(!kept.is_empty() && kept.iter().all(|r| r.2 == "pending"));
    offline.stop().await;

    let tg = StandIn::start(TOKEN).await;
    let app = spawn_app_on(&db.pool, online(&tg)).await;
    wait_outbox_settled(&db.pool, Duration::from_secs(10)).await;
    let sent = tg.calls_of("sendMessage");
    assert_eq!(sent.len(), kept.len());
    assert!(
        sent.iter()
            .all(|c| c.token_ok && c.payload["chat_id"] == 4242)
    );
    assert!(outbox_rows(&db.pool).await.iter().all(|r| r.2 == "sent"));
    app.stop().await;
}

#[tokio::test]
async fn a_429_waits_retry_after_before_the_next_attempt() {
    let tg = StandIn::start(TOKEN).await;
    tg.script([Answer::TooMany(1)]);
    let (app, db) = spawn_app(online(&tg)).await;
    put(&db.pool, &[(1, "hello")]).await;
    wait_outbox_settled(&db.pool, Duration::from_secs(10)).await;
    let calls = tg.calls_of("sendMessage");
    assert_eq!(calls.len(), 2);
    let gap = calls[1].at - calls[0].at;
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
    let rows = outbox_rows(&db.pool).await;
    assert_eq!((rows[0].2.as_str(), rows[0].3), ("sent", 2));
    app.stop().await;
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_until_delivered() {
    let tg = StandIn::start(TOKEN).await;
    tg.script([Answer::Status(500), Answer::Status(502)]);
    let (app, db) = spawn_app(online(&tg)).await;
    put(&db.pool, &[(2, "hello")]).await;
    wait_outbox_settled(&db.pool, Duration::from_secs(10)).await;
    let calls = tg.calls_of("sendMessage");
    assert_eq!(calls.len(), 3);
    // Backoff 200 ms then 400 ms (the test sender's base).
    assert!(calls[1].at - calls[0].at >= Duration::from_millis(190));
    assert!(calls[2].at - calls[1].at >= Duration::from_millis(390));
    let rows = outbox_rows(&db.pool).await;
    assert_eq!((rows[0].2.as_str(), rows[0].3), ("sent", 3));
    assert_eq!(rows[0].4, None);
    app.stop().await;
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retried() {
    let tg = StandIn::start(TOKEN).await;
    tg.script([Answer::Slow(Duration::from_secs(3))]);
    let (app, db) = spawn_app(online(&tg)).await;
    put(&db.pool, &[(3, "hello")]).await;
    wait_outbox_settled(&db.pool, Duration::from_secs(15)).await;
    assert_eq!(tg.calls_of("sendMessage").len(), 2);
    let rows = outbox_rows(&db.pool).await;
    assert_eq!(rows[0].2, "sent");
    app.stop().await;
}

#[tokio::test]
async fn a_403_gives_up_with_the_reason_and_the_next_message_still_goes() {
    let tg = StandIn::start(TOKEN).await;
    tg.script([Answer::Status(403)]);
    let (app, db) = spawn_app(online(&tg)).await;
    put(&db.pool, &[(4, "blocked"), (4, "next")]).await;
    wait_outbox_settled(&db.pool, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows = outbox_rows(&db.pool).await;
    assert_eq!(rows[0].2, "failed");
    assert_eq!(rows[0].3, 1);
    assert!(rows[0].4.as_deref().unwrap().contains("403"), "{rows:?}");
    assert_eq!(rows[1].2, "sent");
    assert_eq!(tg.calls_of("sendMessage").len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn one_chat_gets_its_messages_in_order_at_most_one_per_second() {
    let tg = StandIn::start(TOKEN).await;
    let (app, db) = spawn_app(online(&tg)).await;
    put(&db.pool, &[(5, "m1"), (5, "m2"), (5, "m3"), (6, "other")]).await;
    wait_outbox_settled(&db.pool, Duration::from_secs(10)).await;
    let calls: Vec<_> = tg
        .calls_of("sendMessage")
        .into_iter()
        .filter(|c| c.payload["chat_id"] == 5)
        .collect();
    let texts: Vec<_> = calls
        .iter()
        .map(|c| c.payload["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["m1", "m2", "m3"]);
    for w in calls.windows(2) {
        assert!(w[1].at - w[0].at >= Duration::from_millis(950));
    }
    app.stop().await;
}

#[tokio::test]
async fn two_senders_on_one_database_never_send_a_message_twice() {
    let tg = StandIn::start(TOKEN).await;
    let (a, db) = spawn_app(AppOptions::default()).await;
    a.stop().await;
    let texts: Vec<String> = (0..80).map(|i| format!("msg {i}")).collect();
    let items: Vec<(i64, &str)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (1000 + (i as i64 % 40), t.as_str()))
        .collect();
    put(&db.pool, &items).await;
    let one = spawn_app_on(&db.pool, online(&tg)).await;
    let two = spawn_app_on(&db.pool, online(&tg)).await;
    wait_outbox_settled(&db.pool, Duration::from_secs(20)).await;
    let calls = tg.calls_of("sendMessage");
    let unique: HashSet<_> = calls
        .iter()
        .map(|c| c.payload["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(calls.len(), 80, "some message was sent twice");
    assert_eq!(unique.len(), 80);
    one.stop().await;
    two.stop().await;
}

#[tokio::test]
async fn two_senders_together_stay_under_the_overall_limit() {
    let tg = StandIn::start(TOKEN).await;
    let (a, db) = spawn_app(AppOptions::default()).await;
    a.stop().await;
    let texts: Vec<String> = (0..15).map(|i| format!("n{i}")).collect();
    let items: Vec<(i64, &str)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (2000 + i as i64, t.as_str()))
        .collect();
    put(&db.pool, &items).await;
    let limited = AppOptions {
        sender: bot_api::telegram::sender::SenderConfig {
            per_second: 5,
            ..crate::helpers::fast_sender()
        },
        ..online(&tg)
    };
    let one = spawn_app_on(&db.pool, limited.clone()).await;
    let two = spawn_app_on(&db.pool, limited).await;
    wait_outbox_settled(&db.pool, Duration::from_secs(20)).await;
    let calls = tg.calls_of("sendMessage");
    assert_eq!(calls.len(), 15);
    // Each process alone would allow 5/s, so 10/s together; the shared limit holds near 5.
    for c in &calls {
        let window = calls
            .iter()
            .filter(|o| o.at >= c.at && o.at - c.at < Duration::from_millis(900))
            .count();
        assert!(window <= 7, "{window} messages within a second");
    }
    one.stop().await;
    two.stop().await;
}
