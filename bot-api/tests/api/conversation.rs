//! A whole conversation through buttons and commands: an admin adds a master, the master sets
//! hours and a block, a client browses, books, sees /my and cancels; the master's agenda; the
//! notifications and the reminder.

use bot_api::config::BookingRules;
use bot_api::reminders;

use crate::helpers::*;

#[tokio::test]
async fn admin_master_and_client_go_through_the_whole_booking_flow() {
    let bot = bot_with(BookingRules {
        reminder_minutes: 10 * 24 * 60,
        ..BookingRules::default()
    })
    .await;
    let m = bot.master().await;
    let d = day(3);
    let ymd = d.format("%Y%m%d").to_string();
    let block = bot.say(MASTER, &format!("/block {d} 13:00-14:00")).await;
    assert!(block.contains("Block #"), "{block}");

    bot.say(CLIENT, "/start").await;
    let masters = bot.say(CLIENT, "/masters").await;
    assert!(masters.contains(&format!("#{m} Anna Smith")), "{masters}");
    let days = bot.press(CLIENT, &format!("m:{m}")).await;
    assert!(days.contains(&format!("master #{m}")), "{days}");
    let slots = bot.press(CLIENT, &format!("s:{m}:{ymd}")).await;
    assert!(
        slots.contains("10:00") && !slots.contains("13:00"),
        "{slots}"
    );
    let prompt = bot.press(CLIENT, &format!("t:{m}:{ymd}:1000")).await;
    assert!(prompt.contains(&format!("Book master #{m}")), "{prompt}");
    let booked = bot.press(CLIENT, &format!("b:{m}:{ymd}:1000")).await;
    assert!(booked.starts_with("Booked: #"), "{booked}");
    let id = first_id(&booked);
    assert!(
        bot.last_text(MASTER)
            .await
            .contains(&format!("New booking #{id}"))
    );

    let my = bot.say(CLIENT, "/my").await;
    assert!(my.contains(&format!("#{id}: {d} 10:00")), "{my}");
    let agenda = bot.say(MASTER, &format!("/agenda {d}")).await;
    assert!(agenda.contains(&format!("#{id} 10:00-11:00")), "{agenda}");
    let next = bot
        .press(
            MASTER,
            &format!("a:{}", (d.pred_opt().unwrap()).format("%Y%m%d")),
        )
        .await;
    assert!(next.contains("No bookings"), "{next}");

    assert_eq!(reminders::sweep(&bot.ctx).await.unwrap(), 1);
    assert_eq!(reminders::sweep(&bot.ctx).await.unwrap(), 0);
    let reminder = bot.last_text(CLIENT).await;
    assert!(
        reminder.starts_with(&format!("Reminder: booking #{id}")),
        "{reminder}"
    );

    let cancelled = bot.press(CLIENT, &format!("c:{id}")).await;
    assert!(cancelled.contains(&format!("Booking #{id}")), "{cancelled}");
    assert!(
        bot.last_text(MASTER)
            .await
            .contains("cancelled by the client")
    );
    assert!(
        bot.say(CLIENT, "/my")
            .await
            .contains("no upcoming bookings")
    );
    assert!(
        bot.say(MASTER, &format!("/agenda {d}"))
            .await
            .contains("No bookings")
    );
}
