//! Where a booking is decided. `/book` locks the master's row (serialising it with schedule
//! writes), checks the rules — time checks in pure code, the database facts (client's active
//! bookings, blocks, taken) in one combined query — and inserts. `/cancel` checks ownership
//! and the client's cut-off. Every refusal is a sentence plus a `booking_failed` event.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sqlx::PgConnection;

use crate::config::BookingRules;
use crate::effects::{Effects, Event};
use crate::events::access::RbacDeny;
use crate::events::booking::{BookingCancelled, BookingCreated, BookingFailed};
use crate::keyboards;
use crate::rbac::{Actor, Role};
use crate::schedule;
use crate::slots::{self, LocalInstant, OffGrid};

/// Refuses a time by the clock rules alone: past, minimum notice, horizon. Pure.
pub fn check_time(
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    rules: &BookingRules,
) -> Result<(), (&'static str, String)> {
    if start <= now {
        return Err(("in_past", "That time is in the past.".into()));
    }
    if start < now + Duration::minutes(i64::from(rules.min_notice_minutes)) {
        return Err((
            "too_soon",
            format!(
                "Bookings need at least {} minutes' notice.",
                rules.min_notice_minutes
            ),
        ));
    }
    if start > now + Duration::days(i64::from(rules.horizon_days)) {
        return Err((
            "beyond_horizon",
            format!(
                "Bookings are taken at most {} days ahead.",
                rules.horizon_days
            ),
        ));
    }
    Ok(())
}

fn refuse(
    fx: &mut Effects,
    actor: &Actor,
    master: Option<i64>,
    reason: &'static str,
    text: String,
) {
    fx.event(Event::Failed(BookingFailed {
        reason,
        master_id: master,
        client_telegram_id: actor.telegram_id,
    }));
    fx.reply(format!("Sorry, I could not book that. {text}"));
}

/// `/book <master_id> <date> <HH:MM>` (and the confirm button). A wall-clock time that occurs
/// twice (clocks going back) means the earlier instant unless `later` (buttons only).
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
    let m = match schedule::master_day(conn, master_id, date, true).await? {
        Some(m) if m.active => m,
        _ => {
            let text = format!("There is no active master #{master_id}; see /masters.");
            refuse(fx, actor, Some(master_id), "master_not_found", text);
            return Ok(());
        }
    };
    let tz = m.tz();
    if m.user_id == actor.user_id {
        let text = "Masters cannot book themselves.".to_string();
        refuse(fx, actor, Some(master_id), "invalid_input", text);
        return Ok(());
    }
    let start = match slots::resolve(tz, date.and_time(time)) {
        LocalInstant::Unique(t) => t,
        LocalInstant::Ambiguous(earlier, second) => {
            if later {
                second
            } else {
                earlier
            }
        }
        LocalInstant::Skipped(_) => {
            let text = format!(
                "{} does not exist on {date} in {tz}: the clocks jump forward then.",
                time.format("%H:%M")
            );
            refuse(fx, actor, Some(master_id), "invalid_input", text);
            return Ok(());
        }
    };
    if let Err((reason, text)) = check_time(now, start, rules) {
        refuse(fx, actor, Some(master_id), reason, text);
        return Ok(());
    }
    if let Err(off) = slots::check_slot(m.window(date), m.slot_len(), start) {
        let text = match off {
            OffGrid::OutsideHours => format!(
                "{} on {date} is outside master #{master_id}'s working hours.",
                time.format("%H:%M")
            ),
            OffGrid::NotOnGrid => format!(
                "Slots with master #{master_id} are {} minutes long and start on the grid; see /slots {master_id} {date}.",
                m.slot_minutes
            ),
        };
        refuse(fx, actor, Some(master_id), "outside_hours", text);
        return Ok(());
    }
    let end = start + Duration::minutes(i64::from(m.slot_len()));
    let (active, blocked, taken): (i64, bool, bool) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM bookings WHERE client_id = $1 AND status = 'confirmed' \
                 AND starts_at > now()), \
                EXISTS (SELECT 1 FROM availability_blocks WHERE master_id = $2 \
                 AND starts_at < $4 AND ends_at > $3), \
                EXISTS (SELECT 1 FROM bookings WHERE master_id = $2 AND status = 'confirmed' \
                 AND starts_at < $4 AND ends_at > $3)",
    )
    .bind(actor.user_id)
    .bind(master_id)
    .bind(start)
    .bind(end)
    .fetch_one(&mut *conn)
    .await?;
    let when = slots::local_datetime(tz, start);
    let check = if blocked {
        Err((
            "blocked",
            format!("Master #{master_id} is not available at {when}."),
        ))
    } else if taken {
        Err((
            "taken",
            format!("{when} with master #{master_id} is already taken."),
        ))
    } else if active >= i64::from(rules.max_active_bookings) {
        Err((
            "limit_reached",
            format!("You already have {active} upcoming bookings, the most one client may hold."),
        ))
    } else {
        Ok(())
    };
    if let Err((reason, text)) = check {
        refuse(fx, actor, Some(master_id), reason, text);
        return Ok(());
    }
    // The row lock makes a clash impossible here; should one slip through anyway, the
    // exclusion constraint turns it into "no row", not an error that aborts the update.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO bookings (master_id, client_id, starts_at, ends_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(master_id)
    .bind(actor.user_id)
    .bind(start)
    .bind(end)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        let text = format!("{when} with master #{master_id} is already taken.");
        refuse(fx, actor, Some(master_id), "taken", text);
        return Ok(());
    };
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
        format!("New booking #{id} on {when} ({tz}). See /agenda {}.", date),
    );
    fx.event(Event::Created(BookingCreated {
        booking_id: id,
        master_id,
        client_telegram_id: actor.telegram_id,
    }));
    Ok(())
}

/// The booking row as cancelling needs it.
#[derive(sqlx::FromRow)]
struct ToCancel {
    master_id: i64,
    client_id: i64,
    starts_at: DateTime<Utc>,
    status: String,
    time_zone: String,
    master_chat: i64,
    client_chat: i64,
}

/// `/cancel <booking_id>` (and the cancel button).
pub async fn cancel(
    conn: &mut PgConnection,
    rules: &BookingRules,
    actor: &Actor,
    booking_id: i64,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let row: Option<ToCancel> = sqlx::query_as(
        "SELECT b.master_id, b.client_id, b.starts_at, b.status, m.time_zone, \
                mu.chat_id AS master_chat, cu.chat_id AS client_chat \
         FROM bookings b JOIN masters m ON m.id = b.master_id \
         JOIN users mu ON mu.id = m.user_id JOIN users cu ON cu.id = b.client_id \
         WHERE b.id = $1 FOR UPDATE OF b",
    )
    .bind(booking_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(b) = row else {
        fx.reply(format!("There is no booking #{booking_id}."));
        return Ok(());
    };
    let by = if actor.master_id == Some(b.master_id) {
        "master"
    } else if actor.role == Role::Admin {
        "admin"
    } else if actor.user_id == b.client_id {
        "client"
    } else {
        fx.event(Event::Deny(RbacDeny {
            actor_telegram_id: actor.telegram_id,
            role: actor.role.as_str(),
            command: "cancel",
        }));
        fx.reply(format!(
            "Sorry, booking #{booking_id} is not yours to cancel."
        ));
        return Ok(());
    };
    let tz = schedule::parse_tz(&b.time_zone);
    let when = slots::local_datetime(tz, b.starts_at);
    let now = Utc::now();
    if b.status != "confirmed" {
        fx.reply(format!("Booking #{booking_id} is already cancelled."));
        return Ok(());
    }
    if b.starts_at <= now {
        fx.reply(format!(
            "Booking #{booking_id} ({when}) has already started, so it cannot be cancelled."
        ));
        return Ok(());
    }
    let cutoff = Duration::minutes(i64::from(rules.cancel_cutoff_minutes));
    if by == "client" && b.starts_at - now < cutoff {
        fx.reply(format!(
            "Booking #{booking_id} ({when}) can no longer be cancelled: clients may cancel up to {} minutes before the start. Please contact the master.",
            rules.cancel_cutoff_minutes
        ));
        return Ok(());
    }
    sqlx::query(
        "UPDATE bookings SET status = 'cancelled', cancelled_at = now(), cancelled_by = $2 \
         WHERE id = $1",
    )
    .bind(booking_id)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    fx.reply(format!(
        "Booking #{booking_id} on {when} ({tz}) is cancelled."
    ));
    let note = format!("Booking #{booking_id} on {when} ({tz}) was cancelled by the {by}.");
    for chat in [b.master_chat, b.client_chat] {
        if chat != actor.chat_id {
            fx.notify(chat, note.clone());
        }
    }
    fx.event(Event::Cancelled(BookingCancelled {
        booking_id,
        master_id: b.master_id,
        by,
    }));
    Ok(())
}
