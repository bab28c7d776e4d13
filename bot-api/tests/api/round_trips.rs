//! Round trips to PostgreSQL per update kind, counted on the wire (`shared::testing::round_trips`:
//! one `ReadyForQuery` per exchange), so the number an update costs cannot silently grow. Issue
//! 16 budgets every kind at [`BUDGET`]; [`TODAY`] records what each costs now, and a change that
//! adds one fails here. Each case also checks its reply, so the count is of the path it names.

#[path = "round_trips_cases.rs"]
mod cases;

use bot_api::telegram::types::Update;
use bot_api::updates::{BotContext, Outcome, process_update};
use shared::testing::round_trips::RoundTrips;
use sqlx::Connection;

use self::cases::{cases, fixture};
use crate::helpers::bot;

/// At most this many round trips for any update.
const BUDGET: u64 = 3;

/// (update kind, round trips it takes today). Lower these as statements are folded; never
/// raise one without saying why in the commit.
const TODAY: &[(&str, u64)] = &[
    ("ignored (not private text)", 1),
    ("/start, new user", 2),
    ("duplicate", 1),
    ("/start, known user", 2),
    ("/help", 2),
    ("unknown command", 2),
    ("not a command", 2),
    ("denied by role", 2),
    ("/masters", 3),
    ("button: pick a day", 3),
    ("/slots <date>", 3),
    ("/slots (today)", 3),
    ("button: slots of a day", 3),
    ("button: a time (confirm prompt)", 3),
    ("/book, booked", 3),
    ("/book, slot taken", 3),
    ("/book, blocked", 3),
    ("/book, in the past", 3),
    ("/book, malformed", 2),
    ("button: confirm (booked)", 3),
    ("/my", 3),
    ("/cancel", 3),
    ("button: cancel", 3),
    ("/agenda (master)", 3),
    ("/hours (master)", 2),
    ("/timezone (master)", 2),
    ("/block, added", 3),
    ("/block, overlaps bookings", 3),
    ("/blocks", 3),
    ("/unblock", 3),
    ("/addmaster (admin)", 3),
    ("/removemaster, asks to confirm", 3),
    ("/removemaster confirm", 3),
];

/// Statement round trips of one update. A ping after it flushes anything sqlx deferred to the
/// connection's next use, so that is counted with the update that caused it; the ping itself is
/// not a statement.
async fn measure(rt: &RoundTrips, ctx: &BotContext, update: &Update) -> (u64, Outcome) {
    let before = rt.statements();
    let outcome = process_update(ctx, update).await.expect("update processed");
    let mut conn = rt.pool.acquire().await.unwrap();
    conn.ping().await.unwrap();
    drop(conn);
    (rt.statements() - before, outcome)
}

#[tokio::test]
async fn round_trips_per_update_kind_stay_within_budget() {
    let bot = bot().await;
    let f = fixture(&bot).await;
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
        for (kind, update, chat, reply) in cases(r, &f) {
            let (n, outcome) = measure(&rt, &ctx, &update).await;
            let expected = match kind {
                "ignored (not private text)" => Outcome::Ignored,
                "duplicate" => Outcome::Duplicate,
                _ => Outcome::Processed,
            };
            assert_eq!(outcome, expected, "{kind}");
            if let Some(fragment) = reply {
                let last = bot.last_text(chat).await;
                assert!(last.contains(fragment), "{kind}: {last}");
            }
            if r == 1 {
                report.push((kind, n));
            }
        }
    }
    // Printed for the closing notes and bench/README (`cargo test round_trips -- --nocapture`).
    for (kind, n) in &report {
        println!("round trips: {kind:<32} {n}");
    }
    for (kind, n) in &report {
        let today = TODAY
            .iter()
            .find(|(k, _)| k == kind)
            .map_or_else(|| panic!("no entry in TODAY for {kind}"), |(_, b)| *b);
        assert!(
            *n <= today.min(BUDGET),
            "{kind}: {n} round trips, today {today}, budget {BUDGET}: {report:?}"
        );
    }
    assert!(TODAY.iter().all(|(_, n)| *n <= BUDGET), "TODAY over budget");
}
