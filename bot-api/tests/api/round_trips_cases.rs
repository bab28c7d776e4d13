//! The updates whose round trips `round_trips.rs` counts: one case per update kind, with the
//! data they refer to made beforehand.

use bot_api::keyboards;
use bot_api::telegram::types::Update;
use chrono::{NaiveDate, NaiveTime};

use crate::helpers::{
    ADMIN, Bot, CLIENT, MASTER, OTHER, day, first_id, press_update, text_update, uid,
};

/// What the cases refer to, made before the counting starts.
pub struct Fixture {
    master_id: i64,
    date: NaiveDate,
    /// OTHER's bookings, cancelled by text and by button, one of each per round.
    cancel_ids: [i64; 2],
    button_cancel_ids: [i64; 2],
    /// MASTER's blocks removed by `/unblock`, one per round.
    block_ids: [i64; 2],
    /// Masters with one future booking each, removed one per round.
    removable: [i64; 2],
}

pub async fn fixture(bot: &Bot) -> Fixture {
    let master_id = bot.master().await;
    bot.say(CLIENT, "/start").await;
    bot.say(OTHER, "/start").await;
    // A third client holds the booking that makes a slot taken and those of the masters
    // to remove, so OTHER stays under the per-client limit.
    let third = 5_000_000_900;
    bot.say(third, "/start").await;
    let date = day(3);
    let taken = bot
        .say(third, &format!("/book {master_id} {date} 11:00"))
        .await;
    assert!(taken.starts_with("Booked"), "{taken}");
    let book = |at: &'static str| async move {
        let r = bot
            .say(OTHER, &format!("/book {master_id} {date} {at}"))
            .await;
        first_id(&r)
    };
    let cancel_ids = [book("12:00").await, book("13:00").await];
    let button_cancel_ids = [book("16:00").await, book("17:00").await];
    let mut block_ids = [0; 2];
    for (i, range) in ["09:00-10:00", "10:00-11:00"].iter().enumerate() {
        let r = bot.say(MASTER, &format!("/block {} {range}", day(5))).await;
        block_ids[i] = first_id(&r);
    }
    let blocked = bot
        .say(MASTER, &format!("/block {} 09:00-12:00", day(6)))
        .await;
    assert!(blocked.contains("added"), "{blocked}");
    let mut removable = [0; 2];
    for (i, tg) in [6_000_000_101, 6_000_000_102].into_iter().enumerate() {
        removable[i] = bot.master_as(tg, "Leaving").await;
        let r = bot
            .say(third, &format!("/book {} {date} 10:00", removable[i]))
            .await;
        assert!(r.starts_with("Booked"), "{r}");
    }
    Fixture {
        master_id,
        date,
        cancel_ids,
        button_cancel_ids,
        block_ids,
        removable,
    }
}

/// One update to measure: its kind, the update, the chat whose last reply is checked and a
/// fragment of that reply (`None`: nothing to check).
pub type Case = (&'static str, Update, i64, Option<&'static str>);

/// The updates of one round; `r` picks slots and targets so that round 1 repeats round 0's
/// kinds on fresh data.
pub fn cases(r: usize, f: &Fixture) -> Vec<Case> {
    let (m, date) = (f.master_id, f.date);
    let t = |from: i64, text: String| text_update(uid(), from, &text);
    let p = |from: i64, data: String| press_update(uid(), from, &data);
    let hm = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
    let dup = uid();
    let mut ignored = text_update(uid(), CLIENT, "/start");
    if let Some(msg) = ignored.message.as_mut() {
        msg.chat.kind = "group".into();
    }
    let newcomer = 5_000_000_700 + r as i64;
    let free = ["14:00", "15:00"][r];
    let pressed = ["18:00", "19:00"][r];
    let promoted = [CLIENT, OTHER][r];
    let gone = f.removable[r];
    vec![
        ("ignored (not private text)", ignored, CLIENT, None),
        (
            "/start, new user",
            text_update(dup, newcomer, "/start"),
            newcomer,
            Some("Welcome"),
        ),
        (
            "duplicate",
            text_update(dup, newcomer, "/start"),
            newcomer,
            None,
        ),
        (
            "/start, known user",
            t(CLIENT, "/start".into()),
            CLIENT,
            Some("Welcome"),
        ),
        ("/help", t(CLIENT, "/help".into()), CLIENT, Some("/book")),
        (
            "unknown command",
            t(CLIENT, "/frobnicate".into()),
            CLIENT,
            Some("do not know"),
        ),
        (
            "not a command",
            t(CLIENT, "hello".into()),
            CLIENT,
            Some("commands only"),
        ),
        (
            "denied by role",
            t(newcomer, "/agenda".into()),
            newcomer,
            None,
        ),
        (
            "/masters",
            t(CLIENT, "/masters".into()),
            CLIENT,
            Some("Masters"),
        ),
        (
            "button: pick a day",
            p(CLIENT, keyboards::pick_day(m)),
            CLIENT,
            Some("Choose a day"),
        ),
        (
            "/slots <date>",
            t(CLIENT, format!("/slots {m} {date}")),
            CLIENT,
            Some("Free slots"),
        ),
        (
            "/slots (today)",
            t(CLIENT, format!("/slots {m}")),
            CLIENT,
            Some("slots with master"),
        ),
        (
            "button: slots of a day",
            p(OTHER, keyboards::day(m, date)),
            OTHER,
            Some("Free slots"),
        ),
        (
            "button: a time (confirm prompt)",
            p(OTHER, keyboards::slot(m, date, hm(pressed), false)),
            OTHER,
            Some("Book master"),
        ),
        (
            "/book, booked",
            t(CLIENT, format!("/book {m} {date} {free}")),
            CLIENT,
            Some("Booked"),
        ),
        (
            "/book, slot taken",
            t(CLIENT, format!("/book {m} {date} 11:00")),
            CLIENT,
            Some("could not book"),
        ),
        (
            "/book, blocked",
            t(CLIENT, format!("/book {m} {} 10:00", day(6))),
            CLIENT,
            Some("could not book"),
        ),
        (
            "/book, in the past",
            t(CLIENT, format!("/book {m} {} 10:00", day(-1))),
            CLIENT,
            Some("could not book"),
        ),
        (
            "/book, malformed",
            t(CLIENT, "/book soon".into()),
            CLIENT,
            None,
        ),
        (
            "button: confirm (booked)",
            p(OTHER, keyboards::book(m, date, hm(pressed), false)),
            OTHER,
            Some("Booked"),
        ),
        (
            "/my",
            t(CLIENT, "/my".into()),
            CLIENT,
            Some("Your upcoming bookings"),
        ),
        (
            "/cancel",
            t(OTHER, format!("/cancel {}", f.cancel_ids[r])),
            OTHER,
            Some("is cancelled"),
        ),
        (
            "button: cancel",
            p(OTHER, keyboards::cancel(f.button_cancel_ids[r])),
            OTHER,
            Some("is cancelled"),
        ),
        (
            "/agenda (master)",
            t(MASTER, format!("/agenda {date}")),
            MASTER,
            Some("Agenda"),
        ),
        (
            "/hours (master)",
            t(MASTER, format!("/hours {} 08:00-20:00", ["sat", "sun"][r])),
            MASTER,
            Some("working hours"),
        ),
        (
            "/timezone (master)",
            t(MASTER, "/timezone Europe/Berlin".into()),
            MASTER,
            Some("time zone set"),
        ),
        (
            "/block, added",
            t(
                MASTER,
                format!("/block {} {}", day(4), ["09:00-10:00", "10:00-11:00"][r]),
            ),
            MASTER,
            Some("added"),
        ),
        (
            "/block, overlaps bookings",
            t(MASTER, format!("/block {date} 11:00-12:00")),
            MASTER,
            Some("overlaps"),
        ),
        (
            "/blocks",
            t(MASTER, "/blocks".into()),
            MASTER,
            Some("Your blocks"),
        ),
        (
            "/unblock",
            t(MASTER, format!("/unblock {}", f.block_ids[r])),
            MASTER,
            Some("removed"),
        ),
        (
            "/addmaster (admin)",
            t(ADMIN, format!("/addmaster {promoted} Promoted")),
            ADMIN,
            Some("is now master"),
        ),
        (
            "/removemaster, asks to confirm",
            t(ADMIN, format!("/removemaster {gone}")),
            ADMIN,
            Some("confirm"),
        ),
        (
            "/removemaster confirm",
            t(ADMIN, format!("/removemaster {gone} confirm")),
            ADMIN,
            Some("deactivated"),
        ),
    ]
}
