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
use crate::writes::Write;

/// `/addmaster <telegram_user_id> <name…>`; the user must have written to the bot.
pub async fn add_master(
    conn: &mut PgConnection,
    rules: &BookingRules,
    actor: &Actor,
    telegram_id: i64,
    name: &str,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    // A new master's id is drawn here, so the replies can name it.
    // (users.id, chat, master id and whether active if a master, new master id if not)
    type Row = (i64, i64, Option<i64>, Option<bool>, Option<i64>);
    let found: Option<Row> = sqlx::query_as(
        "SELECT u.id, u.chat_id, m.id, m.active, \
                CASE WHEN m.id IS NULL THEN nextval('masters_id_seq') END \
         FROM users u LEFT JOIN masters m ON m.user_id = u.id WHERE u.telegram_id = $1",
    )
    .bind(telegram_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((user_id, chat_id, master, active, new_id)) = found else {
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
    let Some(id) = master.or(new_id) else {
        return Ok(());
    };
    fx.write(Write::AddMaster {
        user_id,
        existing: master,
        new_id,
        name: name.to_owned(),
        tz: rules.default_time_zone.name().to_owned(),
        slot_minutes: i32::try_from(rules.slot_minutes.clamp(5, 720)).unwrap_or(60),
    });
    fx.on("added");
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
/// then those bookings are cancelled (by the admin) and each client is told. The write
/// (`bot_remove_master`) takes the master's row for update, which waits for bookings in flight,
/// and cancels exactly the bookings read and worded here, or has them read again when another
/// slipped in meanwhile. Past bookings and the master row are kept as history.
pub async fn remove_master(
    conn: &mut PgConnection,
    actor: &Actor,
    master_id: i64,
    confirm: bool,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    type Row = (String, String, Vec<i64>, Vec<DateTime<Utc>>, Vec<i64>);
    let found: Option<Row> = sqlx::query_as(
        "SELECT m.display_name, m.time_zone, \
                coalesce(array_agg(b.id ORDER BY b.starts_at, b.id) \
                         FILTER (WHERE b.id IS NOT NULL), '{}'), \
                coalesce(array_agg(b.starts_at ORDER BY b.starts_at, b.id) \
                         FILTER (WHERE b.id IS NOT NULL), '{}'), \
                coalesce(array_agg(u.chat_id ORDER BY b.starts_at, b.id) \
                         FILTER (WHERE b.id IS NOT NULL), '{}') \
         FROM masters m \
         LEFT JOIN bookings b ON b.master_id = m.id AND b.status = 'confirmed' \
              AND b.starts_at > now() \
         LEFT JOIN users u ON u.id = b.client_id \
         WHERE m.id = $1 AND m.active GROUP BY m.id",
    )
    .bind(master_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((name, tz, ids, starts, chats)) = found else {
        fx.reply(format!("There is no active master #{master_id}."));
        written(fx, actor, "master_removed", false, Some(master_id));
        return Ok(());
    };
    let tz = parse_tz(&tz);
    let future: Vec<(i64, DateTime<Utc>, i64)> = ids
        .iter()
        .zip(&starts)
        .zip(&chats)
        .map(|((id, at), chat)| (*id, *at, *chat))
        .collect();
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
    fx.write(Write::RemoveMaster {
        master_id,
        future: ids,
    });
    fx.on("removed");
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
