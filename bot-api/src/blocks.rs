//! Availability blocks (days off, breaks): adding one — refused, listing them, when it
//! overlaps confirmed bookings — listing and removing. Adding takes the master's row lock
//! like a booking does, so the overlap check and the insert see the same bookings.

use chrono::{NaiveDate, NaiveTime};
use sqlx::PgConnection;

use crate::effects::{Effects, Event};
use crate::events::access::RbacDeny;
use crate::rbac::Actor;
use crate::schedule::{lock_master, own_master, parse_tz, written};
use crate::slots;

/// `/block <date> [range]`: refused, listing them, when confirmed bookings overlap.
pub async fn block(
    conn: &mut PgConnection,
    actor: &Actor,
    date: NaiveDate,
    range: Option<(NaiveTime, NaiveTime)>,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let Some(master_id) = own_master(actor, fx) else {
        return Ok(());
    };
    let Some(tz) = lock_master(conn, master_id).await? else {
        fx.reply(format!("Master #{master_id} is not active."));
        written(fx, actor, "block_added", false, Some(master_id));
        return Ok(());
    };
    let (from, to) = match range {
        None => slots::day_bounds(date, tz),
        Some((a, b)) => (
            slots::instant(tz, date.and_time(a)),
            slots::instant(tz, date.and_time(b)),
        ),
    };
    if to <= from {
        fx.reply("That range is empty once the clock change of that day is applied.");
        written(fx, actor, "block_added", false, Some(master_id));
        return Ok(());
    }
    let conflicts: Vec<(i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT id, starts_at FROM bookings WHERE master_id = $1 AND status = 'confirmed' \
         AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at",
    )
    .bind(master_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    if !conflicts.is_empty() {
        let list: Vec<String> = conflicts
            .iter()
            .map(|(id, at)| format!("#{id} at {}", slots::local_datetime(tz, *at)))
            .collect();
        fx.reply(format!(
            "The block was not added because it overlaps confirmed bookings: {}. \
             Cancel them first or choose another range.",
            list.join(", ")
        ));
        written(fx, actor, "block_added", false, Some(master_id));
        return Ok(());
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO availability_blocks (master_id, starts_at, ends_at) VALUES ($1, $2, $3) \
         RETURNING id",
    )
    .bind(master_id)
    .bind(from)
    .bind(to)
    .fetch_one(&mut *conn)
    .await?;
    fx.reply(format!(
        "Block #{id} added: {} to {} ({tz}).",
        slots::local_datetime(tz, from),
        slots::local_datetime(tz, to)
    ));
    written(fx, actor, "block_added", true, Some(master_id));
    Ok(())
}

/// `/blocks`: current and future blocks of the caller.
pub async fn blocks(
    conn: &mut PgConnection,
    actor: &Actor,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let Some(master_id) = own_master(actor, fx) else {
        return Ok(());
    };
    let rows: Vec<(
        i64,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
        String,
    )> = sqlx::query_as(
        "SELECT b.id, b.starts_at, b.ends_at, m.time_zone FROM availability_blocks b \
             JOIN masters m ON m.id = b.master_id \
             WHERE b.master_id = $1 AND b.ends_at > now() ORDER BY b.starts_at LIMIT 50",
    )
    .bind(master_id)
    .fetch_all(conn)
    .await?;
    if rows.is_empty() {
        fx.reply("You have no current or upcoming blocks.");
        return Ok(());
    }
    let mut text = String::from("Your blocks:");
    for (id, from, to, tz) in rows {
        let tz = parse_tz(&tz);
        text.push_str(&format!(
            "\n#{id}: {} to {}",
            slots::local_datetime(tz, from),
            slots::local_datetime(tz, to)
        ));
    }
    fx.reply(text);
    Ok(())
}

/// `/unblock <id>`: only the owner's blocks.
pub async fn unblock(
    conn: &mut PgConnection,
    actor: &Actor,
    block_id: i64,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let Some(master_id) = own_master(actor, fx) else {
        return Ok(());
    };
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT master_id FROM availability_blocks WHERE id = $1")
            .bind(block_id)
            .fetch_optional(&mut *conn)
            .await?;
    match owner {
        None => {
            fx.reply(format!("There is no block #{block_id}."));
            written(fx, actor, "block_removed", false, Some(master_id));
        }
        Some(o) if o != master_id => {
            fx.event(Event::Deny(RbacDeny {
                actor_telegram_id: actor.telegram_id,
                role: actor.role.as_str(),
                command: "unblock",
            }));
            fx.reply(format!("Sorry, block #{block_id} is not yours to remove."));
        }
        Some(_) => {
            sqlx::query("DELETE FROM availability_blocks WHERE id = $1")
                .bind(block_id)
                .execute(&mut *conn)
                .await?;
            fx.reply(format!("Block #{block_id} removed."));
            written(fx, actor, "block_removed", true, Some(master_id));
        }
    }
    Ok(())
}
