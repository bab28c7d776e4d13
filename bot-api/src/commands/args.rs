//! Argument parsers of the command forms: ids, `YYYY-MM-DD` dates, `HH:MM` times and ranges,
//! day lists like `mon-fri` or `sat,sun`, and the compact callback spellings. Each error is a
//! sentence naming the offending text.

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

use super::{Command, Weekdays};

/// Parses the arguments of the command `name`.
pub(super) fn parse_args(name: &'static str, args: &[&str]) -> Result<Command, String> {
    let arity = |min: usize, max: usize| {
        if args.len() < min || args.len() > max {
            Err(format!(
                "/{name} takes {} argument{}, you gave {}.",
                if min == max {
                    min.to_string()
                } else {
                    format!("{min} to {max}")
                },
                if max == 1 { "" } else { "s" },
                args.len()
            ))
        } else {
            Ok(())
        }
    };
    match name {
        "start" => Ok(Command::Start),
        "help" => Ok(Command::Help),
        "masters" => Ok(Command::Masters),
        "my" => Ok(Command::My),
        "blocks" => Ok(Command::Blocks),
        "slots" => {
            arity(1, 2)?;
            Ok(Command::Slots {
                master_id: id(args[0], "master id")?,
                date: args.get(1).map(|d| date(d)).transpose()?,
            })
        }
        "book" => {
            arity(3, 3)?;
            Ok(Command::Book {
                master_id: id(args[0], "master id")?,
                date: date(args[1])?,
                time: time(args[2])?,
                later: false,
            })
        }
        "cancel" => {
            arity(1, 1)?;
            Ok(Command::Cancel {
                booking_id: id(args[0], "booking id")?,
            })
        }
        "agenda" => {
            arity(0, 1)?;
            Ok(Command::Agenda {
                date: args.first().map(|d| date(d)).transpose()?,
            })
        }
        "hours" => {
            arity(2, 2)?;
            let days = weekdays(args[0])?;
            let hours = if args[1].eq_ignore_ascii_case("off") {
                None
            } else {
                Some(time_range(args[1])?)
            };
            Ok(Command::Hours { days, hours })
        }
        "block" => {
            arity(1, 2)?;
            Ok(Command::Block {
                date: date(args[0])?,
                range: args.get(1).map(|r| time_range(r)).transpose()?,
            })
        }
        "unblock" => {
            arity(1, 1)?;
            Ok(Command::Unblock {
                block_id: id(args[0], "block id")?,
            })
        }
        "timezone" => {
            arity(1, 1)?;
            let tz = args[0]
                .parse::<Tz>()
                .map_err(|_| format!("\"{}\" is not an IANA time zone name.", args[0]))?;
            Ok(Command::Timezone { tz })
        }
        "addmaster" => {
            if args.len() < 2 {
                return Err("/addmaster needs a Telegram user id and a name.".into());
            }
            let telegram_id = args[0]
                .parse::<i64>()
                .map_err(|_| format!("\"{}\" is not a Telegram user id.", args[0]))?;
            let name = args[1..].join(" ");
            if name.chars().count() > 100 {
                return Err("The name is longer than 100 characters.".into());
            }
            Ok(Command::AddMaster { telegram_id, name })
        }
        "removemaster" => {
            arity(1, 2)?;
            let confirm = match args.get(1) {
                None => false,
                Some(w) if w.eq_ignore_ascii_case("confirm") => true,
                Some(w) => return Err(format!("\"{w}\" is not \"confirm\".")),
            };
            Ok(Command::RemoveMaster {
                master_id: id(args[0], "master id")?,
                confirm,
            })
        }
        _ => Err("Unknown command.".into()),
    }
}

pub(super) fn cb_id(s: &str) -> Result<i64, ()> {
    s.parse::<i64>().ok().filter(|v| *v > 0).ok_or(())
}

pub(super) fn cb_date(s: &str) -> Result<NaiveDate, ()> {
    NaiveDate::parse_from_str(s, "%Y%m%d").map_err(|_| ())
}

/// `hhmm`, or `hhmmL` for the later of two equal wall-clock times (clocks going back).
pub(super) fn cb_time(s: &str) -> Result<(NaiveTime, bool), ()> {
    let (hhmm, later) = match s.strip_suffix('L') {
        Some(rest) => (rest, true),
        None => (s, false),
    };
    if hhmm.len() != 4 {
        return Err(());
    }
    let time = NaiveTime::parse_from_str(hhmm, "%H%M").map_err(|_| ())?;
    Ok((time, later))
}

pub(super) fn id(s: &str, what: &str) -> Result<i64, String> {
    let s2 = s.strip_prefix('#').unwrap_or(s);
    s2.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("\"{s}\" is not a valid {what} (a positive number)."))
}

pub(super) fn date(s: &str) -> Result<NaiveDate, String> {
    if s.len() != 10 {
        return Err(format!("\"{s}\" is not a date in the form YYYY-MM-DD."));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("\"{s}\" is not a date in the form YYYY-MM-DD."))
}

pub(super) fn time(s: &str) -> Result<NaiveTime, String> {
    let ok = s.len() == 5 && s.as_bytes()[2] == b':';
    ok.then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
        .flatten()
        .ok_or_else(|| format!("\"{s}\" is not a time in the form HH:MM (24 h)."))
}

pub(super) fn time_range(s: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let err = || format!("\"{s}\" is not a time range in the form HH:MM-HH:MM.");
    let (a, b) = s.split_once('-').ok_or_else(err)?;
    let (a, b) = (time(a).map_err(|_| err())?, time(b).map_err(|_| err())?);
    if b <= a {
        return Err(format!("In \"{s}\" the end is not after the start."));
    }
    Ok((a, b))
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FULL_DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

pub(super) fn weekday(s: &str) -> Option<u8> {
    let s = s.to_ascii_lowercase();
    (0..7u8).find(|&i| DAY_NAMES[i as usize] == s || FULL_DAY_NAMES[i as usize] == s)
}

pub(super) fn weekdays(s: &str) -> Result<Weekdays, String> {
    let err = || format!("\"{s}\" is not a list of days like mon, mon-fri or sat,sun.");
    let mut set = 0u8;
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (weekday(a).ok_or_else(err)?, weekday(b).ok_or_else(err)?);
                let mut d = a;
                loop {
                    set |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => set |= 1 << weekday(part).ok_or_else(err)?,
        }
    }
    Ok(Weekdays(set))
}
