//! One chat's backlog does not slow every reply: with 50,000 pending rows for one chat and 100
//! other chats, the claim reads each chat's head only (asserted on the plan's row counts, not
//! on time), and every other chat is served, in order, while the backlog is still there.

use std::collections::HashMap;
use std::time::Duration;

use bot_api::telegram::sender::{CLAIM, SenderConfig};
use serde_json::Value;
use shared::testing::telegram::StandIn;
use sqlx::PgPool;

use crate::helpers::{AppOptions, TOKEN, fast_sender, spawn_app, spawn_app_on};

const BACKLOG_CHAT: i64 = 42;
const BACKLOG: i64 = 50_000;
const OTHER_CHATS: i64 = 100;

/// The backlog first (so every other chat's rows are younger), then two rows for each of
/// `OTHER_CHATS` chats, the first of each chat before the second.
async fn fill(pool: &PgPool) {
    sqlx::query(
        "INSERT INTO outbox (chat_id, method, payload) \
         SELECT $1, 'sendMessage', jsonb_build_object('chat_id', $1::bigint, 'text', 'backlog ' || g) \
         FROM generate_series(1, $2::bigint) g",
    )
    .bind(BACKLOG_CHAT)
    .bind(BACKLOG)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO outbox (chat_id, method, payload) \
         SELECT 10000 + c, 'sendMessage', jsonb_build_object('chat_id', 10000 + c, 'text', 'm' || n) \
         FROM generate_series(1, 2) n, generate_series(1, $1::bigint) c ORDER BY n, c",
    )
    .bind(OTHER_CHATS)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE outbox").execute(pool).await.unwrap();
}

/// For every node of an `EXPLAIN (ANALYZE, FORMAT JSON)` plan: (node type, relation, rows it
/// produced over all loops, rows its filters removed over all loops).
fn nodes(plan: &Value, out: &mut Vec<(String, String, f64, f64)>) {
    let loops = plan["Actual Loops"].as_f64().unwrap_or(1.0);
    let per_loop = |k: &str| plan[k].as_f64().unwrap_or(0.0) * loops;
    out.push((
        plan["Node Type"].as_str().unwrap_or("?").to_owned(),
        plan["Relation Name"].as_str().unwrap_or("").to_owned(),
        per_loop("Actual Rows"),
        per_loop("Rows Removed by Filter") + per_loop("Rows Removed by Join Filter"),
    ));
    for child in plan["Plans"].as_array().into_iter().flatten() {
        nodes(child, out);
    }
}

#[tokio::test]
async fn the_claims_plan_reads_each_chats_head_not_one_chats_backlog() {
    let (app, db) = spawn_app(AppOptions::default()).await;
    app.stop().await;
    fill(&db.pool).await;
    // The backlog's chat just got a message, so its head waits for the per-chat gap: the case
    // where the old claim filtered the whole backlog row by row (sent_at ahead of the clock
    // keeps it in the gap however slow the test machine is).
    sqlx::query(
        "INSERT INTO outbox (chat_id, method, payload, status, sent_at) \
         VALUES ($1, 'sendMessage', '{}', 'sent', now() + interval '1 minute')",
    )
    .bind(BACKLOG_CHAT)
    .execute(&db.pool)
    .await
    .unwrap();
    let cfg = SenderConfig::default();
    let mut tx = db.pool.begin().await.unwrap();
    let explained: Value = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN (ANALYZE, FORMAT JSON) {CLAIM}"
    )))
    .bind(cfg.per_chat_gap.as_secs_f64())
    .bind(i64::from(cfg.per_second))
    .bind(cfg.lease.as_secs_f64())
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    let mut all = Vec::new();
    nodes(&explained[0]["Plan"], &mut all);
    let removed: f64 = all.iter().map(|n| n.3).sum();
    let widest = all.iter().map(|n| n.2).fold(0.0, f64::max);
    let summary = format!(
        "{:.0} ms, {removed} rows removed by filters, widest node {widest} rows: {all:#?}",
        explained[0]["Execution Time"].as_f64().unwrap_or(-1.0)
    );
    println!("claim plan: {summary}");
    // Each of the 101 chats costs a few rows at most; the backlog's 50,000 never show.
    assert!(removed < 1_000.0, "{summary}");
    assert!(widest < 1_000.0, "{summary}");
}

#[tokio::test]
async fn every_other_chat_is_served_in_order_behind_a_backlog() {
    let tg = StandIn::start(TOKEN).await;
    let (app, db) = spawn_app(AppOptions::default()).await;
    app.stop().await;
    fill(&db.pool).await;
    let app = spawn_app_on(
        &db.pool,
        AppOptions {
            telegram: Some(tg.base.clone()),
            sender: SenderConfig {
                per_chat_gap: Duration::from_millis(100),
                per_second: 1000,
                ..fast_sender()
            },
            ..AppOptions::default()
        },
    )
    .await;
    tg.wait_for(
        Duration::from_secs(30),
        "both messages of every other chat",
        |calls| {
            calls
                .iter()
                .filter(|c| c.method == "sendMessage" && c.payload["chat_id"] != BACKLOG_CHAT)
                .count()
                == 2 * OTHER_CHATS as usize
        },
    )
    .await;
    let mut per_chat: HashMap<i64, Vec<String>> = HashMap::new();
    for c in tg.calls_of("sendMessage") {
        per_chat
            .entry(c.payload["chat_id"].as_i64().unwrap())
            .or_default()
            .push(c.payload["text"].as_str().unwrap().to_owned());
    }
    for chat in 10_001..=10_000 + OTHER_CHATS {
        assert_eq!(per_chat[&chat], ["m1", "m2"], "chat {chat}");
    }
    let backlog_sent = per_chat.get(&BACKLOG_CHAT).map_or(0, Vec::len);
    assert!(backlog_sent < 1000, "{backlog_sent}");
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'pending'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(
        pending > BACKLOG - 1000,
        "the backlog is still there: {pending}"
    );
    app.stop().await;
}
