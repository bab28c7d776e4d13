//! The last round trip of an update: one call of the SQL function of its kind of write
//! (`migrations/0007_update_functions.sql`), which records the update's id, makes the write,
//! re-checks under its locks what a concurrent update could have changed, and enqueues the
//! replies prepared for the outcome it reached, in one statement and so one transaction.
//! A function that finds what the bot read no longer true raises `serialization_failure`;
//! nothing is written and the caller reads and decides again ([`is_stale`]).

use chrono::{DateTime, NaiveTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;

/// A write an update makes, with what its function re-checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// `bot_book`: outcomes `booked`, `blocked`, `taken`, `limit`.
    Book {
        /// `masters.id`.
        master_id: i64,
        /// The master's `schedule_version` the slot was judged by.
        version: i64,
        /// The client's `users.id`.
        client_id: i64,
        /// The new booking's id, drawn from its sequence beforehand so the replies can name it.
        booking_id: i64,
        /// First instant.
        start: DateTime<Utc>,
        /// First instant after it.
        end: DateTime<Utc>,
        /// The most upcoming bookings a client may hold.
        max_active: i32,
    },
    /// `bot_cancel`: outcomes `cancelled`, `already`, `late`.
    Cancel {
        /// `bookings.id`.
        booking_id: i64,
        /// `client`, `master` or `admin`.
        by: &'static str,
        /// How long before its start the booking must still be.
        lead_minutes: i32,
    },
    /// `bot_hours`: outcomes `done`, `inactive`.
    Hours {
        /// `masters.id`.
        master_id: i64,
        /// ISO weekdays.
        weekdays: Vec<i16>,
        /// The hours; `None` clears them.
        range: Option<(NaiveTime, NaiveTime)>,
    },
    /// `bot_timezone`: outcomes `done`, `inactive`.
    Timezone {
        /// `masters.id`.
        master_id: i64,
        /// IANA name.
        tz: String,
    },
    /// `bot_block`: outcomes `added`, `conflict`, `inactive`.
    Block {
        /// `masters.id`.
        master_id: i64,
        /// The new block's id, drawn beforehand.
        block_id: i64,
        /// First instant.
        from: DateTime<Utc>,
        /// First instant after it.
        to: DateTime<Utc>,
        /// The confirmed bookings it overlaps, as read (ordered by start, id).
        overlapping: Vec<i64>,
    },
    /// `bot_unblock`: outcomes `removed`, `gone`.
    Unblock {
        /// `masters.id`.
        master_id: i64,
        /// `availability_blocks.id`.
        block_id: i64,
    },
    /// `bot_add_master`: outcome `added`.
    AddMaster {
        /// The user's `users.id`.
        user_id: i64,
        /// Their inactive master row, reactivated; otherwise a new one is inserted.
        existing: Option<i64>,
        /// The new master's id, drawn beforehand (unused when reactivating).
        new_id: Option<i64>,
        /// Display name.
        name: String,
        /// IANA name of a new master's zone.
        tz: String,
        /// Slot length of a new master.
        slot_minutes: i32,
    },
    /// `bot_remove_master`: outcome `removed`.
    RemoveMaster {
        /// `masters.id`.
        master_id: i64,
        /// Its future confirmed bookings, as read (ordered by start, id): these are cancelled.
        future: Vec<i64>,
    },
}

/// What the last statement reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The function's outcome; `duplicate` when the update had been processed already, `done`
    /// for an update without a write.
    pub outcome: String,
    /// Replies of that outcome the per-chat outbox cap dropped.
    pub dropped: u64,
}

/// Runs the last statement of update `update_id`: `write`'s function, or `bot_finish` when it
/// writes nothing but `out` (see [`crate::effects::Effects::outbox_json`]).
pub async fn commit(
    conn: &mut PgConnection,
    update_id: i64,
    write: Option<&Write>,
    out: &Value,
    cap: u32,
) -> Result<Settled, sqlx::Error> {
    let q = match write {
        None => sqlx::query_as("SELECT o_outcome, o_dropped FROM bot_finish($1, $2, $3)")
            .bind(update_id),
        Some(Write::Book {
            master_id,
            version,
            client_id,
            booking_id,
            start,
            end,
            max_active,
        }) => sqlx::query_as(
            "SELECT o_outcome, o_dropped FROM bot_book($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(update_id)
        .bind(master_id)
        .bind(version)
        .bind(client_id)
        .bind(booking_id)
        .bind(start)
        .bind(end)
        .bind(max_active),
        Some(Write::Cancel {
            booking_id,
            by,
            lead_minutes,
        }) => sqlx::query_as(
            "SELECT o_outcome, o_dropped FROM bot_cancel($1, $2, $3, \
             make_interval(mins => $4), $5, $6)",
        )
        .bind(update_id)
        .bind(booking_id)
        .bind(*by)
        .bind(lead_minutes),
        Some(Write::Hours {
            master_id,
            weekdays,
            range,
        }) => {
            sqlx::query_as("SELECT o_outcome, o_dropped FROM bot_hours($1, $2, $3, $4, $5, $6, $7)")
                .bind(update_id)
                .bind(master_id)
                .bind(weekdays)
                .bind(range.map(|r| r.0))
                .bind(range.map(|r| r.1))
        }
        Some(Write::Timezone { master_id, tz }) => {
            sqlx::query_as("SELECT o_outcome, o_dropped FROM bot_timezone($1, $2, $3, $4, $5)")
                .bind(update_id)
                .bind(master_id)
                .bind(tz)
        }
        Some(Write::Block {
            master_id,
            block_id,
            from,
            to,
            overlapping,
        }) => sqlx::query_as(
            "SELECT o_outcome, o_dropped FROM bot_block($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(update_id)
        .bind(master_id)
        .bind(block_id)
        .bind(from)
        .bind(to)
        .bind(overlapping),
        Some(Write::Unblock {
            master_id,
            block_id,
        }) => sqlx::query_as("SELECT o_outcome, o_dropped FROM bot_unblock($1, $2, $3, $4, $5)")
            .bind(update_id)
            .bind(master_id)
            .bind(block_id),
        Some(Write::AddMaster {
            user_id,
            existing,
            new_id,
            name,
            tz,
            slot_minutes,
        }) => sqlx::query_as(
            "SELECT o_outcome, o_dropped FROM bot_add_master($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(update_id)
        .bind(user_id)
        .bind(existing)
        .bind(new_id)
        .bind(name)
        .bind(tz)
        .bind(slot_minutes),
        Some(Write::RemoveMaster { master_id, future }) => {
            sqlx::query_as("SELECT o_outcome, o_dropped FROM bot_remove_master($1, $2, $3, $4, $5)")
                .bind(update_id)
                .bind(master_id)
                .bind(future)
        }
    };
    let (outcome, dropped): (String, i32) = q
        .bind(out)
        .bind(i32::try_from(cap).unwrap_or(i32::MAX))
        .fetch_one(conn)
        .await?;
    Ok(Settled {
        outcome,
        dropped: u64::try_from(dropped).unwrap_or(0),
    })
}

/// Whether `err` is a function's "what was read changed meanwhile" (or any serialization
/// failure): nothing was written, and reading and deciding again settles it.
pub fn is_stale(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("40001"))
}
