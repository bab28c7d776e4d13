//! Role-based access: typed commands and forged buttons are refused alike, logged and counted.

use crate::helpers::*;

fn denials(bot: &Bot, command: &str) -> u64 {
    bot.ctx
        .metrics
        .rbac_denials
        .with_label_values(&[command])
        .get()
}

#[tokio::test]
async fn a_client_is_refused_master_and_admin_commands_politely_and_counted() {
    let bot = bot().await;
    for (cmd, label) in [
        ("/agenda", "agenda"),
        ("/hours mon 09:00-17:00", "hours"),
        ("/hours garbage", "hours"),
        ("/block 2030-01-01", "block"),
        ("/blocks", "blocks"),
        ("/unblock 1", "unblock"),
        ("/timezone Europe/Paris", "timezone"),
        ("/addmaster 1 Bob", "addmaster"),
        ("/removemaster 1", "removemaster"),
    ] {
        let reply = bot.say(CLIENT, cmd).await;
        assert!(reply.starts_with("Sorry"), "{cmd}: {reply}");
        assert_eq!(
            denials(&bot, label),
            1 + u64::from(label == "hours" && cmd.contains("garbage"))
        );
    }
}

#[tokio::test]
async fn a_master_cannot_use_admin_commands_nor_remove_another_masters_block() {
    let bot = bot().await;
    bot.master().await;
    bot.master_as(7_000_000_777, "Ben").await;
    let reply = bot.say(MASTER, "/addmaster 1 Eve").await;
    assert!(reply.contains("only for admins"), "{reply}");
    let block = bot.say(7_000_000_777, &format!("/block {}", day(10))).await;
    let block_id = first_id(&block);
    let reply = bot.say(MASTER, &format!("/unblock {block_id}")).await;
    assert!(reply.contains("not yours"), "{reply}");
    assert_eq!(denials(&bot, "unblock"), 1);
}

#[tokio::test]
async fn a_forged_cancel_button_for_someone_elses_booking_is_refused_like_the_command() {
    let bot = bot().await;
    let master_id = bot.master().await;
    let booked = bot
        .say(CLIENT, &format!("/book {master_id} {} 10:00", day(3)))
        .await;
    let booking_id = first_id(&booked);
    let forged = bot.press(OTHER, &format!("c:{booking_id}")).await;
    assert!(forged.contains("not yours"), "{forged}");
    let typed = bot.say(OTHER, &format!("/cancel {booking_id}")).await;
    assert_eq!(forged, typed);
    assert_eq!(denials(&bot, "cancel"), 2);
    assert_eq!(bot.confirmed().await, 1);
}

#[tokio::test]
async fn a_forged_agenda_button_from_a_client_is_refused() {
    let bot = bot().await;
    let reply = bot.press(CLIENT, "a:20300101").await;
    assert!(reply.starts_with("Sorry"), "{reply}");
    assert_eq!(denials(&bot, "agenda"), 1);
}

#[tokio::test]
async fn forged_booking_buttons_go_through_every_booking_rule() {
    let bot = bot().await;
    let master_id = bot.master().await;
    let reply = bot
        .press(CLIENT, &format!("b:{master_id}:20200101:1000"))
        .await;
    assert!(reply.contains("in the past"), "{reply}");
    let reply = bot.press(CLIENT, "b:999:20300101:1000").await;
    assert!(reply.contains("no active master #999"), "{reply}");
    let reply = bot.press(CLIENT, "b:1:2030x:1000").await;
    assert!(reply.contains("not valid"), "{reply}");
    assert_eq!(bot.failures("invalid_input"), 1);
    assert_eq!(bot.confirmed().await, 0);
}
