//! The sender holds no transaction across a Bot API call: a claimed row carries a short lease
//! (`locked_until`) while Telegram answers, an expired lease is claimed again, and a 429's
//! `retry_after` pauses the whole sender, not just that message.

use std::time::Duration;

use shared::testing::eventually;
use shared::testing::telegram::{Answer, StandIn};

use crate::helpers::{AppOptions, TOKEN, outbox_rows, spawn_app, wait_outbox_settled};

fn online(tg: &StandIn) -> AppOptions {
    AppOptions {
        telegram: Some(tg.base.clone()),
        ..AppOptions::default()
    }
}

async fn put(pool: &sqlx::PgPool, chat: i64, text: &str) {
    let mut conn = pool.acquire().await.unwrap();
    bot_api::outbox::enqueue(
        &mut conn,
        &[bot_api::outbox::Outgoing::message(chat, text, None)],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn no_transaction_is_open_while_telegram_answers_and_the_row_is_leased() {
    let tg = StandIn::start(TOKEN).await;
    tg.script([Answer::Slow(Duration::from_millis(1500))]);
    let (app, db) = spawn_app(online(&tg)).await;
    put(&db.pool, 11, "slow").await;
    tg.wait_for(Duration::from_secs(5), "the call", |calls| {
        calls.iter().any(|c| c.method == "sendMessage")
    })
    .await;
    // Telegram has been answering for a second (of 1.5 s): no transaction of this database is
    // that old. (A sender holding one across the call would have opened it before the call;
    // the app's other short transactions, e.g. the reminder sweep, may be caught between two
    // statements on a loaded machine, so "idle in transaction" alone would be a flaky signal.)
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (idle_in_tx, leased): (i64, bool) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid() \
                   AND backend_type = 'client backend' \
                   AND xact_start < now() - interval '900 milliseconds'), \
                (SELECT locked_until > now() FROM outbox WHERE chat_id = 11)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(idle_in_tx, 0);
    assert!(leased);
    wait_outbox_settled(&db.pool, Duration::from_secs(10)).await;
    let lease: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT locked_until FROM outbox WHERE chat_id = 11")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(lease, None);
    app.stop().await;
}

#[tokio::test]
async fn a_row_leased_by_a_vanished_sender_is_sent_once_the_lease_expires() {
    let tg = StandIn::start(TOKEN).await;
    let (app, db) = spawn_app(AppOptions::default()).await;
    app.stop().await;
    put(&db.pool, 12, "orphan").await;
    // Another process claimed it and died: its lease runs for 2 more seconds.
    sqlx::query("UPDATE outbox SET locked_until = now() + interval '2 seconds'")
        .execute(&db.pool)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let app = crate::helpers::spawn_app_on(&db.pool, online(&tg)).await;
    wait_outbox_settled(&db.pool, Duration::from_secs(10)).await;
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(tg.calls_of("sendMessage").len(), 1);
    assert_eq!(outbox_rows(&db.pool).await[0].2, "sent");
    app.stop().await;
}

#[tokio::test]
async fn a_429_pauses_the_whole_sender_for_retry_after() {
    let tg = StandIn::start(TOKEN).await;
    tg.script([Answer::TooMany(2)]);
    let (app, db) = spawn_app(online(&tg)).await;
    put(&db.pool, 13, "first").await;
    tg.wait_for(Duration::from_secs(5), "the 429", |calls| {
        calls.iter().any(|c| c.method == "sendMessage")
    })
    .await;
    let limited_at = tg.calls_of("sendMessage")[0].at;
    // The sender has read the 429 (recorded on the row).
    let recorded = eventually(
        || async { outbox_rows(&db.pool).await[0].3 == 1 },
        Duration::from_secs(5),
    )
    .await;
    assert!(recorded);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Another chat's message, free of any limit of its own, waits out the 429 as well.
    put(&db.pool, 14, "other chat").await;
    let done = eventually(
        || async { tg.calls_of("sendMessage").len() >= 3 },
        Duration::from_secs(10),
    )
    .await;
    assert!(done, "{:?}", tg.calls_of("sendMessage"));
    for c in &tg.calls_of("sendMessage")[1..] {
        let after = c.at - limited_at;
        assert!(
            after >= Duration::from_millis(1900),
            "{} sent {after:?} after the 429",
            c.payload
        );
    }
    app.stop().await;
}

/// Found by the fault suite (scripts/faults, pg_restart): a message Telegram accepted while the
/// database was down stayed leased, was claimed again when its lease expired and was delivered
/// twice. Now the result is recorded once the database is back.
#[tokio::test]
async fn a_message_accepted_while_the_database_is_down_is_recorded_not_sent_again() {
    use std::sync::Arc;

    use secrecy::SecretString;
    use shared::testing::{Cluster, create_database};

    let cluster = Arc::new(
        tokio::task::spawn_blocking(Cluster::start_new)
            .await
            .unwrap()
            .unwrap(),
    );
    create_database(&cluster.url("postgres"), "app").await;
    let pool = shared::db::pool(&SecretString::from(cluster.url("app")), 5).unwrap();
    shared::db::migrate(&pool).await.unwrap();
    let tg = StandIn::start(TOKEN).await;
    // Within the test client's 2 s timeout: Telegram answers 200.
    tg.script([Answer::Slow(Duration::from_millis(1500))]);
    let app = crate::helpers::spawn_app_on(&pool, online(&tg)).await;
    put(&pool, 15, "accepted during the outage").await;
    tg.wait_for(Duration::from_secs(5), "the call", |calls| {
        calls.iter().any(|c| c.method == "sendMessage")
    })
    .await;
    // The claim is durable before the server goes (test clusters: synchronous_commit=off).
    sqlx::query("CHECKPOINT").execute(&pool).await.unwrap();
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.stop())
        .await
        .unwrap()
        .unwrap();
    // Telegram answers 200 while the database is down, for longer than the pool's 3 s wait
    // for a connection.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.start())
        .await
        .unwrap()
        .unwrap();
    // Recorded as sent long before the 60 s lease would have expired; sent once.
    let sent = eventually(
        || async {
            sqlx::query_scalar::<_, String>("SELECT status FROM outbox WHERE chat_id = 15")
                .fetch_one(&pool)
                .await
                .is_ok_and(|s| s == "sent")
        },
        Duration::from_secs(20),
    )
    .await;
    assert!(sent, "{:?}", outbox_rows(&pool).await);
    assert_eq!(tg.calls_of("sendMessage").len(), 1);
    app.stop().await;
}

/// Found by the fault suite (scripts/faults telegram_storm, `early_retries`): a claim whose
/// snapshot predates another sender's claim, 429 and release of a row re-checked only the lease
/// on the row's newest version, so it took the row at once, before the 429's `retry_after`.
#[tokio::test]
async fn a_claim_never_takes_a_row_released_for_later_since_its_snapshot() {
    use bot_api::telegram::sender::{CLAIM, SenderConfig};
    use sqlx::Row;

    let db = shared::testing::test_db().await;
    // Many chats whose heads are not due, all walked before the due row's (its chat id is the
    // highest): the claim's snapshot ages a little before it locks that row.
    sqlx::query(
        "INSERT INTO outbox (chat_id, method, payload, not_before) \
         SELECT 100000 + g, 'sendMessage', '{}', now() + interval '1 hour' \
         FROM generate_series(1, 5000) g",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (chat_id, method, payload) \
         VALUES (999999, 'sendMessage', '{}') RETURNING id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE outbox")
        .execute(&db.pool)
        .await
        .unwrap();
    let cfg = SenderConfig::default();
    let (mut raced, mut taken_early) = (0, 0);
    for round in 0..20u64 {
        sqlx::query(
            "UPDATE outbox SET not_before = now() - interval '1 second', locked_until = NULL \
             WHERE id = $1",
        )
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
        let pool = db.pool.clone();
        let (gap, per_second, lease) = (
            cfg.per_chat_gap.as_secs_f64(),
            i64::from(cfg.per_second),
            cfg.lease.as_secs_f64(),
        );
        let claim = tokio::spawn(async move {
            sqlx::query(CLAIM)
                .bind(gap)
                .bind(per_second)
                .bind(lease)
                .fetch_optional(&pool)
                .await
                .unwrap()
                .map(|r| r.get::<i64, _>("id"))
        });
        // Meanwhile another sender claims the row, gets a 429 and releases it for later.
        tokio::time::sleep(Duration::from_millis(round % 5)).await;
        let leased = sqlx::query(
            "UPDATE outbox SET locked_until = now() + interval '60 seconds' \
             WHERE id = $1 AND locked_until IS NULL",
        )
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap()
        .rows_affected()
            == 1;
        if leased {
            sqlx::query(
                "UPDATE outbox SET locked_until = NULL, not_before = now() + interval '1 hour' \
                 WHERE id = $1",
            )
            .bind(id)
            .execute(&db.pool)
            .await
            .unwrap();
            raced += 1;
        }
        // Taking the row is right only when the claim leased it first (then `leased` failed).
        if claim.await.unwrap() == Some(id) && leased {
            taken_early += 1;
        }
    }
    assert!(raced > 0, "the other sender never got the row");
    assert_eq!(taken_early, 0, "of {raced} rounds the other sender won");
}
