//! Booking and cancelling: success with notification, and every refusal reason with its
//! sentence, event counter and no booking row.

use bot_api::config::BookingRules;

use crate::helpers::*;

fn successes(bot: &Bot) -> u64 {
    bot.ctx
        .metrics
        .bookings
        .with_label_values(&["success"])
        .get()
}

#[tokio::test]
async fn a_client_books_a_free_slot_and_the_master_is_notified() {
    let bot = bot().await;
    let master_id = bot.master().await;
    let reply = bot
        .say(CLIENT, &format!("/book {master_id} {} 10:00", day(3)))
        .await;
    assert!(reply.starts_with("Booked: #"), "{reply}");
    assert!(reply.contains(&format!("master #{master_id}")), "{reply}");
    let booking_id = first_id(&reply);
    let note = bot.last_text(MASTER).await;
    assert!(
        note.contains(&format!("New booking #{booking_id}")),
        "{note}"
    );
    assert_eq!(successes(&bot), 1);
    assert_eq!(bot.confirmed().await, 1);
}

#[tokio::test]
async fn each_refusal_reason_answers_a_sentence_and_is_counted() {
    let rules = BookingRules {
        max_active_bookings: 2,
        ..BookingRules::default()
    };
    let bot = bot_with(rules).await;
    let m = bot.master().await;
    bot.say(MASTER, &format!("/block {} 12:00-14:00", day(4)))
        .await;
    bot.say(OTHER, &format!("/book {m} {} 09:00", day(5))).await;
    let cases = [
        (
            format!("/book {m} {} 10:00", day(-1)),
            "in_past",
            "in the past",
        ),
        (
            format!("/book {m} {} 10:00", day(70)),
            "beyond_horizon",
            "at most 60 days",
        ),
        (
            format!("/book {m} {} 21:00", day(3)),
            "outside_hours",
            "outside",
        ),
        (
            format!("/book {m} {} 10:30", day(3)),
            "outside_hours",
            "grid",
        ),
        (
            format!("/book {m} {} 12:00", day(4)),
            "blocked",
            "not available",
        ),
        (
            format!("/book {m} {} 09:00", day(5)),
            "taken",
            "already taken",
        ),
        (
            format!("/book {m} tomorrow 10:00"),
            "invalid_input",
            "YYYY-MM-DD",
        ),
        (
            format!("/book {m} {} 25:00", day(3)),
            "invalid_input",
            "HH:MM",
        ),
        (
            format!("/book x {} 10:00", day(3)),
            "invalid_input",
            "master id",
        ),
        (
            format!("/book 999 {} 10:00", day(3)),
            "master_not_found",
            "no active master",
        ),
    ];
    for (cmd, reason, words) in &cases {
        let before = bot.failures(reason);
        let reply = bot.say(CLIENT, cmd).await;
        assert!(reply.contains(words), "{cmd}: {reply}");
        assert!(
            reply.ends_with('.') || reply.ends_with(']') || reply.contains("Expected"),
            "{reply}"
        );
        assert_eq!(bot.failures(reason), before + 1, "{cmd}");
    }
    bot.say(CLIENT, &format!("/book {m} {} 10:00", day(3)))
        .await;
    bot.say(CLIENT, &format!("/book {m} {} 11:00", day(3)))
        .await;
    let reply = bot
        .say(CLIENT, &format!("/book {m} {} 15:00", day(3)))
        .await;
    assert!(reply.contains("upcoming bookings"), "{reply}");
    assert_eq!(bot.failures("limit_reached"), 1);
    assert_eq!(bot.confirmed().await, 3);
    let failures = bot
        .ctx
        .metrics
        .bookings
        .with_label_values(&["failure"])
        .get();
    assert_eq!(failures, cases.len() as u64 + 1);
}

#[tokio::test]
async fn a_booking_sooner_than_the_minimum_notice_is_refused() {
    let bot = bot_with(BookingRules {
        min_notice_minutes: 3 * 24 * 60,
        ..BookingRules::default()
    })
    .await;
    let m = bot.master().await;
    let reply = bot
        .say(CLIENT, &format!("/book {m} {} 10:00", day(2)))
        .await;
    assert!(reply.contains("notice"), "{reply}");
    assert_eq!(bot.failures("too_soon"), 1);
}

#[tokio::test]
async fn an_overlapping_row_written_behind_the_bots_back_still_reads_as_taken() {
    let bot = bot().await;
    let m = bot.master().await;
    bot.say(OTHER, "/start").await;
    sqlx::query(
        "INSERT INTO bookings (master_id, client_id, starts_at, ends_at) \
         SELECT $1, id, $2::timestamptz, $2::timestamptz + interval '30 minutes' \
         FROM users WHERE telegram_id = $3",
    )
    .bind(m)
    .bind(format!("{} 10:30:00 Europe/Berlin", day(3)))
    .bind(OTHER)
    .execute(&bot.db.pool)
    .await
    .unwrap();
    let reply = bot
        .say(CLIENT, &format!("/book {m} {} 10:00", day(3)))
        .await;
    assert!(reply.contains("already taken"), "{reply}");
    assert_eq!(bot.failures("taken"), 1);
}

#[tokio::test]
async fn clients_cancel_their_own_bookings_and_the_master_is_told() {
    let bot = bot().await;
    let m = bot.master().await;
    let id = first_id(
        &bot.say(CLIENT, &format!("/book {m} {} 10:00", day(3)))
            .await,
    );
    let reply = bot.say(CLIENT, &format!("/cancel {id}")).await;
    assert!(
        reply.contains(&format!("#{id}")) && reply.contains("cancelled"),
        "{reply}"
    );
    assert!(
        bot.last_text(MASTER)
            .await
            .contains("cancelled by the client")
    );
    let again = bot.say(CLIENT, &format!("/cancel {id}")).await;
    assert!(again.contains("already cancelled"), "{again}");
    assert!(
        bot.say(CLIENT, "/cancel 999")
            .await
            .contains("no booking #999")
    );
    let by = |b: &str| bot.ctx.metrics.cancellations.with_label_values(&[b]).get();
    assert_eq!(by("client"), 1);
}

#[tokio::test]
async fn after_the_cut_off_only_the_master_or_an_admin_may_cancel() {
    let bot = bot_with(BookingRules {
        cancel_cutoff_minutes: 5 * 24 * 60,
        ..BookingRules::default()
    })
    .await;
    let m = bot.master().await;
    let a = first_id(
        &bot.say(CLIENT, &format!("/book {m} {} 10:00", day(3)))
            .await,
    );
    let b = first_id(
        &bot.say(CLIENT, &format!("/book {m} {} 11:00", day(3)))
            .await,
    );
    let refused = bot.say(CLIENT, &format!("/cancel {a}")).await;
    assert!(refused.contains("no longer be cancelled"), "{refused}");

    let by_master = bot.press(MASTER, &format!("c:{a}")).await;
    assert!(by_master.contains("cancelled"), "{by_master}");
    assert!(
        bot.last_text(CLIENT)
            .await
            .contains("cancelled by the master")
    );

    let by_admin = bot.say(ADMIN, &format!("/cancel {b}")).await;
    assert!(by_admin.contains("cancelled"), "{by_admin}");
    assert!(
        bot.last_text(CLIENT)
            .await
            .contains("cancelled by the admin")
    );
    assert!(
        bot.last_text(MASTER)
            .await
            .contains("cancelled by the admin")
    );
    let by = |w: &str| bot.ctx.metrics.cancellations.with_label_values(&[w]).get();
    assert_eq!((by("client"), by("master"), by("admin")), (0, 1, 1));
    assert_eq!(bot.confirmed().await, 0);
}
