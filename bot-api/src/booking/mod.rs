//! Where a booking is decided. `/book` locks the master's row (serialising it with schedule
//! writes), lets [`decide()`] judge the request by that row and the clock, reads the database
//! facts about the chosen slot (client's active bookings, blocks, taken) in one combined query,
//! lets [`decide::admit`] judge those, and inserts. The exclusion constraint stays the safety
//! net under all of it. `/cancel` ([`cancel()`]) checks ownership and the client's cut-off.
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
/// Three round trips, as before the decision was pulled out: the locked master row, the
/// combined occupancy query, the insert — fewer when a step refuses.
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
    let (active_bookings, blocked, taken): (i64, bool, bool) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM bookings WHERE client_id = $1 AND status = 'confirmed' \
                 AND starts_at > now()), \
                EXISTS (SELECT 1 FROM availability_blocks WHERE master_id = $2 \
                 AND starts_at < $4 AND ends_at > $3), \
                EXISTS (SELECT 1 FROM bookings WHERE master_id = $2 AND status = 'confirmed' \
                 AND starts_at < $4 AND ends_at > $3)",
    )
    .bind(actor.user_id)
    .bind(master_id)
    .bind(slot.start)
    .bind(slot.end)
    .fetch_one(&mut *conn)
    .await?;
    let occupancy = Occupancy {
        active_bookings,
        blocked,
        taken,
    };
    let slot = match decide::admit(slot, &occupancy, rules) {
        Ok(slot) => slot,
        Err(refusal) => {
            refuse(fx, actor, Some(master_id), &refusal);
            return Ok(());
        }
    };
    // The row lock makes a clash impossible here; should one slip through anyway, the
    // exclusion constraint turns it into "no row", not an error that aborts the update.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO bookings (master_id, client_id, starts_at, ends_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(master_id)
    .bind(actor.user_id)
    .bind(slot.start)
    .bind(slot.end)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        refuse(fx, actor, Some(master_id), &Refusal::taken(&slot));
        return Ok(());
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
