//! Inline keyboards and their `callback_data` (at most 64 bytes, parsed back by
//! [`crate::commands::parse_callback`]). The encoding is compact and positional:
//!
//! | data | leads to |
//! |---|---|
//! | `m:<master>` | choose a day for that master |
//! | `s:<master>:<yyyymmdd>` | free slots of that day |
//! | `t:<master>:<yyyymmdd>:<hhmm>` | "confirm this slot?" |
//! | `b:<master>:<yyyymmdd>:<hhmm>` | book it (same checks as `/book`) |
//!
//! A trailing `L` on `<hhmm>` picks the later of two equal wall-clock times (clocks going back).
//! | `c:<booking>` | cancel (same checks as `/cancel`) |
//! | `a:<yyyymmdd>` | the master's agenda of that day |

use chrono::{NaiveDate, NaiveTime};
use serde_json::{Value, json};

/// Telegram's limit for `callback_data`.
pub const MAX_CALLBACK_BYTES: usize = 64;

/// `m:<master>`.
pub fn pick_day(master_id: i64) -> String {
    format!("m:{master_id}")
}

/// `s:<master>:<yyyymmdd>`.
pub fn day(master_id: i64, date: NaiveDate) -> String {
    format!("s:{master_id}:{}", date.format("%Y%m%d"))
}

/// `t:<master>:<yyyymmdd>:<hhmm>[L]`.
pub fn slot(master_id: i64, date: NaiveDate, time: NaiveTime, later: bool) -> String {
    format!(
        "t:{master_id}:{}:{}{}",
        date.format("%Y%m%d"),
        time.format("%H%M"),
        if later { "L" } else { "" }
    )
}

/// `b:<master>:<yyyymmdd>:<hhmm>[L]`.
pub fn book(master_id: i64, date: NaiveDate, time: NaiveTime, later: bool) -> String {
    format!(
        "b:{master_id}:{}:{}{}",
        date.format("%Y%m%d"),
        time.format("%H%M"),
        if later { "L" } else { "" }
    )
}

/// `c:<booking>`.
pub fn cancel(booking_id: i64) -> String {
    format!("c:{booking_id}")
}

/// `a:<yyyymmdd>`.
pub fn agenda(date: NaiveDate) -> String {
    format!("a:{}", date.format("%Y%m%d"))
}

/// One button.
pub fn button(text: impl Into<String>, data: String) -> Value {
    json!({ "text": text.into(), "callback_data": data })
}

/// An `InlineKeyboardMarkup` from rows of buttons; `None` when there is no button at all.
pub fn markup(rows: Vec<Vec<Value>>) -> Option<Value> {
    let rows: Vec<Vec<Value>> = rows.into_iter().filter(|r| !r.is_empty()).collect();
    (!rows.is_empty()).then(|| json!({ "inline_keyboard": rows }))
}

/// Lays buttons out `per_row` to a row.
pub fn grid(buttons: Vec<Value>, per_row: usize) -> Vec<Vec<Value>> {
    buttons
        .chunks(per_row.max(1))
        .map(<[Value]>::to_vec)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_fits_in_64_bytes_even_for_the_largest_ids() {
        let d = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
        let t = NaiveTime::from_hms_opt(23, 59, 0).unwrap_or_default();
        for data in [
            pick_day(i64::MAX),
            day(i64::MAX, d),
            slot(i64::MAX, d, t, true),
            book(i64::MAX, d, t, true),
            cancel(i64::MAX),
            agenda(d),
        ] {
            assert!(data.len() <= MAX_CALLBACK_BYTES, "{data}");
        }
    }
}
