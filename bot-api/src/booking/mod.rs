//! Where a booking is decided. `/book` reads the master's row, lets [`decide()`] judge the
//! request by that row and the clock, and hands the chosen slot to the update's write
//! (`bot_book`), which re-checks the row's version, blocks, overlaps and the client's limit
//! under the master's and the client's row locks; [`decide::admit`] words each refusal it can
//! reach. The exclusion constraint stays the safety net under all of it. `/cancel` ([`cancel()`]) checks ownership and the client's cut-off.
//! Every refusal is a sentence plus a `booking_failed` event.

pub mod cancel;
pub mod decide;
pub mod refusal;

use chrono::{NaiveDate, NaiveTime, Utc};
use sqlx::PgConnection;

pub use cancel::cancel;
pub use decide::{Facts, Occupancy, Request, Slot, check_time, decide};
pub use refusal::Refusal;

use crate::config::BookingRules;
use crate::effects::{Effects, Event};
use crate::events::booking::{BookingCreated, BookingFailed};
use crate::keyboards;
use crate::rbac::Actor;
use crate::schedule;
use crate::writes::Write;

fn refuse(fx: &mut Effects, actor: &Actor, master: Option<i64>, refusal: &Refusal) {
    fx.event(Event::Failed(BookingFailed {
        reason: refusal.reason(),
        master_id: master,
        client_telegram_id: actor.telegram_id,
    }));
    fx.reply(format!("Sorry, I could not book that. {refusal}"));
}

/// `/book <master_id> <date> <HH:MM>` (and the confirm button). A wall-clock time that occurs
/// twice (clocks going back) means the earlier instant unless `later` (buttons only).
///
/// One read ([`schedule::booking_read`]); a slot the master's row and the clock allow becomes
/// the update's write (`bot_book`), with the replies of each outcome prepared: booked, or
/// refused as blocked, taken or over the limit, which the write decides under its locks.
pub async fn book(
    conn: &mut PgConnection,
    rules: &BookingRules,
    actor: &Actor,
    master_id: i64,
    date: NaiveDate,
    (time, later): (NaiveTime, bool),
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let now = Utc::now();
    let read = schedule::booking_read(conn, master_id, date, actor.user_id).await?;
    let facts = Facts {
        request: Request {
            master_id,
            date,
            time,
            later,
        },
        master: read.as_ref().map(|r| &r.master),
        client_user_id: actor.user_id,
        now,
    };
    let (slot, read) = match (decide(&facts, rules), read) {
        (Ok(slot), Some(read)) => (slot, read),
        (Err(refusal), _) => {
            refuse(fx, actor, Some(master_id), &refusal);
            return Ok(());
        }
        // `decide` refuses a missing master before anything else; this arm is for the types.
        (Ok(_), None) => {
            refuse(
                fx,
                actor,
                Some(master_id),
                &Refusal::MasterNotFound { master_id },
            );
            return Ok(());
        }
    };
    let (id, m) = (read.booking_id, &read.master);
    fx.write(Write::Book {
        master_id,
        version: read.version,
        client_id: actor.user_id,
        booking_id: id,
        start: slot.start,
        end: slot.end,
        max_active: i32::try_from(rules.max_active_bookings).unwrap_or(i32::MAX),
    });
    let (when, tz) = (slot.when(), slot.tz);
    fx.on("booked");
    fx.reply_with(
        format!(
            "Booked: #{id} with master #{master_id} ({}) on {when} ({tz}).",
            m.display_name
        ),
        keyboards::markup(vec![vec![keyboards::button(
            format!("Cancel #{id}"),
            keyboards::cancel(id),
        )]]),
    );
    fx.notify(
        m.chat_id,
        format!("New booking #{id} on {when} ({tz}). See /agenda {date}."),
    );
    fx.event(Event::Created(BookingCreated {
        booking_id: id,
        master_id,
        client_telegram_id: actor.telegram_id,
    }));
    // The refusals the write can still reach, worded by `admit` from the occupancy each
    // stands for; the limit's count is the one read, or the limit when a booking raced in.
    let limit = i64::from(rules.max_active_bookings);
    let outcomes = [
        (
            "blocked",
            Occupancy {
                blocked: true,
                ..Occupancy::default()
            },
        ),
        (
            "taken",
            Occupancy {
                taken: true,
                ..Occupancy::default()
            },
        ),
        (
            "limit",
            Occupancy {
                active_bookings: read.active_bookings.max(limit),
                ..Occupancy::default()
            },
        ),
    ];
    for (outcome, occupancy) in outcomes {
        fx.on(outcome);
        let refusal = decide::admit(slot, &occupancy, rules)
            .err()
            .unwrap_or_else(|| Refusal::taken(&slot));
        refuse(fx, actor, Some(master_id), &refusal);
    }
    Ok(())
}
