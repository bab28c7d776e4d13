//! The schema on a real PostgreSQL: migrations apply, and the database itself refuses
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! overlapping confirmed bookings.

use shared::testing::test_db;
use sqlx::PgPool;

async fn seed_master_and_client(pool: &PgPool) -> (i64, i64) {
    let client: i64 = sqlx::query_scalar(
        "INSERT INTO users (telegram_id, chat_id) VALUES (5000000001, 5000000001) RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let master_user: i64 = sqlx::query_scalar(
        "INSERT INTO users (telegram_id, chat_id) VALUES (7000000002, 7000000002) RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let master: i64 = sqlx::query_scalar(
        "INSERT INTO masters (user_id, display_name, time_zone) VALUES ($1, 'Anna', 'Europe/Berlin') RETURNING id",
    )
    .bind(master_user)
    .fetch_one(pool)
    .await
    .unwrap();
    (master, client)
}

async fn book(
    pool: &PgPool,
    master: i64,
    client: i64,
    from: &str,
    to: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO bookings (master_id, client_id, starts_at, ends_at) \
         VALUES ($1, $2, $3::timestamptz, $4::timestamptz) RETURNING id",
    )
    .bind(master)
    .bind(client)
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await
}

fn constraint_of(err: &sqlx::Error) -> Option<String> {
    err.as_database_error()
        .and_then(|e| e.constraint())
        .map(str::to_owned)
}

#[tokio::test]
async fn migrations_apply_and_create_the_contract_tables() {
    let db = test_db().await;
    for table in [
        "users",
        "masters",
        "bookings",
        "availability_blocks",
        "processed_updates",
        "outbox",
    ] {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert!(exists, "table {table} exists");
    }
    // Applying again is a no-op, as at every bot-api start.
    shared::db::migrate(&db.pool).await.unwrap();
}

#[tokio::test]
async fn an_overlapping_confirmed_booking_is_refused_by_the_exclusion_constraint() {
    let db = test_db().await;
    let (master, client) = seed_master_and_client(&db.pool).await;
    book(
        &db.pool,
        master,
        client,
        "2030-01-07 10:00Z",
        "2030-01-07 11:00Z",
    )
    .await
    .unwrap();
    let err = book(
        &db.pool,
        master,
        client,
        "2030-01-07 10:30Z",
        "2030-01-07 11:30Z",
    )
    .await
    .unwrap_err();
    assert_eq!(constraint_of(&err).as_deref(), Some("bookings_no_overlap"));
    let err = book(
        &db.pool,
        master,
        client,
        "2030-01-07 09:00Z",
        "2030-01-07 12:00Z",
    )
    .await
    .unwrap_err();
    assert_eq!(constraint_of(&err).as_deref(), Some("bookings_no_overlap"));
}

#[tokio::test]
async fn back_to_back_bookings_and_other_masters_are_accepted() {
    let db = test_db().await;
    let (master, client) = seed_master_and_client(&db.pool).await;
    book(
        &db.pool,
        master,
        client,
        "2030-01-07 10:00Z",
        "2030-01-07 11:00Z",
    )
    .await
    .unwrap();
    book(
        &db.pool,
        master,
        client,
        "2030-01-07 11:00Z",
        "2030-01-07 12:00Z",
    )
    .await
    .unwrap();
    book(
        &db.pool,
        master,
        client,
        "2030-01-07 09:00Z",
        "2030-01-07 10:00Z",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_slot_freed_by_cancellation_can_be_booked_again() {
    let db = test_db().await;
    let (master, client) = seed_master_and_client(&db.pool).await;
    let id = book(
        &db.pool,
        master,
        client,
        "2030-01-07 10:00Z",
        "2030-01-07 11:00Z",
    )
    .await
    .unwrap();
    sqlx::query("UPDATE bookings SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'client' WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
    book(
        &db.pool,
        master,
        client,
        "2030-01-07 10:00Z",
        "2030-01-07 11:00Z",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_booking_must_end_after_it_starts() {
    let db = test_db().await;
    let (master, client) = seed_master_and_client(&db.pool).await;
    let err = book(
        &db.pool,
        master,
        client,
        "2030-01-07 10:00Z",
        "2030-01-07 10:00Z",
    )
    .await
    .unwrap_err();
    assert!(
        err.as_database_error()
            .is_some_and(|e| e.code().as_deref() == Some("23514")),
        "{err}"
    );
}

#[tokio::test]
async fn telegram_ids_beyond_32_bits_are_stored() {
    let db = test_db().await;
    let big: i64 = 9_007_199_254_740_000;
    let got: i64 = sqlx::query_scalar(
        "INSERT INTO users (telegram_id, chat_id) VALUES ($1, $1) RETURNING telegram_id",
    )
    .bind(big)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(got, big);
}
