//! Masters' schedules: the reads a booking and the day views make of a master, and `/hours`
//! and `/timezone`. Their writes (`bot_hours`, `bot_timezone`) bump the master's
//! `schedule_version`, so a booking judged by the hours or zone before them is judged again.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;

use crate::commands::Weekdays;
use crate::effects::{Effects, Event};
use crate::events::booking::ScheduleUpdated;
use crate::rbac::Actor;
use crate::slots;
use crate::writes::Write;

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

/// What `/book` reads, in one round trip: the master with the hours of the date's weekday,
/// the schedule version the booking's write re-checks, an id drawn for the booking (so the
/// prepared replies can name it), and the client's upcoming bookings (for the limit's text).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BookingRead {
    /// The master and the day's hours.
    #[sqlx(flatten)]
    pub master: MasterDay,
    /// `masters.schedule_version`.
    pub version: i64,
    /// From `bookings_id_seq`.
    pub booking_id: i64,
    /// The client's confirmed bookings that have not started.
    pub active_bookings: i64,
}

/// Reads [`BookingRead`] for a booking of `client_id` with `master_id` on `date`.
pub async fn booking_read(
    conn: &mut PgConnection,
    master_id: i64,
    date: NaiveDate,
    client_id: i64,
) -> Result<Option<BookingRead>, sqlx::Error> {
    let weekday = i16::try_from(date.weekday().number_from_monday()).unwrap_or(1);
    sqlx::query_as(
        "SELECT m.id, m.display_name, m.time_zone, m.slot_minutes, m.active, m.user_id, \
                u.chat_id, w.starts_local, w.ends_local, m.schedule_version AS version, \
                nextval('bookings_id_seq') AS booking_id, \
                (SELECT count(*) FROM bookings WHERE client_id = $3 AND status = 'confirmed' \
                   AND starts_at > now()) AS active_bookings \
         FROM masters m JOIN users u ON u.id = m.user_id \
         LEFT JOIN working_hours w ON w.master_id = m.id AND w.weekday = $2 WHERE m.id = $1",
    )
    .bind(master_id)
    .bind(weekday)
    .bind(client_id)
    .fetch_optional(conn)
    .await
}

/// A master's week and what is busy around one day, as the day views need them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MasterWeek {
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
    /// The master's chat.
    pub chat_id: i64,
    /// ISO weekdays with hours, with the hours in `starts` and `ends` at the same index.
    pub weekdays: Vec<i16>,
    /// Start of each weekday's hours.
    pub starts: Vec<NaiveTime>,
    /// End of each weekday's hours.
    pub ends: Vec<NaiveTime>,
    /// Starts of the blocks and confirmed bookings in the range read, with `busy_ends`.
    pub busy_starts: Vec<DateTime<Utc>>,
    /// Their ends.
    pub busy_ends: Vec<DateTime<Utc>>,
}

impl MasterWeek {
    /// The master with the hours of `date`'s weekday.
    pub fn day(&self, date: NaiveDate) -> MasterDay {
        let weekday = i16::try_from(date.weekday().number_from_monday()).unwrap_or(1);
        let i = self.weekdays.iter().position(|d| *d == weekday);
        MasterDay {
            id: self.id,
            display_name: self.display_name.clone(),
            time_zone: self.time_zone.clone(),
            slot_minutes: self.slot_minutes,
            active: self.active,
            user_id: self.user_id,
            chat_id: self.chat_id,
            starts_local: i.and_then(|i| self.starts.get(i).copied()),
            ends_local: i.and_then(|i| self.ends.get(i).copied()),
        }
    }

    /// The busy ranges read.
    pub fn busy(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        self.busy_starts
            .iter()
            .copied()
            .zip(self.busy_ends.iter().copied())
            .collect()
    }
}

/// Reads a master's week with the blocks and confirmed bookings overlapping `[from, to)`, in
/// one round trip (two index range scans).
pub async fn master_week(
    conn: &mut PgConnection,
    master_id: i64,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Option<MasterWeek>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.id, m.display_name, m.time_zone, m.slot_minutes, m.active, m.user_id, \
           u.chat_id, ARRAY(SELECT weekday FROM working_hours WHERE master_id = $1 ORDER BY weekday) \
             AS weekdays, \
           ARRAY(SELECT starts_local FROM working_hours WHERE master_id = $1 ORDER BY weekday) \
             AS starts, \
           ARRAY(SELECT ends_local FROM working_hours WHERE master_id = $1 ORDER BY weekday) \
             AS ends, \
           coalesce(b.s, '{}') AS busy_starts, coalesce(b.e, '{}') AS busy_ends \
         FROM masters m JOIN users u ON u.id = m.user_id LEFT JOIN LATERAL ( \
           SELECT array_agg(s ORDER BY s, e) AS s, array_agg(e ORDER BY s, e) AS e FROM ( \
             SELECT starts_at AS s, ends_at AS e FROM availability_blocks \
              WHERE master_id = $1 AND starts_at < $3 AND ends_at > $2 \
             UNION ALL SELECT starts_at, ends_at FROM bookings \
              WHERE master_id = $1 AND status = 'confirmed' AND starts_at < $3 AND ends_at > $2 \
           ) AS x) AS b ON TRUE \
         WHERE m.id = $1",
    )
    .bind(master_id)
    .bind(from)
    .bind(to)
    .fetch_optional(conn)
    .await
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
pub fn hours(
    actor: &Actor,
    days: Weekdays,
    range: Option<(NaiveTime, NaiveTime)>,
    fx: &mut Effects,
) {
    let Some(master_id) = own_master(actor, fx) else {
        return;
    };
    let tz = actor.master_tz.unwrap_or(Tz::UTC);
    let action = if range.is_some() {
        "hours_set"
    } else {
        "hours_cleared"
    };
    let weekdays = days.iso_numbers();
    let names = day_names(&weekdays);
    fx.write(Write::Hours {
        master_id,
        weekdays,
        range,
    });
    fx.on("done");
    fx.reply(match range {
        Some((from, to)) => format!(
            "Master #{master_id}: working hours on {names} set to {}-{} ({tz}).",
            from.format("%H:%M"),
            to.format("%H:%M")
        ),
        None => format!("Master #{master_id}: {names} are now days off."),
    });
    written(fx, actor, action, true, Some(master_id));
    inactive(fx, actor, action, master_id);
}

/// The prepared outcome of a schedule write whose master was deactivated meanwhile.
pub(crate) fn inactive(fx: &mut Effects, actor: &Actor, action: &'static str, master_id: i64) {
    fx.on("inactive");
    fx.reply(format!("Master #{master_id} is not active."));
    written(fx, actor, action, false, Some(master_id));
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
pub fn timezone(actor: &Actor, tz: Tz, fx: &mut Effects) {
    let Some(master_id) = own_master(actor, fx) else {
        return;
    };
    fx.write(Write::Timezone {
        master_id,
        tz: tz.name().to_owned(),
    });
    fx.on("done");
    fx.reply(format!(
        "Master #{master_id}: time zone set to {}. Working hours are read in it.",
        tz.name()
    ));
    written(fx, actor, "timezone_set", true, Some(master_id));
    inactive(fx, actor, "timezone_set", master_id);
}
