//! `/cancel`: who may cancel a booking ([`CancelledBy::of`], pure) and until when, then the
//! write (`bot_cancel`, which re-checks both under the row's lock) and the notes to both
//! parties.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;

use crate::config::BookingRules;
use crate::effects::{Effects, Event};
use crate::events::access::RbacDeny;
use crate::events::booking::{BookingCancelled, CancelledBy};
use crate::rbac::{Actor, Role};
use crate::schedule;
use crate::slots;
use crate::writes::Write;

impl CancelledBy {
    /// Who `actor` is to a booking of `master_id` held by `client_id`; `None` when it is not
    /// theirs to cancel. A master cancelling their own booking counts as the master even if
    /// they are an admin too.
    pub fn of(actor: &Actor, master_id: i64, client_id: i64) -> Option<Self> {
        if actor.master_id == Some(master_id) {
            Some(Self::Master)
        } else if actor.role == Role::Admin {
            Some(Self::Admin)
        } else if actor.user_id == client_id {
            Some(Self::Client)
        } else {
            None
        }
    }
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
         WHERE b.id = $1",
    )
    .bind(booking_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(b) = row else {
        fx.reply(format!("There is no booking #{booking_id}."));
        return Ok(());
    };
    let Some(by) = CancelledBy::of(actor, b.master_id, b.client_id) else {
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
    // A client's cut-off; masters and admins may cancel until the start.
    let cutoff = (by == CancelledBy::Client).then_some(rules.cancel_cutoff_minutes);
    if b.starts_at <= now {
        fx.reply(late(booking_id, &when, None));
        return Ok(());
    }
    if cutoff.is_some_and(|c| b.starts_at - now < Duration::minutes(i64::from(c))) {
        fx.reply(late(booking_id, &when, cutoff));
        return Ok(());
    }
    fx.write(Write::Cancel {
        booking_id,
        by: by.as_str(),
        lead_minutes: cutoff.map_or(0, |c| i32::try_from(c).unwrap_or(i32::MAX)),
    });
    fx.on("cancelled");
    fx.reply(format!(
        "Booking #{booking_id} on {when} ({tz}) is cancelled."
    ));
    let note = format!(
        "Booking #{booking_id} on {when} ({tz}) was cancelled by the {}.",
        by.as_str()
    );
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
    // What the write can still find: cancelled meanwhile, or the time run out meanwhile.
    fx.on("already");
    fx.reply(format!("Booking #{booking_id} is already cancelled."));
    fx.on("late");
    fx.reply(late(booking_id, &when, cutoff));
    Ok(())
}

/// The refusal of a booking too close to its start: within a client's `cutoff` (minutes), or
/// started.
fn late(booking_id: i64, when: &str, cutoff: Option<u32>) -> String {
    match cutoff {
        Some(minutes) => format!(
            "Booking #{booking_id} ({when}) can no longer be cancelled: clients may cancel up to {minutes} minutes before the start. Please contact the master."
        ),
        None => format!(
            "Booking #{booking_id} ({when}) has already started, so it cannot be cancelled."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER: i64 = 7;
    const MASTER_USER: i64 = 70;
    const CLIENT_USER: i64 = 10;

    fn actor(user_id: i64, role: Role, master_id: Option<i64>) -> Actor {
        Actor {
            user_id,
            telegram_id: user_id * 100,
            chat_id: user_id * 100,
            role,
            master_id,
            master_tz: master_id.map(|_| chrono_tz::Tz::UTC),
        }
    }

    #[test]
    fn who_cancels_is_the_master_first_then_an_admin_then_the_client() {
        let of = |a: &Actor| CancelledBy::of(a, MASTER, CLIENT_USER);
        let admin_master = actor(MASTER_USER, Role::Admin, Some(MASTER));
        assert_eq!(of(&admin_master), Some(CancelledBy::Master));
        assert_eq!(of(&actor(1, Role::Admin, None)), Some(CancelledBy::Admin));
        assert_eq!(
            of(&actor(CLIENT_USER, Role::Client, None)),
            Some(CancelledBy::Client)
        );
        assert_eq!(of(&actor(2, Role::Client, None)), None);
        assert_eq!(of(&actor(3, Role::Master, Some(MASTER + 1))), None);
    }
}
