//! The admin's side of masters: `/addmaster` turns a registered user into a master (or
//! reactivates one), `/removemaster` deactivates one, cancelling their future bookings once the
//! admin confirms. Masters are never deleted, so bookings keep their history.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::config::BookingRules;
use crate::effects::{Effects, Event};
use crate::events::booking::{BookingCancelled, CancelledBy};
use crate::rbac::Actor;
use crate::schedule::{parse_tz, written};
use crate::slots;

/// `/addmaster <telegram_user_id> <name…>`; the user must have written to the bot.
pub async fn add_master(
    conn: &mut PgConnection,
    rules: &BookingRules,
    actor: &Actor,
    telegram_id: i64,
    name: &str,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let found: Option<(i64, i64, Option<i64>, Option<bool>)> = sqlx::query_as(
        "SELECT u.id, u.chat_id, m.id, m.active FROM users u \
         LEFT JOIN masters m ON m.user_id = u.id WHERE u.telegram_id = $1 FOR UPDATE OF u",
    )
    .bind(telegram_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((user_id, chat_id, master, active)) = found else {
        fx.reply(format!(
            "User {telegram_id} has not sent /start to the bot yet, so they cannot be made a master."
        ));
        written(fx, actor, "master_added", false, None);
        return Ok(());
    };
    if let (Some(id), Some(true)) = (master, active) {
        fx.reply(format!("User {telegram_id} is already master #{id}."));
        written(fx, actor, "master_added", false, Some(id));
        return Ok(());
    }
    let id: i64 = match master {
        Some(id) => {
            sqlx::query_scalar(
                "UPDATE masters SET active = TRUE, display_name = $2, updated_at = now() \
                 WHERE id = $1 RETURNING id",
            )
            .bind(id)
            .bind(name)
            .fetch_one(&mut *conn)
            .await?
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO masters (user_id, display_name, time_zone, slot_minutes) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(user_id)
            .bind(name)
            .bind(rules.default_time_zone.name())
            .bind(i32::try_from(rules.slot_minutes.clamp(5, 720)).unwrap_or(60))
            .fetch_one(&mut *conn)
            .await?
        }
    };
    fx.reply(format!(
        "{name} (user {telegram_id}) is now master #{id}, in time zone {}.",
        rules.default_time_zone.name()
    ));
    fx.notify(
        chat_id,
        format!(
            "You are now master #{id}. Set your working hours with /hours, e.g. /hours mon-fri 09:00-17:00. Send /help for all commands."
        ),
    );
    written(fx, actor, "master_added", true, Some(id));
    Ok(())
}

/// `/removemaster <master_id> [confirm]`: deactivates the master. When they have future
/// confirmed bookings, the admin is first told how many and asked to repeat with `confirm`;
/// then those bookings are cancelled (by the admin) and each client is told. The master row is
/// locked first (the lock a booking takes), so no booking slips in meanwhile. Past bookings and
/// the master row are kept as history.
pub async fn remove_master(
    conn: &mut PgConnection,
    actor: &Actor,
    master_id: i64,
    confirm: bool,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let found: Option<(String, String)> = sqlx::query_as(
        "SELECT display_name, time_zone FROM masters WHERE id = $1 AND active FOR UPDATE",
    )
    .bind(master_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((name, tz)) = found else {
        fx.reply(format!("There is no active master #{master_id}."));
        written(fx, actor, "master_removed", false, Some(master_id));
        return Ok(());
    };
    let tz = parse_tz(&tz);
    let future: Vec<(i64, DateTime<Utc>, i64)> = sqlx::query_as(
        "SELECT b.id, b.starts_at, u.chat_id FROM bookings b JOIN users u ON u.id = b.client_id \
         WHERE b.master_id = $1 AND b.status = 'confirmed' AND b.starts_at > now() \
         ORDER BY b.starts_at, b.id",
    )
    .bind(master_id)
    .fetch_all(&mut *conn)
    .await?;
    if !future.is_empty() && !confirm {
        let first = slots::local_datetime(tz, future[0].1);
        fx.reply(format!(
            "Master #{master_id} ({name}) has {} future booking(s), the first on {first} ({tz}). \
             Removing the master cancels them and tells each client. To go ahead, send \
             /removemaster {master_id} confirm",
            future.len()
        ));
        return Ok(());
    }
    sqlx::query("UPDATE masters SET active = FALSE, updated_at = now() WHERE id = $1")
        .bind(master_id)
        .execute(&mut *conn)
        .await?;
    let ids: Vec<i64> = future.iter().map(|b| b.0).collect();
    sqlx::query(
        "UPDATE bookings SET status = 'cancelled', cancelled_at = now(), cancelled_by = $2 \
         WHERE id = ANY($1)",
    )
    .bind(&ids)
    .bind(CancelledBy::Admin.as_str())
    .execute(&mut *conn)
    .await?;
    for (booking_id, starts_at, chat) in &future {
        let when = slots::local_datetime(tz, *starts_at);
        fx.notify(
            *chat,
            format!(
                "Booking #{booking_id} with {name} on {when} ({tz}) is cancelled: {name} no longer \
                 takes bookings. Sorry for the inconvenience. Send /masters to book with someone else."
            ),
        );
        fx.event(Event::Cancelled(BookingCancelled {
            booking_id: *booking_id,
            master_id,
            by: CancelledBy::Admin,
        }));
    }
    fx.reply(if future.is_empty() {
        format!("Master #{master_id} is deactivated; their bookings and history are kept.")
    } else {
        format!(
            "Master #{master_id} is deactivated; {} future booking(s) cancelled and their clients told. Past bookings and history are kept.",
            future.len()
        )
    });
    written(fx, actor, "master_removed", true, Some(master_id));
    Ok(())
}
