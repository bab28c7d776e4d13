//! `/health`, `/ready` and `bot_api_healthy` through a database outage: stop the server,
//! everything reports it; start it again, everything recovers without restarting bot-api.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;
use shared::testing::{Cluster, create_database, eventually};

use crate::helpers::{AppOptions, sample, spawn_app_on, text, uid};

#[tokio::test]
async fn health_is_ok_while_the_process_serves() {
    let db = shared::testing::test_db().await;
    let app = spawn_app_on(&db.pool, AppOptions::default()).await;
    let r = app.get("/health").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn a_database_outage_makes_ready_and_webhook_503_and_both_recover() {
    let cluster = Arc::new(
        tokio::task::spawn_blocking(Cluster::start_new)
            .await
            .unwrap()
            .unwrap(),
    );
    create_database(&cluster.url("postgres"), "app").await;
    let url = SecretString::from(cluster.url("app"));
    let pool = shared::db::pool(&url, 5).unwrap();
    shared::db::migrate(&pool).await.unwrap();
    let app = spawn_app_on(&pool, AppOptions::default()).await;

    assert_eq!(app.get("/ready").await.status(), 200);
    assert_eq!(sample(&app.scrape().await, "bot_api_healthy"), 1.0);
    assert_eq!(app.webhook(&text(uid(), 1, "/start")).await.status(), 200);

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.stop())
        .await
        .unwrap()
        .unwrap();

    let r = app.get("/ready").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "not_ready");
    assert_eq!(sample(&app.scrape().await, "bot_api_healthy"), 0.0);
    assert_eq!(app.get("/health").await.status(), 200);
    let pending_update = text(uid(), 2, "/start");
    let r = app.webhook(&pending_update).await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "unavailable");

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.start())
        .await
        .unwrap()
        .unwrap();

    let ready = || async { app.get("/ready").await.status() == 200 };
    assert!(
        eventually(ready, Duration::from_secs(30)).await,
        "never ready again"
    );
    assert_eq!(sample(&app.scrape().await, "bot_api_healthy"), 1.0);
    // Telegram's redelivery of the refused update now succeeds.
    let r = app.webhook(&pending_update).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["outcome"], "processed");
    let m = app.scrape().await;
    assert_eq!(
        sample(
            &m,
            r#"bot_api_http_requests_total{method="POST",route="webhook",status="503"}"#
        ),
        1.0
    );
    app.stop().await;
}
