//! Long-polling mode: updates fetched with `getUpdates` go through the same handler, and the
//! replies leave through the outbox.

use std::time::Duration;

use bot_api::config::Mode;

use crate::helpers::{AppOptions, SECRET, TOKEN, spawn_app, text, uid};
use shared::testing::telegram::StandIn;

#[tokio::test]
async fn webhook_mode_registers_the_public_url_with_the_secret() {
    let tg = StandIn::start(TOKEN).await;
    let (app, _db) = spawn_app(AppOptions {
        telegram: Some(tg.base.clone()),
        webhook_url: Some("https://bot.example.org/telegram/webhook".into()),
        ..AppOptions::default()
    })
    .await;
    tg.wait_for(Duration::from_secs(5), "setWebhook", |calls| {
        calls.iter().any(|c| c.method == "setWebhook")
    })
    .await;
    let call = &tg.calls_of("setWebhook")[0];
    assert_eq!(
        call.payload["url"],
        "https://bot.example.org/telegram/webhook"
    );
    assert_eq!(call.payload["secret_token"], SECRET);
    assert!(tg.calls_of("getUpdates").is_empty());
    app.stop().await;
}

#[tokio::test]
async fn polling_mode_receives_updates_from_get_updates_and_replies() {
    let tg = StandIn::start(TOKEN).await;
    let id = uid();
    tg.push_update(text(id, 3131, "/start"));
    let (app, db) = spawn_app(AppOptions {
        telegram: Some(tg.base.clone()),
        mode: Mode::Polling,
        ..AppOptions::default()
    })
    .await;
    tg.wait_for(Duration::from_secs(10), "the reply to /start", |calls| {
        calls
            .iter()
            .any(|c| c.method == "sendMessage" && c.payload["chat_id"] == 3131)
    })
    .await;
    // The next poll asks past the update, with a positive timeout.
    tg.wait_for(Duration::from_secs(10), "a poll past the update", |calls| {
        calls
            .iter()
            .any(|c| c.method == "getUpdates" && c.payload["offset"] == id + 1)
    })
    .await;
    let calls = tg.calls();
    assert_eq!(calls[0].method, "deleteWebhook");
    assert!(
        calls
            .iter()
            .filter(|c| c.method == "getUpdates")
            .all(|c| c.payload["timeout"].as_u64().unwrap() > 0 && c.token_ok)
    );
    let seen: i64 =
        sqlx::query_scalar("SELECT count(*) FROM processed_updates WHERE update_id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(seen, 1);
    // Delivered once, even though the stand-in keeps the update around.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let replies = tg
        .calls_of("sendMessage")
        .iter()
        .filter(|c| c.payload["chat_id"] == 3131)
        .count();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE chat_id = 3131")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(replies as i64, rows);
    app.stop().await;
}

#[tokio::test]
async fn a_polled_update_is_not_lost_while_the_database_is_down() {
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
    let app = crate::helpers::spawn_app_on(
        &pool,
        AppOptions {
            telegram: Some(tg.base.clone()),
            mode: Mode::Polling,
            ..AppOptions::default()
        },
    )
    .await;
    tg.wait_for(Duration::from_secs(5), "a first poll", |calls| {
        calls.iter().any(|c| c.method == "getUpdates")
    })
    .await;

    // Test clusters run with synchronous_commit=off: without a checkpoint the immediate stop
    // below may lose the newest migrations, committed a moment ago.
    sqlx::query("CHECKPOINT").execute(&pool).await.unwrap();
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.stop())
        .await
        .unwrap()
        .unwrap();
    let id = uid();
    tg.push_update(text(id, 4343, "/start"));
    tg.wait_for(Duration::from_secs(10), "the update fetched", |calls| {
        calls
            .iter()
            .any(|c| c.method == "getUpdates" && c.payload["offset"].as_i64().unwrap_or(0) <= id)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Not acknowledged while it could not be committed: no poll has moved past it.
    assert!(
        !tg.calls_of("getUpdates")
            .iter()
            .any(|c| c.payload["offset"] == id + 1)
    );

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.start())
        .await
        .unwrap()
        .unwrap();
    tg.wait_for(
        Duration::from_secs(30),
        "the reply after recovery",
        |calls| {
            calls
                .iter()
                .any(|c| c.method == "sendMessage" && c.payload["chat_id"] == 4343)
        },
    )
    .await;
    app.stop().await;
}
