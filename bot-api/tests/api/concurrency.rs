//! Many clients at one slot at once: exactly one booking, every other attempt told "taken".

use std::sync::Arc;

use bot_api::updates::{Outcome, process_update};

use crate::domain_helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_attempts_at_one_slot_give_exactly_one_booking() {
    let bot = bot().await;
    let m = bot.master().await;
    let cmd = format!("/book {m} {} 10:00", day(3));
    let ctx = Arc::new(bot.ctx.clone());
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let ctx = Arc::clone(&ctx);
            let update = text_update(next_update_id(), 6_000_000_000 + i, &cmd);
            tokio::spawn(async move { process_update(&ctx, &update).await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), Outcome::Processed);
    }
    assert_eq!(bot.confirmed().await, 1);
    assert_eq!(bot.failures("taken"), 49);
    let booked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE payload->>'text' LIKE 'Booked: #%'")
            .fetch_one(&bot.db.pool)
            .await
            .unwrap();
    assert_eq!(booked, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_block_racing_with_bookings_never_ends_up_over_a_confirmed_booking() {
    let bot = bot().await;
    let m = bot.master().await;
    let d = day(3);
    let ctx = Arc::new(bot.ctx.clone());
    let mut updates: Vec<_> = (0..12)
        .map(|i| {
            let cmd = format!("/book {m} {d} {:02}:00", 8 + i);
            text_update(next_update_id(), 6_100_000_000 + i, &cmd)
        })
        .collect();
    updates.insert(
        6,
        text_update(next_update_id(), MASTER, &format!("/block {d}")),
    );
    let tasks: Vec<_> = updates
        .into_iter()
        .map(|u| {
            let ctx = Arc::clone(&ctx);
            tokio::spawn(async move { process_update(&ctx, &u).await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), Outcome::Processed);
    }
    let overlapping: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM bookings b JOIN availability_blocks a ON a.master_id = b.master_id \
         WHERE b.status = 'confirmed' AND b.starts_at < a.ends_at AND b.ends_at > a.starts_at",
    )
    .fetch_one(&bot.db.pool)
    .await
    .unwrap();
    assert_eq!(overlapping, 0);
    let blocks: i64 = sqlx::query_scalar("SELECT count(*) FROM availability_blocks")
        .fetch_one(&bot.db.pool)
        .await
        .unwrap();
    assert!(blocks == 0 || bot.confirmed().await == 0);
}
