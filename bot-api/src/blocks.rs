//! Availability blocks (days off, breaks): adding one — refused, listing them, when it
//! overlaps confirmed bookings — listing and removing. Adding's write takes the master's row
//! for update, which waits for the bookings in flight (they hold it in share mode), so the
//! overlap check and the insert see the same bookings.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::PgConnection;

use crate::effects::{Effects, Event};
use crate::events::access::RbacDeny;
use crate::rbac::Actor;
use crate::schedule::{inactive, own_master, parse_tz, written};
use crate::slots;
use crate::writes::Write;

/// `/block <date> [range]`: refused, listing them, when confirmed bookings overlap. One read
/// (the overlapping bookings and an id for the block), then the write (`bot_block`), which
/// checks under the master's row lock that the overlapping bookings are still those read.
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
    let tz = actor.master_tz.unwrap_or(chrono_tz::Tz::UTC);
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
    let (block_id, ids, starts): (i64, Vec<i64>, Vec<DateTime<Utc>>) = sqlx::query_as(
        "SELECT (SELECT nextval('availability_blocks_id_seq')), \
                coalesce(array_agg(id ORDER BY starts_at, id), '{}'), \
                coalesce(array_agg(starts_at ORDER BY starts_at, id), '{}') \
         FROM bookings WHERE master_id = $1 AND status = 'confirmed' \
         AND starts_at < $3 AND ends_at > $2",
    )
    .bind(master_id)
    .bind(from)
    .bind(to)
    .fetch_one(&mut *conn)
    .await?;
    let conflict = !ids.is_empty();
    fx.write(Write::Block {
        master_id,
        block_id,
        from,
        to,
        overlapping: ids.clone(),
    });
    if conflict {
        let list: Vec<String> = ids
            .iter()
            .zip(&starts)
            .map(|(id, at)| format!("#{id} at {}", slots::local_datetime(tz, *at)))
            .collect();
        fx.on("conflict");
        fx.reply(format!(
            "The block was not added because it overlaps confirmed bookings: {}. \
             Cancel them first or choose another range.",
            list.join(", ")
        ));
        written(fx, actor, "block_added", false, Some(master_id));
    } else {
        fx.on("added");
        fx.reply(format!(
            "Block #{block_id} added: {} to {} ({tz}).",
            slots::local_datetime(tz, from),
            slots::local_datetime(tz, to)
        ));
        written(fx, actor, "block_added", true, Some(master_id));
    }
    inactive(fx, actor, "block_added", master_id);
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
            fx.write(Write::Unblock {
                master_id,
                block_id,
            });
            fx.on("removed");
            fx.reply(format!("Block #{block_id} removed."));
            written(fx, actor, "block_removed", true, Some(master_id));
            fx.on("gone");
            fx.reply(format!("There is no block #{block_id}."));
            written(fx, actor, "block_removed", false, Some(master_id));
        }
    }
    Ok(())
}
