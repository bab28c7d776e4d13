//! Data that does not pile up: the retention prune deletes update ids older than 7 days and
//! sent or failed outbox rows older than 30 days, in batches, never a pending row; `serve`
//! runs it on its own, and counts it by table.

use std::time::Duration;

use bot_api::metrics::Metrics;
use bot_api::retention::{RetentionConfig, prune};
use shared::testing::{eventually, test_db};
use sqlx::PgPool;

use crate::helpers::{AppOptions, sample, spawn_app_on};

/// 5 update ids of 8 days ago and 2 of 6 days ago; outbox: 4 sent and 1 failed of 31 days ago
/// (all deleted), 1 pending of 31 days ago and 1 sent of 29 days ago (kept).
async fn aged_rows(pool: &PgPool) {
    sqlx::query(
        "INSERT INTO processed_updates (update_id, processed_at) \
         SELECT g, now() - interval '8 days' FROM generate_series(1, 5) g \
         UNION ALL SELECT g, now() - interval '6 days' FROM generate_series(6, 7) g",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO outbox (chat_id, method, payload, status, created_at, sent_at) VALUES \
         (1, 'sendMessage', '{}', 'sent', now() - interval '31 days', now() - interval '31 days'), \
         (1, 'sendMessage', '{}', 'sent', now() - interval '31 days', now() - interval '31 days'), \
         (2, 'sendMessage', '{}', 'sent', now() - interval '31 days', now() - interval '31 days'), \
         (2, 'sendMessage', '{}', 'sent', now() - interval '31 days', now() - interval '31 days'), \
         (3, 'sendMessage', '{}', 'failed', now() - interval '31 days', NULL), \
         (4, 'sendMessage', '{\"keep\": \"pending\"}', 'pending', now() - interval '31 days', NULL), \
         (5, 'sendMessage', '{\"keep\": \"recent\"}', 'sent', now() - interval '29 days', now() - interval '29 days')",
    )
    .execute(pool)
    .await
    .unwrap();
}

async fn left(pool: &PgPool) -> (Vec<i64>, Vec<i64>) {
    let ids = sqlx::query_scalar("SELECT update_id FROM processed_updates ORDER BY update_id")
        .fetch_all(pool)
        .await
        .unwrap();
    let chats = sqlx::query_scalar("SELECT chat_id FROM outbox ORDER BY chat_id")
        .fetch_all(pool)
        .await
        .unwrap();
    (ids, chats)
}

#[tokio::test]
async fn the_prune_deletes_in_batches_only_what_is_past_retention() {
    let db = test_db().await;
    aged_rows(&db.pool).await;
    let metrics = Metrics::new();
    let cfg = RetentionConfig {
        batch: 2,
        ..RetentionConfig::default()
    };
    assert_eq!(prune(&db.pool, &cfg, &metrics).await.unwrap(), [5, 5]);
    assert_eq!(left(&db.pool).await, (vec![6, 7], vec![4, 5]));
    let m = String::from_utf8(shared::metrics::encode(&metrics.registry)).unwrap();
    assert_deleted_rows(&m, 5.0, 5.0);
    // Nothing more to do.
    assert_eq!(prune(&db.pool, &cfg, &metrics).await.unwrap(), [0, 0]);
}

#[tokio::test]
async fn serve_prunes_on_its_own() {
    let db = test_db().await;
    aged_rows(&db.pool).await;
    let app = spawn_app_on(&db.pool, AppOptions::default()).await;
    let pruned = eventually(
        || async { left(&db.pool).await == (vec![6, 7], vec![4, 5]) },
        Duration::from_secs(10),
    )
    .await;
    assert!(pruned, "{:?}", left(&db.pool).await);
    let m = app.scrape().await;
    assert_deleted_rows(&m, 5.0, 5.0);
    app.stop().await;
}

/// The scrape `m` counts `updates` deleted `processed_updates` rows and `outbox` outbox rows.
fn assert_deleted_rows(m: &str, updates: f64, outbox: f64) {
    for (table, want) in [("processed_updates", updates), ("outbox", outbox)] {
        let name = format!("bot_api_retention_deleted_rows_total{{table=\"{table}\"}}");
        assert_eq!(sample(m, &name), want, "{name}");
    }
}
