//! Read-only views with their buttons: `/masters`, the day picker, `/slots`, the confirm
//! prompt, `/my` with cancel buttons, and the master's `/agenda` with day navigation.
//! Nothing here writes; whatever a button leads to is checked again when it is pressed.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sqlx::PgConnection;

use crate::config::BookingRules;
use crate::effects::Effects;
use crate::keyboards::{self, button, markup};
use crate::rbac::Actor;
use crate::schedule::{self, parse_tz};
use crate::slots::{self, LocalInstant};
use crate::zones;

/// `/masters`: active masters with a button each.
pub async fn masters(conn: &mut PgConnection, fx: &mut Effects) -> Result<(), sqlx::Error> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, display_name FROM masters WHERE active ORDER BY id LIMIT 50")
            .fetch_all(conn)
            .await?;
    if rows.is_empty() {
        fx.reply("There are no masters yet.");
        return Ok(());
    }
    let mut text = String::from("Masters (tap one to see free days, or use /slots <id>):");
    let mut buttons = Vec::with_capacity(rows.len());
    for (id, name) in rows {
        text.push_str(&format!("\n#{id} {name}"));
        buttons.push(vec![button(
            format!("#{id} {name}"),
            keyboards::pick_day(id),
        )]);
    }
    fx.reply_with(text, markup(buttons));
    Ok(())
}

async fn active_master_tz(
    conn: &mut PgConnection,
    master_id: i64,
) -> Result<Option<(String, chrono_tz::Tz)>, sqlx::Error> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT display_name, time_zone FROM masters WHERE id = $1 AND active")
            .bind(master_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(n, tz)| (n, parse_tz(&tz))))
}

/// Day picker for a master: the next seven days.
pub async fn pick_day(
    conn: &mut PgConnection,
    rules: &BookingRules,
    master_id: i64,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let Some((name, tz)) = active_master_tz(conn, master_id).await? else {
        fx.reply(format!(
            "There is no active master #{master_id}; see /masters."
        ));
        return Ok(());
    };
    let today = slots::today(tz, Utc::now());
    let days = (0..7.min(i64::from(rules.horizon_days) + 1))
        .map(|i| today + Duration::days(i))
        .map(|d| {
            button(
                d.format("%a %m-%d").to_string(),
                keyboards::day(master_id, d),
            )
        })
        .collect();
    fx.reply_with(
        format!("Choose a day with master #{master_id} ({name}):"),
        markup(keyboards::grid(days, 4)),
    );
    Ok(())
}

/// Time buttons under one `/slots` reply, at most.
const MAX_SLOT_BUTTONS: usize = 60;

/// `/slots <master_id> [date]`: free slots of a day (default today in the master's zone).
pub async fn slots(
    conn: &mut PgConnection,
    rules: &BookingRules,
    master_id: i64,
    date: Option<NaiveDate>,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let now = Utc::now();
    // One read: the day's blocks and bookings with the master's week. The day's bounds need
    // the master's zone, which the read returns; the zone last read is used, and a read that
    // finds it changed is made again (once per change of zone).
    let mut known = zones::known(master_id);
    let mut reads = 0;
    let week = loop {
        let range = zones::busy_range(date, known, now);
        let week = match schedule::master_week(conn, master_id, range).await? {
            Some(w) if w.active => w,
            _ => {
                fx.reply(format!(
                    "There is no active master #{master_id}; see /masters."
                ));
                return Ok(());
            }
        };
        reads += 1;
        let tz = parse_tz(&week.time_zone);
        zones::remember(master_id, tz);
        // A second change of zone between two reads is not chased further.
        if known.is_none() || known == Some(tz) || reads == 2 {
            break week;
        }
        known = Some(tz);
    };
    let tz = parse_tz(&week.time_zone);
    let date = date.unwrap_or_else(|| slots::today(tz, now));
    let m = week.day(date);
    let busy = week.busy();
    let earliest = now + Duration::minutes(i64::from(rules.min_notice_minutes));
    let latest = now + Duration::days(i64::from(rules.horizon_days));
    let free: Vec<DateTime<Utc>> = m
        .window(date)
        .map(|w| slots::free_slots(w, m.slot_len(), &busy))
        .unwrap_or_default()
        .into_iter()
        .filter(|s| *s >= earliest && *s <= latest)
        .collect();
    let mut rows = Vec::new();
    let text = if free.is_empty() {
        format!(
            "No free slots with master #{master_id} ({}) on {date}. Try another day.",
            m.display_name
        )
    } else {
        let labels: Vec<String> = free.iter().map(|s| slots::local_time(tz, *s)).collect();
        // Telegram refuses keyboards of more than 100 buttons; the text lists every slot.
        let times = free.iter().take(MAX_SLOT_BUTTONS).map(|s| {
            let local = s.with_timezone(&tz).naive_local();
            let later =
                matches!(slots::resolve(tz, local), LocalInstant::Ambiguous(_, b) if b == *s);
            button(
                slots::local_time(tz, *s),
                keyboards::slot(master_id, date, local.time(), later),
            )
        });
        rows = keyboards::grid(times.collect(), 4);
        format!(
            "Free slots with master #{master_id} ({}) on {date} ({tz}): {}. Book with /book {master_id} {date} HH:MM or tap a time.",
            m.display_name,
            labels.join(", ")
        )
    };
    let mut nav = Vec::new();
    if let Some(prev) = date.pred_opt().filter(|p| *p >= slots::today(tz, now)) {
        nav.push(button("< prev day", keyboards::day(master_id, prev)));
    }
    if let Some(next) = date.succ_opt() {
        nav.push(button("next day >", keyboards::day(master_id, next)));
    }
    rows.push(nav);
    fx.reply_with(text, markup(rows));
    Ok(())
}

/// "Book this slot?" with a confirm button; nothing is held until it is pressed.
pub async fn confirm_prompt(
    conn: &mut PgConnection,
    master_id: i64,
    date: NaiveDate,
    (time, later): (NaiveTime, bool),
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let Some((name, tz)) = active_master_tz(conn, master_id).await? else {
        fx.reply(format!(
            "There is no active master #{master_id}; see /masters."
        ));
        return Ok(());
    };
    fx.reply_with(
        format!(
            "Book master #{master_id} ({name}) on {date} at {} ({tz})?",
            match slots::resolve(tz, date.and_time(time)) {
                LocalInstant::Ambiguous(a, b) => slots::local_time(tz, if later { b } else { a }),
                _ => time.format("%H:%M").to_string(),
            }
        ),
        markup(vec![vec![
            button("Confirm", keyboards::book(master_id, date, time, later)),
            button("Other times", keyboards::day(master_id, date)),
        ]]),
    );
    Ok(())
}

/// `/my`: the caller's upcoming bookings with cancel buttons.
pub async fn my(
    conn: &mut PgConnection,
    actor: &Actor,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let rows: Vec<(i64, DateTime<Utc>, i64, String, String)> = sqlx::query_as(
        "SELECT b.id, b.starts_at, m.id, m.display_name, m.time_zone FROM bookings b \
         JOIN masters m ON m.id = b.master_id \
         WHERE b.client_id = $1 AND b.status = 'confirmed' AND b.ends_at > now() \
         ORDER BY b.starts_at LIMIT 20",
    )
    .bind(actor.user_id)
    .fetch_all(conn)
    .await?;
    if rows.is_empty() {
        fx.reply("You have no upcoming bookings. See /masters to make one.");
        return Ok(());
    }
    let mut text = String::from("Your upcoming bookings:");
    let mut buttons = Vec::with_capacity(rows.len());
    for (id, at, master_id, name, tz) in rows {
        let tz = parse_tz(&tz);
        text.push_str(&format!(
            "\n#{id}: {} ({tz}) with master #{master_id} ({name})",
            slots::local_datetime(tz, at)
        ));
        buttons.push(button(format!("Cancel #{id}"), keyboards::cancel(id)));
    }
    fx.reply_with(text, markup(keyboards::grid(buttons, 2)));
    Ok(())
}

/// One booking of the agenda: id, start, end, client's first name and username.
type AgendaRow = (i64, DateTime<Utc>, DateTime<Utc>, String, Option<String>);

/// `/agenda [date]`: the master's bookings of a day with prev/next buttons.
pub async fn agenda(
    conn: &mut PgConnection,
    actor: &Actor,
    date: Option<NaiveDate>,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let Some(master_id) = actor.master_id else {
        fx.reply("You do not have an active master profile.");
        return Ok(());
    };
    let tz = actor.master_tz.unwrap_or(chrono_tz::Tz::UTC);
    let date = date.unwrap_or_else(|| slots::today(tz, Utc::now()));
    let (from, to) = slots::day_bounds(date, tz);
    let rows: Vec<AgendaRow> = sqlx::query_as(
        "SELECT b.id, b.starts_at, b.ends_at, u.first_name, u.username FROM bookings b \
         JOIN users u ON u.id = b.client_id WHERE b.master_id = $1 AND b.status = 'confirmed' \
         AND b.starts_at < $3 AND b.ends_at > $2 ORDER BY b.starts_at",
    )
    .bind(master_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let mut text = format!("Agenda of master #{master_id} for {date} ({tz}):");
    if rows.is_empty() {
        text.push_str("\nNo bookings.");
    }
    for (id, start, end, first, username) in rows {
        let who = username.map_or(first, |u| format!("@{u}"));
        text.push_str(&format!(
            "\n#{id} {}-{} {who}",
            slots::local_time(tz, start),
            slots::local_time(tz, end)
        ));
    }
    let mut nav = Vec::new();
    if let Some(prev) = date.pred_opt() {
        nav.push(button("< prev day", keyboards::agenda(prev)));
    }
    if let Some(next) = date.succ_opt() {
        nav.push(button("next day >", keyboards::agenda(next)));
    }
    fx.reply_with(text, markup(vec![nav]));
    Ok(())
}
