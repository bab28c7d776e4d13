//! Poison updates: an update that fails with a permanent error (here a NUL in a callback query
//! id, which ends up in the outbox's jsonb) is stored in `dead_letter_updates`, answered 200 and
//! counted, and the next update is handled, through both the webhook and polling.

use std::time::Duration;

use bot_api::config::Mode;
use serde_json::{Value, json};
use shared::testing::telegram::StandIn;

use crate::helpers::{AppOptions, CLIENT, TOKEN, outbox_rows, sample, spawn_app, text, uid};

/// A button press whose callback query id holds a NUL: its `answerCallbackQuery` payload cannot
/// be stored in jsonb, so processing it fails the same way on every attempt.
fn poison(update_id: i64, from: i64) -> Value {
    json!({
        "update_id": update_id,
        "callback_query": {
            "id": "cq\u{0}poison",
            "from": {"id": from, "is_bot": false, "first_name": "Test"},
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": from, "type": "private"},
                "text": "menu"
            },
            "data": "m:1"
        }
    })
}

async fn dead_letters(pool: &sqlx::PgPool) -> Vec<(i64, String, String, String)> {
    sqlx::query_as(
        "SELECT update_id, payload, error, transport FROM dead_letter_updates ORDER BY update_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_poison_update_through_the_webhook_is_dead_lettered_and_the_next_one_is_handled() {
    let (app, db) = spawn_app(AppOptions::default()).await;
    let bad = uid();
    let r = app.webhook(&poison(bad, CLIENT)).await;
    assert_eq!(r.status(), 200);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["outcome"], "dead_lettered");
    // Telegram redelivering it (it never will after a 200) is a duplicate.
    let j: Value = app
        .webhook(&poison(bad, CLIENT))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(j["outcome"], "duplicate");

    let next = uid();
    let r = app.webhook(&text(next, CLIENT, "/start")).await;
    assert_eq!(r.status(), 200);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["outcome"], "processed");
    assert!(
        outbox_rows(&db.pool)
            .await
            .iter()
            .any(|r| r.1 == CLIENT && r.2 == "pending")
    );

    let rows = dead_letters(&db.pool).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (id, payload, error, transport) = &rows[0];
    assert_eq!(*id, bad);
    assert!(payload.contains(r"cq\u0000poison"), "{payload}");
    assert!(error.contains("database error: "), "{error}");
    assert!(error.contains("Unicode"), "{error}");
    assert_eq!(transport, "webhook");

    let m = app.scrape().await;
    assert_eq!(sample(&m, "bot_api_updates_dead_lettered_total"), 1.0);
    assert_eq!(
        sample(
            &m,
            r#"bot_api_telegram_updates_total{outcome="dead_lettered"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(&m, r#"bot_api_telegram_updates_total{outcome="error"}"#),
        0.0
    );
    app.stop().await;
}

#[tokio::test]
async fn a_poison_update_does_not_hold_back_polling() {
    let tg = StandIn::start(TOKEN).await;
    let bad = uid();
    let next = uid();
    tg.push_update(poison(bad, 3232));
    tg.push_update(text(next, 3232, "/start"));
    let (app, db) = spawn_app(AppOptions {
        telegram: Some(tg.base.clone()),
        mode: Mode::Polling,
        ..AppOptions::default()
    })
    .await;
    tg.wait_for(
        Duration::from_secs(10),
        "the reply to the update after the poison one",
        |calls| {
            calls
                .iter()
                .any(|c| c.method == "sendMessage" && c.payload["chat_id"] == 3232)
        },
    )
    .await;
    tg.wait_for(Duration::from_secs(10), "a poll past both", |calls| {
        calls
            .iter()
            .any(|c| c.method == "getUpdates" && c.payload["offset"] == next + 1)
    })
    .await;
    let rows = dead_letters(&db.pool).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, bad);
    assert_eq!(rows[0].3, "polling");
    let m = app.scrape().await;
    assert_eq!(sample(&m, "bot_api_updates_dead_lettered_total"), 1.0);
    app.stop().await;
}
