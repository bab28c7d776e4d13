//! Round trips to PostgreSQL per update kind, counted on the wire (`shared::testing::round_trips`:
//! one `ReadyForQuery` per exchange, the pool's checkout ping included), so the number a
//! booking costs cannot silently grow. Issue 16 budgets every kind at 3; [`TODAY`] records what
//! they cost now, and a change that adds one fails here.

use bot_api::telegram::types::Update;
use bot_api::updates::{BotContext, Outcome, process_update};
use shared::testing::round_trips::RoundTrips;
use sqlx::Connection;

use crate::helpers::{
    ADMIN, CLIENT, MASTER, OTHER, bot, day, first_id, press_update, text_update, uid,
};

/// (update kind, round trips it takes today). Lower these as statements are folded; never
/// raise one without saying why in the commit.
const TODAY: &[(&str, u64)] = &[
    ("ignored (not private text)", 1),
    ("duplicate", 3),
    ("/start, new user", 4),
    ("/start, known user", 4),
    ("/help", 4),
    ("/masters", 5),
    ("/slots", 6),
    ("/book, booked", 6),
    ("/book, slot taken", 6),
    ("/book, malformed", 4),
    ("/my", 5),
    ("/cancel", 6),
    ("/agenda (master)", 6),
    ("/hours (master)", 6),
    ("/addmaster (admin)", 6),
    ("button: slots of a day", 4),
];

/// Statement round trips of one update. A rollback sqlx defers to the connection's next use
/// (a duplicate's) is flushed by a ping here and counted with the update that caused it; the
/// ping itself is not a statement (the pool's pings on release are not waited for).
async fn measure(rt: &RoundTrips, ctx: &BotContext, update: &Update) -> (u64, Outcome) {
    let before = rt.statements();
    let outcome = process_update(ctx, update).await.expect("update processed");
    let mut conn = rt.pool.acquire().await.unwrap();
    conn.ping().await.unwrap();
    drop(conn);
    (rt.statements() - before, outcome)
}

/// The updates of one round; `r` picks slots and targets so that round 1 repeats round 0's
/// kinds on fresh data.
fn cases(
    r: usize,
    master_id: i64,
    date: chrono::NaiveDate,
    cancel_ids: [i64; 2],
) -> Vec<(&'static str, Update)> {
    let dup = uid();
    let mut ignored = text_update(uid(), CLIENT, "/start");
    if let Some(m) = ignored.message.as_mut() {
        m.chat.kind = "group".into();
    }
    let newcomer = 5_000_000_700 + r as i64;
    let (free, day_name, promoted) = (["14:00", "15:00"][r], ["sat", "sun"][r], [CLIENT, OTHER][r]);
    vec![
        ("ignored (not private text)", ignored),
        ("/start, new user", text_update(dup, newcomer, "/start")),
        ("duplicate", text_update(dup, newcomer, "/start")),
        ("/start, known user", text_update(uid(), CLIENT, "/start")),
        ("/help", text_update(uid(), CLIENT, "/help")),
        ("/masters", text_update(uid(), CLIENT, "/masters")),
        (
            "/slots",
            text_update(uid(), CLIENT, &format!("/slots {master_id} {date}")),
        ),
        (
            "/book, booked",
            text_update(uid(), CLIENT, &format!("/book {master_id} {date} {free}")),
        ),
        (
            "/book, slot taken",
            text_update(uid(), CLIENT, &format!("/book {master_id} {date} 11:00")),
        ),
        ("/book, malformed", text_update(uid(), CLIENT, "/book soon")),
        ("/my", text_update(uid(), CLIENT, "/my")),
        (
            "/cancel",
            text_update(uid(), OTHER, &format!("/cancel {}", cancel_ids[r])),
        ),
        (
            "/agenda (master)",
            text_update(uid(), MASTER, &format!("/agenda {date}")),
        ),
        (
            "/hours (master)",
            text_update(uid(), MASTER, &format!("/hours {day_name} 09:00-18:00")),
        ),
        (
            "/addmaster (admin)",
            text_update(uid(), ADMIN, &format!("/addmaster {promoted} Promoted")),
        ),
        (
            "button: slots of a day",
            press_update(uid(), OTHER, &format!("s:{master_id}:{date}")),
        ),
    ]
}

#[tokio::test]
async fn round_trips_per_update_kind_do_not_grow() {
    let bot = bot().await;
    let master_id = bot.master().await;
    bot.say(CLIENT, "/start").await;
    bot.say(OTHER, "/start").await;
    let date = day(3);
    let taken = bot
        .say(OTHER, &format!("/book {master_id} {date} 11:00"))
        .await;
    assert!(taken.starts_with("Booked"), "{taken}");
    let mut cancel_ids = [0; 2];
    for (i, at) in ["12:00", "13:00"].iter().enumerate() {
        cancel_ids[i] = first_id(
            &bot.say(OTHER, &format!("/book {master_id} {date} {at}"))
                .await,
        );
    }

    // One connection through the counting proxy: every exchange of an update is on the wire.
    let rt = RoundTrips::start(&bot.db.url, 1).await;
    let ctx = BotContext {
        pool: rt.pool.clone(),
        ..bot.ctx.clone()
    };
    // Round 0 warms the connection (start-up, and sqlx's prepare of each statement the first
    // time the connection sees it, which production's long-lived connections have done long
    // ago); round 1 is counted.
    let mut report = Vec::new();
    for r in 0..2 {
        for (kind, update) in cases(r, master_id, date, cancel_ids) {
            let (n, outcome) = measure(&rt, &ctx, &update).await;
            let expected = match kind {
                "ignored (not private text)" => Outcome::Ignored,
                "duplicate" => Outcome::Duplicate,
                _ => Outcome::Processed,
            };
            assert_eq!(outcome, expected, "{kind}");
            if r == 1 {
                report.push((kind, n));
            }
        }
    }
    // Printed for the closing notes and bench/README (`cargo test round_trips -- --nocapture`).
    for (kind, n) in &report {
        println!("round trips: {kind:<28} {n}");
    }
    for (kind, n) in &report {
        let budget = TODAY
            .iter()
            .find(|(k, _)| k == kind)
            .map_or_else(|| panic!("no budget for {kind}"), |(_, b)| *b);
        assert!(
            *n <= budget,
            "{kind}: {n} round trips, budget {budget}: {report:?}"
        );
    }
}
