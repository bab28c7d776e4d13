//! Masters' schedules: hours, blocks (refused over bookings), time zones, adding and removing
//! masters, and slots across both daylight-saving changes.

use bot_api::config::BookingRules;

use crate::helpers::*;

fn writes(bot: &Bot, action: &str, outcome: &str) -> u64 {
    bot.ctx
        .metrics
        .schedule_writes
        .with_label_values(&[action, outcome])
        .get()
}

/// The `callback_data` of the time buttons in the newest reply to `chat`.
async fn slot_buttons(bot: &Bot, chat: i64) -> Vec<String> {
    let out = bot.outbox(chat).await;
    let (_, payload) = out.iter().rev().find(|(m, _)| m == "sendMessage").unwrap();
    payload["reply_markup"]["inline_keyboard"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .flat_map(|r| r.as_array().unwrap().iter())
                .filter_map(|b| b["callback_data"].as_str())
                .filter(|d| d.starts_with("t:"))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_block_over_confirmed_bookings_is_refused_listing_them() {
    let bot = bot().await;
    let m = bot.master().await;
    let id = first_id(
        &bot.say(CLIENT, &format!("/book {m} {} 10:00", day(3)))
            .await,
    );
    let refused = bot.say(MASTER, &format!("/block {}", day(3))).await;
    assert!(
        refused.contains(&format!("#{id} at {} 10:00", day(3))),
        "{refused}"
    );
    let refused = bot
        .say(MASTER, &format!("/block {} 09:30-10:30", day(3)))
        .await;
    assert!(refused.contains(&format!("#{id}")), "{refused}");
    assert_eq!(writes(&bot, "block_added", "failure"), 2);

    let ok = bot
        .say(MASTER, &format!("/block {} 12:00-13:00", day(3)))
        .await;
    let block_id = first_id(&ok);
    assert!(ok.starts_with(&format!("Block #{block_id} added")), "{ok}");
    let list = bot.say(MASTER, "/blocks").await;
    assert!(
        list.contains(&format!("#{block_id}: {} 12:00", day(3))),
        "{list}"
    );
    bot.say(CLIENT, &format!("/slots {m} {}", day(3))).await;
    let free = slot_buttons(&bot, CLIENT).await;
    assert!(
        !free
            .iter()
            .any(|d| d.ends_with(":1000") || d.ends_with(":1200")),
        "{free:?}"
    );
    assert!(free.iter().any(|d| d.ends_with(":1300")), "{free:?}");

    assert!(
        bot.say(MASTER, &format!("/unblock {block_id}"))
            .await
            .contains("removed")
    );
    assert!(
        bot.say(MASTER, "/unblock 999")
            .await
            .contains("no block #999")
    );
    assert!(bot.say(MASTER, "/blocks").await.contains("no current"));
    assert_eq!(writes(&bot, "block_added", "success"), 1);
    assert_eq!(writes(&bot, "block_removed", "success"), 1);
}

#[tokio::test]
async fn hours_off_leave_no_slots_and_malformed_hours_explain_the_form() {
    let bot = bot().await;
    let m = bot.master().await;
    let off = bot.say(MASTER, "/hours mon-sun off").await;
    assert!(off.contains("days off"), "{off}");
    let slots = bot.say(CLIENT, &format!("/slots {m} {}", day(3))).await;
    assert!(slots.contains("No free slots"), "{slots}");
    let bad = bot.say(MASTER, "/hours someday 09:00-17:00").await;
    assert!(bad.contains("mon-fri") && bad.contains("Expected"), "{bad}");
    bot.say(MASTER, "/hours sat,sun 10:00-12:00").await;
    assert_eq!(writes(&bot, "hours_set", "success"), 2);
    assert_eq!(writes(&bot, "hours_cleared", "success"), 1);
}

#[tokio::test]
async fn a_master_may_change_time_zone_and_slots_follow_it() {
    let bot = bot().await;
    let m = bot.master().await;
    assert!(
        bot.say(MASTER, "/timezone Mars/Olympus")
            .await
            .contains("IANA")
    );
    let set = bot.say(MASTER, "/timezone America/New_York").await;
    assert!(set.contains("America/New_York"), "{set}");
    let slots = bot.say(CLIENT, &format!("/slots {m} {}", day(3))).await;
    assert!(slots.contains("(America/New_York): 08:00"), "{slots}");
    assert_eq!(writes(&bot, "timezone_set", "success"), 1);
}

/// The day view reads the day's bookings by the zone it last saw: after a change of zone, a
/// booking in the new zone's day but outside the old one's (19:00 in New York is 01:00 the
/// next day in Berlin) must still show as taken.
#[tokio::test]
async fn after_a_change_of_zone_the_day_view_reads_the_new_zones_day() {
    let bot = bot().await;
    let m = bot.master().await;
    let date = day(3);
    let before = bot.say(CLIENT, &format!("/slots {m} {date}")).await;
    assert!(before.contains("(Europe/Berlin)"), "{before}");
    bot.say(MASTER, "/timezone America/New_York").await;
    let booked = bot.say(OTHER, &format!("/book {m} {date} 19:00")).await;
    assert!(booked.starts_with("Booked"), "{booked}");
    let after = bot.say(CLIENT, &format!("/slots {m} {date}")).await;
    assert!(
        after.contains("(America/New_York)") && after.contains("18:00"),
        "{after}"
    );
    assert!(
        !after.contains("19:00"),
        "the 19:00 booking shows as free: {after}"
    );
}

#[tokio::test]
async fn admins_add_and_remove_masters_with_reasons_for_every_refusal() {
    let bot = bot().await;
    let unknown = bot.say(ADMIN, "/addmaster 123456789012 Nobody").await;
    assert!(unknown.contains("has not sent /start"), "{unknown}");
    let m = bot.master().await;
    assert!(bot.last_text(MASTER).await.contains("08:00-20:00"));
    let twice = bot.say(ADMIN, &format!("/addmaster {MASTER} Anna")).await;
    assert!(twice.contains(&format!("already master #{m}")), "{twice}");
    let listed = bot.say(CLIENT, "/masters").await;
    assert!(listed.contains(&format!("#{m} Anna Smith")), "{listed}");

    let removed = bot.say(ADMIN, &format!("/removemaster {m}")).await;
    assert!(
        removed.contains(&format!("#{m}")) && removed.contains("deactivated"),
        "{removed}"
    );
    assert!(bot.say(CLIENT, "/masters").await.contains("no masters"));
    let book = bot
        .say(CLIENT, &format!("/book {m} {} 10:00", day(3)))
        .await;
    assert!(book.contains("no active master"), "{book}");
    assert!(
        bot.say(ADMIN, "/removemaster 999")
            .await
            .contains("no active master #999")
    );
    let denied = bot.say(MASTER, "/agenda").await;
    assert!(denied.starts_with("Sorry"), "{denied}");

    let back = bot.say(ADMIN, &format!("/addmaster {MASTER} Anna B")).await;
    assert_eq!(first_id(&back), m);
    assert_eq!(writes(&bot, "master_added", "success"), 2);
    assert_eq!(writes(&bot, "master_added", "failure"), 2);
    assert_eq!(writes(&bot, "master_removed", "success"), 1);
}

#[tokio::test]
async fn slots_and_bookings_are_right_on_both_daylight_saving_days() {
    let bot = bot_with(BookingRules {
        horizon_days: 20 * 365,
        ..BookingRules::default()
    })
    .await;
    let m = bot.master().await;
    bot.say(MASTER, "/hours mon-sun 00:00-23:59").await;

    bot.say(CLIENT, &format!("/slots {m} 2030-03-30")).await;
    assert_eq!(slot_buttons(&bot, CLIENT).await.len(), 23);
    let spring = bot.say(CLIENT, &format!("/slots {m} 2030-03-31")).await;
    assert_eq!(slot_buttons(&bot, CLIENT).await.len(), 22, "{spring}");
    assert!(spring.contains("01:00, 03:00"), "{spring}");
    let fall = bot.say(CLIENT, &format!("/slots {m} 2030-10-27")).await;
    let buttons = slot_buttons(&bot, CLIENT).await;
    assert_eq!(buttons.len(), 24, "{fall}");
    assert!(fall.contains("02:00 CEST, 02:00 CET"), "{fall}");
    let second = format!("t:{m}:20301027:0200L");
    assert!(buttons.contains(&second), "{buttons:?}");
    let prompt = bot.press(CLIENT, &second).await;
    assert!(prompt.contains("02:00 CET"), "{prompt}");
    let later = bot.press(CLIENT, &second.replacen("t:", "b:", 1)).await;
    assert!(later.contains("02:00 CET"), "{later}");

    let gap = bot
        .say(CLIENT, &format!("/book {m} 2030-03-31 02:00"))
        .await;
    assert!(gap.contains("does not exist"), "{gap}");
    let after = bot
        .say(CLIENT, &format!("/book {m} 2030-03-31 03:00"))
        .await;
    assert!(after.starts_with("Booked"), "{after}");
    let ambiguous = bot
        .say(CLIENT, &format!("/book {m} 2030-10-27 02:00"))
        .await;
    assert!(ambiguous.contains("02:00 CEST"), "{ambiguous}");
    let starts: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT starts_at FROM bookings ORDER BY starts_at")
            .fetch_all(&bot.db.pool)
            .await
            .unwrap();
    assert_eq!(starts[0].to_rfc3339(), "2030-03-31T01:00:00+00:00");
    assert_eq!(starts[1].to_rfc3339(), "2030-10-27T00:00:00+00:00");
    assert_eq!(starts[2].to_rfc3339(), "2030-10-27T01:00:00+00:00");
}
