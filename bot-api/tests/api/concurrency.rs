//! Many clients at one slot at once: exactly one booking, every other attempt told "taken".

use std::sync::Arc;

use bot_api::updates::{Outcome, process_update};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_attempts_at_one_slot_give_exactly_one_booking() {
    let bot = bot().await;
    let m = bot.master().await;
    let cmd = format!("/book {m} {} 10:00", day(3));
    let ctx = Arc::new(bot.ctx.clone());
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let ctx = Arc::clone(&ctx);
            let update = text_update(uid(), 6_000_000_000 + i, &cmd);
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
            text_update(uid(), 6_100_000_000 + i, &cmd)
        })
        .collect();
    updates.insert(6, text_update(uid(), MASTER, &format!("/block {d}")));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reminder_sweeps_remind_each_booking_exactly_once() {
    let bot = bot_with(bot_api::config::BookingRules {
        reminder_minutes: 10 * 24 * 60,
        ..Default::default()
    })
    .await;
    let m = bot.master().await;
    for (i, h) in ["09:00", "10:00", "11:00"].iter().enumerate() {
        bot.say(CLIENT + i as i64, &format!("/book {m} {} {h}", day(3)))
            .await;
    }
    let sweeps: Vec<_> = (0..4)
        .map(|_| {
            let ctx = bot.ctx.clone();
            tokio::spawn(async move { bot_api::reminders::sweep(&ctx).await.unwrap() })
        })
        .collect();
    let mut total = 0;
    for s in sweeps {
        total += s.await.unwrap();
    }
    assert_eq!(total, 3);
    let reminders: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE payload->>'text' LIKE 'Reminder:%'")
            .fetch_one(&bot.db.pool)
            .await
            .unwrap();
    assert_eq!(reminders, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_clients_concurrent_first_updates_all_land_and_respect_the_booking_limit() {
    let bot = bot_with(bot_api::config::BookingRules {
        max_active_bookings: 1,
        ..Default::default()
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(bot.master_as(7_100_000_000 + i, &format!("M{i}")).await);
    }
    let ctx = Arc::new(bot.ctx.clone());
    let tasks: Vec<_> = ids
        .iter()
        .map(|m| {
            let ctx = Arc::clone(&ctx);
            let update = text_update(uid(), CLIENT, &format!("/book {m} {} 10:00", day(3)));
            tokio::spawn(async move { process_update(&ctx, &update).await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), Outcome::Processed);
    }
    assert_eq!(bot.confirmed().await, 1);
    assert_eq!(bot.failures("limit_reached"), 7);
}
