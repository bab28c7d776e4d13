//! The SQL functions each update ends with (`migrations/0007_update_functions.sql`), tested
//! like code: every outcome, that an outcome enqueues only its own prepared replies, that a
//! duplicate writes nothing, and that a decision made on data that changed meanwhile is
//! refused as `serialization_failure` with nothing written; then, through the update handler,
//! that such a refusal is decided again on the new data.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::testing::eventually;
use sqlx::{Connection, PgPool};

use crate::helpers::{CLIENT, bot, day, text_update, uid};

/// A master (of user 1) and a client (user 2) inserted directly; returns (master, client).
async fn seed(pool: &PgPool) -> (i64, i64) {
    let master: i64 = sqlx::query_scalar(
        "WITH u AS (INSERT INTO users (telegram_id, chat_id) VALUES (1, 1) RETURNING id) \
         INSERT INTO masters (user_id, display_name, time_zone) SELECT id, 'M', 'UTC' FROM u \
         RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let client: i64 =
        sqlx::query_scalar("INSERT INTO users (telegram_id, chat_id) VALUES (2, 2) RETURNING id")
            .fetch_one(pool)
            .await
            .unwrap();
    (master, client)
}

/// One reply per outcome named, plus one for every outcome.
fn replies(outcomes: &[&str]) -> Value {
    let mut out = vec![json!({"chat_id": 2, "method": "sendMessage",
                              "payload": {"text": "always"}, "tag": null})];
    for o in outcomes {
        out.push(json!({"chat_id": 2, "method": "sendMessage", "payload": {"text": o}, "tag": o}));
    }
    Value::Array(out)
}

async fn texts(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT payload->>'text' FROM outbox ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

fn at(hours: i64) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::hours(hours)
}

const BOOK: &str = "SELECT o_outcome, o_dropped FROM bot_book($1, $2, $3, $4, \
                    nextval('bookings_id_seq'), $5, $6, $7, $8, 0)";

async fn book(pool: &PgPool, update: i64, m: (i64, i64), c: i64, h: i64, max: i32) -> String {
    let (o, _): (String, i32) = sqlx::query_as(BOOK)
        .bind(update)
        .bind(m.0)
        .bind(m.1)
        .bind(c)
        .bind(at(h))
        .bind(at(h + 1))
        .bind(max)
        .bind(replies(&["booked", "blocked", "taken", "limit"]))
        .fetch_one(pool)
        .await
        .unwrap();
    o
}

fn code(err: &sqlx::Error) -> Option<String> {
    err.as_database_error()
        .and_then(|d| d.code().map(|c| c.into_owned()))
}

#[tokio::test]
async fn bot_book_reaches_each_outcome_and_enqueues_only_its_replies() {
    let db = shared::testing::test_db().await;
    let (master, client) = seed(&db.pool).await;
    let m = (master, 0);
    assert_eq!(book(&db.pool, 1, m, client, 24, 5).await, "booked");
    assert_eq!(book(&db.pool, 2, m, client, 24, 5).await, "taken");
    sqlx::query(
        "INSERT INTO availability_blocks (master_id, starts_at, ends_at) VALUES ($1, $2, $3)",
    )
    .bind(master)
    .bind(at(48))
    .bind(at(49))
    .execute(&db.pool)
    .await
    .unwrap();
    assert_eq!(book(&db.pool, 3, m, client, 48, 5).await, "blocked");
    assert_eq!(book(&db.pool, 4, m, client, 72, 1).await, "limit");
    // A duplicate: nothing booked, nothing enqueued.
    assert_eq!(book(&db.pool, 1, m, client, 96, 5).await, "duplicate");
    assert_eq!(
        texts(&db.pool).await,
        [
            "always", "booked", "always", "taken", "always", "blocked", "always", "limit"
        ]
    );
    let booked: i64 = sqlx::query_scalar("SELECT count(*) FROM bookings")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(booked, 1);
}

#[tokio::test]
async fn a_booking_judged_by_an_older_schedule_is_stale_and_writes_nothing() {
    let db = shared::testing::test_db().await;
    let (master, client) = seed(&db.pool).await;
    sqlx::query("UPDATE masters SET schedule_version = 1")
        .execute(&db.pool)
        .await
        .unwrap();
    let err = sqlx::query(BOOK)
        .bind(7_i64)
        .bind(master)
        .bind(0_i64)
        .bind(client)
        .bind(at(24))
        .bind(at(25))
        .bind(5)
        .bind(replies(&["booked"]))
        .execute(&db.pool)
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("40001"), "{err}");
    let written: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM processed_updates), (SELECT count(*) FROM bookings), \
                (SELECT count(*) FROM outbox)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(written, (0, 0, 0));
}

#[tokio::test]
async fn block_and_removal_act_only_on_the_bookings_they_were_decided_on() {
    let db = shared::testing::test_db().await;
    let (master, client) = seed(&db.pool).await;
    book(&db.pool, 1, (master, 0), client, 24, 5).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM bookings")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let block = |update: i64, expected: Vec<i64>| {
        sqlx::query_as::<_, (String, i32)>(
            "SELECT o_outcome, o_dropped FROM bot_block($1, $2, \
             nextval('availability_blocks_id_seq'), $3, $4, $5, $6, 0)",
        )
        .bind(update)
        .bind(master)
        .bind(at(20))
        .bind(at(30))
        .bind(expected)
        .bind(replies(&["added", "conflict"]))
    };
    let err = block(2, vec![]).fetch_one(&db.pool).await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("40001"), "{err}");
    let (o, _) = block(3, vec![id]).fetch_one(&db.pool).await.unwrap();
    assert_eq!(o, "conflict");

    let remove = |update: i64, expected: Vec<i64>| {
        sqlx::query_as::<_, (String, i32)>(
            "SELECT o_outcome, o_dropped FROM bot_remove_master($1, $2, $3, $4, 0)",
        )
        .bind(update)
        .bind(master)
        .bind(expected)
        .bind(replies(&["removed"]))
    };
    let err = remove(4, vec![]).fetch_one(&db.pool).await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("40001"), "{err}");
    let (o, _) = remove(5, vec![id]).fetch_one(&db.pool).await.unwrap();
    assert_eq!(o, "removed");
    let state: (bool, i64, String) =
        sqlx::query_as("SELECT m.active, m.schedule_version, b.status FROM masters m, bookings b")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(state, (false, 1, "cancelled".into()));
    let blocks: i64 = sqlx::query_scalar("SELECT count(*) FROM availability_blocks")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(blocks, 0);
}

#[tokio::test]
async fn cancel_is_cancelled_then_already_and_late_inside_the_lead() {
    let db = shared::testing::test_db().await;
    let (master, client) = seed(&db.pool).await;
    book(&db.pool, 1, (master, 0), client, 24, 5).await;
    book(&db.pool, 2, (master, 0), client, 2, 5).await;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM bookings ORDER BY starts_at DESC")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let cancel = |update: i64, id: i64, lead: i32| {
        sqlx::query_as::<_, (String, i32)>(
            "SELECT o_outcome, o_dropped FROM bot_cancel($1, $2, 'client', \
             make_interval(mins => $3), $4, 0)",
        )
        .bind(update)
        .bind(id)
        .bind(lead)
        .bind(replies(&["cancelled", "already", "late"]))
    };
    assert_eq!(
        cancel(3, ids[0], 60).fetch_one(&db.pool).await.unwrap().0,
        "cancelled"
    );
    assert_eq!(
        cancel(4, ids[0], 60).fetch_one(&db.pool).await.unwrap().0,
        "already"
    );
    assert_eq!(
        cancel(5, ids[1], 180).fetch_one(&db.pool).await.unwrap().0,
        "late"
    );
}

#[tokio::test]
async fn the_outbox_cap_drops_what_exceeds_it_and_says_how_many() {
    let db = shared::testing::test_db().await;
    let out = replies(&["done", "done"]);
    let finish = |update: i64| {
        sqlx::query_as::<_, (String, i32)>("SELECT o_outcome, o_dropped FROM bot_finish($1, $2, 4)")
            .bind(update)
            .bind(&out)
    };
    assert_eq!(
        finish(1).fetch_one(&db.pool).await.unwrap(),
        ("done".into(), 0)
    );
    // Three pending for chat 2; the cap of four lets all three of the next update in (the
    // count is taken before the statement's own rows), then none of the one after.
    assert_eq!(
        finish(2).fetch_one(&db.pool).await.unwrap(),
        ("done".into(), 0)
    );
    assert_eq!(
        finish(3).fetch_one(&db.pool).await.unwrap(),
        ("done".into(), 3)
    );
}

/// Through the handler: a booking read on the old hours waits for the master's row while an
/// hours change holds it; once the change commits, its write finds the schedule changed, and
/// the booking is read and decided again on the new hours (refused) instead of slipping in.
#[tokio::test]
async fn a_booking_racing_an_hours_change_is_decided_again_on_the_new_hours() {
    let bot = bot().await;
    let master_id = bot.master().await;
    bot.say(CLIENT, "/start").await;
    let mut other = sqlx::PgConnection::connect(&bot.db.url).await.unwrap();
    let mut tx = other.begin().await.unwrap();
    sqlx::query(
        "WITH d AS (DELETE FROM working_hours WHERE master_id = $1) \
         UPDATE masters SET schedule_version = schedule_version + 1 WHERE id = $1",
    )
    .bind(master_id)
    .execute(&mut *tx)
    .await
    .unwrap();
    let update = text_update(
        uid(),
        CLIENT,
        &format!("/book {master_id} {} 10:00", day(3)),
    );
    let waiting = || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
             AND query LIKE '%bot_book%'",
        )
        .fetch_one(&bot.db.pool)
        .await
        .unwrap();
        n > 0
    };
    let (outcome, ()) = tokio::join!(bot.process(&update), async {
        assert!(
            eventually(waiting, Duration::from_secs(10)).await,
            "never waited"
        );
        tx.commit().await.unwrap();
    });
    assert_eq!(outcome, bot_api::updates::Outcome::Processed);
    let reply = bot.last_text(CLIENT).await;
    assert!(reply.contains("could not book"), "{reply}");
    assert_eq!(bot.confirmed().await, 0);
}
