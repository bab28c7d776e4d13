//! Flood control: beyond a user's rate, updates are recorded as `throttled` with one "slow
//! down" reply per stretch and counted; admins are exempt; the outbox caps one chat's pending
//! messages.

use bot_api::config::{BookingRules, FloodLimits};
use bot_api::outbox::{Outgoing, enqueue};
use bot_api::throttle::SLOW_DOWN;
use bot_api::updates::Outcome;
use serde_json::Value;
use shared::testing::test_db;

use crate::helpers::{
    ADMIN, AppOptions, Bot, CLIENT, OTHER, context_with, sample, spawn_app, text, text_update, uid,
};

fn limits(per_minute: u32, burst: u32, cap: u32) -> FloodLimits {
    FloodLimits {
        user_updates_per_minute: per_minute,
        user_burst: burst,
        outbox_max_pending_per_chat: cap,
    }
}

async fn replies(pool: &sqlx::PgPool, chat: i64) -> Vec<String> {
    let rows: Vec<Value> = sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE chat_id = $1 AND method = 'sendMessage' ORDER BY id",
    )
    .bind(chat)
    .fetch_all(pool)
    .await
    .unwrap();
    rows.iter()
        .map(|p| p["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_user_beyond_the_rate_is_throttled_with_one_reply_and_admins_are_exempt() {
    let (app, db) = spawn_app(AppOptions {
        flood: limits(20, 10, 0),
        ..AppOptions::default()
    })
    .await;
    let mut outcomes = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..14 {
        let id = uid();
        ids.push(id);
        let j: Value = app
            .webhook(&text(id, CLIENT, "/help"))
            .await
            .json()
            .await
            .unwrap();
        outcomes.push(j["outcome"].as_str().unwrap().to_owned());
    }
    assert_eq!(outcomes[..10], ["processed"; 10]);
    assert_eq!(outcomes[10..], ["throttled"; 4]);
    // Every update is recorded, so none is redelivered; a redelivery is a duplicate.
    let recorded: i64 =
        sqlx::query_scalar("SELECT count(*) FROM processed_updates WHERE update_id = ANY($1)")
            .bind(&ids)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(recorded, 14);
    let j: Value = app
        .webhook(&text(ids[12], CLIENT, "/help"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(j["outcome"], "duplicate");
    // Ten answers and one polite "slow down", not four.
    let texts = replies(&db.pool, CLIENT).await;
    assert_eq!(texts.len(), 11, "{texts:?}");
    assert_eq!(texts.iter().filter(|t| *t == SLOW_DOWN).count(), 1);
    assert_eq!(texts.last().unwrap(), SLOW_DOWN);

    for _ in 0..14 {
        let j: Value = app
            .webhook(&text(uid(), ADMIN, "/help"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(j["outcome"], "processed");
    }
    let m = app.scrape().await;
    assert_eq!(
        sample(&m, r#"bot_api_telegram_updates_total{outcome="throttled"}"#),
        4.0
    );
    assert_eq!(
        sample(&m, r#"bot_api_telegram_updates_total{outcome="processed"}"#),
        24.0
    );
    app.stop().await;
}

#[tokio::test]
async fn the_outbox_caps_the_pending_messages_of_one_chat() {
    let db = test_db().await;
    let ctx = context_with(&db.pool, BookingRules::default(), limits(0, 10, 3));
    let bot = Bot { db, ctx };
    let backlog: Vec<Outgoing> = (0..3)
        .map(|i| Outgoing::message(CLIENT, format!("old {i}"), None))
        .collect();
    let mut conn = bot.db.pool.acquire().await.unwrap();
    enqueue(&mut conn, &backlog).await.unwrap();
    drop(conn);
    assert_eq!(
        bot.process(&text_update(uid(), CLIENT, "/help")).await,
        Outcome::Processed
    );
    assert_eq!(replies(&bot.db.pool, CLIENT).await.len(), 3);
    // Another chat is not affected.
    assert_eq!(
        bot.process(&text_update(uid(), OTHER, "/help")).await,
        Outcome::Processed
    );
    assert_eq!(replies(&bot.db.pool, OTHER).await.len(), 1);
}

/// Found with the fault suite's pg_restart scenario (scripts/faults): each attempt at an update
/// took a token, including those that failed because the database was down, so a user whose
/// messages were retried through an outage could be answered "slow down" once it was back, and
/// their command dropped.
#[tokio::test]
async fn attempts_that_met_an_unavailable_database_do_not_count_against_the_rate() {
    use bot_api::updates::{BotContext, process_update};

    let db = test_db().await;
    let ctx = context_with(&db.pool, BookingRules::default(), limits(20, 3, 0));
    // The same buckets, on a database that refuses connections.
    let down = BotContext {
        pool: sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(std::time::Duration::from_millis(200))
            .connect_lazy("postgres://nobody:none@127.0.0.1:1/none")
            .unwrap(),
        ..ctx.clone()
    };
    let update = text_update(uid(), CLIENT, "/help");
    for _ in 0..6 {
        assert!(process_update(&down, &update).await.is_err());
    }
    assert_eq!(
        process_update(&ctx, &update).await.unwrap(),
        Outcome::Processed
    );
}
