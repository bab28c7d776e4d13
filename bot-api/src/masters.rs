//! The admin's side of masters: `/addmaster` turns a registered user into a master (or
//! reactivates one), `/removemaster` deactivates one. Masters are never deleted, so bookings
//! keep their history.

use sqlx::PgConnection;

use crate::config::BookingRules;
use crate::effects::Effects;
use crate::rbac::Actor;
use crate::schedule::written;

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

/// `/removemaster <master_id>`: deactivates; existing bookings stay as they are.
pub async fn remove_master(
    conn: &mut PgConnection,
    actor: &Actor,
    master_id: i64,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let done: Option<i64> = sqlx::query_scalar(
        "UPDATE masters SET active = FALSE, updated_at = now() WHERE id = $1 AND active \
         RETURNING id",
    )
    .bind(master_id)
    .fetch_optional(conn)
    .await?;
    if done.is_some() {
        fx.reply(format!(
            "Master #{master_id} is deactivated; their bookings and history are kept."
        ));
    } else {
        fx.reply(format!("There is no active master #{master_id}."));
    }
    written(fx, actor, "master_removed", done.is_some(), Some(master_id));
    Ok(())
}
