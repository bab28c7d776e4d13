//! Where a booking is decided. `/book` locks the master's row (serialising it with schedule
//! writes), lets [`decide()`] judge the request by that row and the clock, then reads the
//! database facts about the chosen slot (client's active bookings, blocks, taken) and inserts
//! when they allow it, in one statement; [`decide::admit`] words a refusal from those facts.
//! The exclusion constraint stays the safety net under all of it. `/cancel` ([`cancel()`]) checks ownership and the client's cut-off.
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
/// Two round trips: the locked master row, then the occupancy facts and the insert in one
/// statement — one when the master row already refuses.
pub async fn book(
    conn: &mut PgConnection,
    rules: &BookingRules,
    actor: &Actor,
    master_id: i64,
    date: NaiveDate,
    (time, later): (NaiveTime, bool),
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    // The clock is read before the lock wait, as it always was.
    let now = Utc::now();
    let master = schedule::master_day(conn, master_id, date, true).await?;
    let facts = Facts {
        request: Request {
            master_id,
            date,
            time,
            later,
        },
        master: master.as_ref(),
        client_user_id: actor.user_id,
        now,
    };
    let (slot, m) = match (decide(&facts, rules), master.as_ref()) {
        (Ok(slot), Some(m)) => (slot, m),
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
    // The occupancy facts and the insert in one statement. The insert's own condition is the
    // safety (with the exclusion constraint under it); `admit` only picks the sentence for a
    // refusal. The facts are fresh: this statement's snapshot is taken after the earlier
    // statements of this transaction took the client's row lock (record_and_register) and the
    // master's, so no booking of this client or on this master can commit unseen.
    let (active_bookings, blocked, taken, id): (i64, bool, bool, Option<i64>) = sqlx::query_as(
        "WITH facts AS ( \
           SELECT (SELECT count(*) FROM bookings WHERE client_id = $1 AND status = 'confirmed' \
                    AND starts_at > now()) AS active, \
                  EXISTS (SELECT 1 FROM availability_blocks WHERE master_id = $2 \
                    AND starts_at < $4 AND ends_at > $3) AS blocked, \
                  EXISTS (SELECT 1 FROM bookings WHERE master_id = $2 AND status = 'confirmed' \
                    AND starts_at < $4 AND ends_at > $3) AS taken), \
         ins AS ( \
           INSERT INTO bookings (master_id, client_id, starts_at, ends_at) \
           SELECT $2, $1, $3, $4 FROM facts \
           WHERE facts.active < $5 AND NOT facts.blocked AND NOT facts.taken \
           ON CONFLICT DO NOTHING RETURNING id) \
         SELECT f.active, f.blocked, f.taken, (SELECT id FROM ins) FROM facts f",
    )
    .bind(actor.user_id)
    .bind(master_id)
    .bind(slot.start)
    .bind(slot.end)
    .bind(i64::from(rules.max_active_bookings))
    .fetch_one(&mut *conn)
    .await?;
    let occupancy = Occupancy {
        active_bookings,
        blocked,
        taken,
    };
    let id = match (id, decide::admit(slot, &occupancy, rules)) {
        (Some(id), _) => id,
        (None, Err(refusal)) => {
            refuse(fx, actor, Some(master_id), &refusal);
            return Ok(());
        }
        // Admitted by the facts, yet no row: a clash the exclusion constraint turned into
        // "no row" rather than an error that aborts the update.
        (None, Ok(slot)) => {
            refuse(fx, actor, Some(master_id), &Refusal::taken(&slot));
            return Ok(());
        }
    };
    let (when, tz) = (slot.when(), slot.tz);
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
    Ok(())
}
