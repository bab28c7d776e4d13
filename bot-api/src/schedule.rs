//! Masters' schedules: weekly working hours, blocks (days off, breaks), time zones, and the
//! admin's adding and removing of masters. Every write for one master first locks its
//! `masters` row (`FOR UPDATE`), the same lock a booking takes, so a booking cannot slip into
//! a range while it is being blocked.

use chrono::{Datelike, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use sqlx::PgConnection;

use crate::commands::Weekdays;
use crate::effects::{Effects, Event};
use crate::events::booking::ScheduleUpdated;
use crate::rbac::Actor;
use crate::slots;

/// A master with the working hours of one weekday, as booking and the day views need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MasterDay {
    /// `masters.id`.
    pub id: i64,
    /// Shown to clients.
    pub display_name: String,
    /// IANA name.
    pub time_zone: String,
    /// Slot length.
    pub slot_minutes: i32,
    /// Deactivated masters take no bookings.
    pub active: bool,
    /// The master's `users.id`.
    pub user_id: i64,
    /// The master's chat, for notifications.
    pub chat_id: i64,
    /// Working hours of the requested weekday, if any.
    pub starts_local: Option<NaiveTime>,
    /// End of those hours.
    pub ends_local: Option<NaiveTime>,
}

impl MasterDay {
    /// The master's zone (UTC if the stored name were ever unknown to this build).
    pub fn tz(&self) -> Tz {
        parse_tz(&self.time_zone)
    }

    /// The working window of `date` (which must be the weekday this row was read for).
    pub fn window(&self, date: NaiveDate) -> Option<slots::Interval> {
        let hours = (self.starts_local?, self.ends_local?);
        slots::working_window(date, self.tz(), hours)
    }

    /// Slot length as the slot functions take it.
    pub fn slot_len(&self) -> u32 {
        u32::try_from(self.slot_minutes).unwrap_or(60)
    }
}

/// A stored zone name, leniently.
pub fn parse_tz(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

const MASTER_DAY: &str = "SELECT m.id, m.display_name, m.time_zone, m.slot_minutes, m.active, \
    m.user_id, u.chat_id, w.starts_local, w.ends_local \
    FROM masters m JOIN users u ON u.id = m.user_id \
    LEFT JOIN working_hours w ON w.master_id = m.id AND w.weekday = $2 WHERE m.id = $1";
const MASTER_DAY_LOCKED: &str = "SELECT m.id, m.display_name, m.time_zone, m.slot_minutes, \
    m.active, m.user_id, u.chat_id, w.starts_local, w.ends_local \
    FROM masters m JOIN users u ON u.id = m.user_id \
    LEFT JOIN working_hours w ON w.master_id = m.id AND w.weekday = $2 WHERE m.id = $1 \
    FOR UPDATE OF m";

/// Reads a master with the hours of `date`'s weekday; `lock` takes the master's row lock.
pub async fn master_day(
    conn: &mut PgConnection,
    master_id: i64,
    date: NaiveDate,
    lock: bool,
) -> Result<Option<MasterDay>, sqlx::Error> {
    let weekday = i16::try_from(date.weekday().number_from_monday()).unwrap_or(1);
    sqlx::query_as(if lock { MASTER_DAY_LOCKED } else { MASTER_DAY })
        .bind(master_id)
        .bind(weekday)
        .fetch_optional(conn)
        .await
}

/// Locks the master's row and returns its zone; `None` if it is gone or inactive.
pub(crate) async fn lock_master(
    conn: &mut PgConnection,
    master_id: i64,
) -> Result<Option<Tz>, sqlx::Error> {
    let tz: Option<String> =
        sqlx::query_scalar("SELECT time_zone FROM masters WHERE id = $1 AND active FOR UPDATE")
            .bind(master_id)
            .fetch_optional(conn)
            .await?;
    Ok(tz.as_deref().map(parse_tz))
}

pub(crate) fn written(
    fx: &mut Effects,
    actor: &Actor,
    action: &'static str,
    ok: bool,
    master: Option<i64>,
) {
    fx.event(Event::Schedule(ScheduleUpdated {
        action,
        outcome: if ok { "success" } else { "failure" },
        master_id: master,
        actor_telegram_id: actor.telegram_id,
    }));
}

pub(crate) fn own_master(actor: &Actor, fx: &mut Effects) -> Option<i64> {
    if actor.master_id.is_none() {
        fx.reply("You do not have an active master profile.");
    }
    actor.master_id
}

/// `/hours <days> <range>|off`.
pub async fn hours(
    conn: &mut PgConnection,
    actor: &Actor,
    days: Weekdays,
    range: Option<(NaiveTime, NaiveTime)>,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let Some(master_id) = own_master(actor, fx) else {
        return Ok(());
    };
    let action = if range.is_some() {
        "hours_set"
    } else {
        "hours_cleared"
    };
    let Some(tz) = lock_master(conn, master_id).await? else {
        fx.reply(format!("Master #{master_id} is not active."));
        written(fx, actor, action, false, Some(master_id));
        return Ok(());
    };
    let weekdays = days.iso_numbers();
    let names = day_names(&weekdays);
    match range {
        Some((from, to)) => {
            sqlx::query(
                "INSERT INTO working_hours (master_id, weekday, starts_local, ends_local) \
                 SELECT $1, d, $3, $4 FROM unnest($2::smallint[]) AS d \
                 ON CONFLICT (master_id, weekday) DO UPDATE \
                 SET starts_local = EXCLUDED.starts_local, ends_local = EXCLUDED.ends_local",
            )
            .bind(master_id)
            .bind(&weekdays)
            .bind(from)
            .bind(to)
            .execute(&mut *conn)
            .await?;
            fx.reply(format!(
                "Master #{master_id}: working hours on {names} set to {}-{} ({tz}).",
                from.format("%H:%M"),
                to.format("%H:%M")
            ));
        }
        None => {
            sqlx::query("DELETE FROM working_hours WHERE master_id = $1 AND weekday = ANY($2)")
                .bind(master_id)
                .bind(&weekdays)
                .execute(&mut *conn)
                .await?;
            fx.reply(format!("Master #{master_id}: {names} are now days off."));
        }
    }
    written(fx, actor, action, true, Some(master_id));
    Ok(())
}

fn day_names(weekdays: &[i16]) -> String {
    const NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    weekdays
        .iter()
        .filter_map(|d| NAMES.get(usize::try_from(d - 1).ok()?).copied())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `/timezone <IANA>`.
pub async fn timezone(
    conn: &mut PgConnection,
    actor: &Actor,
    tz: Tz,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let Some(master_id) = own_master(actor, fx) else {
        return Ok(());
    };
    sqlx::query("UPDATE masters SET time_zone = $2, updated_at = now() WHERE id = $1")
        .bind(master_id)
        .bind(tz.name())
        .execute(conn)
        .await?;
    fx.reply(format!(
        "Master #{master_id}: time zone set to {}. Working hours are read in it.",
        tz.name()
    ));
    written(fx, actor, "timezone_set", true, Some(master_id));
    Ok(())
}
