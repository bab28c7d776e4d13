//! Parsing of typed commands and button callbacks into one [`Command`]. A callback is only a
//! compact spelling of a command, so a forged or stale button goes through exactly the same
//! role, ownership and rule checks as the typed command it imitates. Pure: no I/O.

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

/// Days of the week as a bit set (bit 0 = Monday … bit 6 = Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(pub u8);

impl Weekdays {
    /// ISO weekday numbers (1 = Monday … 7 = Sunday) in the set.
    pub fn iso_numbers(self) -> Vec<i16> {
        (0..7)
            .filter(|b| self.0 & (1 << b) != 0)
            .map(|b| b + 1)
            .collect()
    }
}

/// One thing a user asked for, typed or pressed.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `/start`: register and greet.
    Start,
    /// `/help`: the commands of the caller's role.
    Help,
    /// `/masters`: active masters.
    Masters,
    /// Button only: choose a day for a master.
    PickDay { master_id: i64 },
    /// `/slots <master_id> [date]`.
    Slots {
        master_id: i64,
        date: Option<NaiveDate>,
    },
    /// Button only: ask for confirmation of a chosen slot.
    ConfirmPrompt {
        master_id: i64,
        date: NaiveDate,
        time: NaiveTime,
    },
    /// `/book <master_id> <date> <HH:MM>`.
    Book {
        master_id: i64,
        date: NaiveDate,
        time: NaiveTime,
    },
    /// `/my`: the caller's upcoming bookings.
    My,
    /// `/cancel <booking_id>`.
    Cancel { booking_id: i64 },
    /// `/agenda [date]`: the master's bookings of a day.
    Agenda { date: Option<NaiveDate> },
    /// `/hours <days> <HH:MM-HH:MM>` (`hours: None` for `off`).
    Hours {
        days: Weekdays,
        hours: Option<(NaiveTime, NaiveTime)>,
    },
    /// `/block <date> [HH:MM-HH:MM]` (`range: None` for the whole day).
    Block {
        date: NaiveDate,
        range: Option<(NaiveTime, NaiveTime)>,
    },
    /// `/blocks`.
    Blocks,
    /// `/unblock <block_id>`.
    Unblock { block_id: i64 },
    /// `/timezone <IANA name>`.
    Timezone { tz: Tz },
    /// `/addmaster <telegram_user_id> <name…>`.
    AddMaster { telegram_id: i64, name: String },
    /// `/removemaster <master_id>`.
    RemoveMaster { master_id: i64 },
}

impl Command {
    /// The command's name (without slash); buttons map to the command they lead to.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Help => "help",
            Self::Masters => "masters",
            Self::PickDay { .. } | Self::Slots { .. } => "slots",
            Self::ConfirmPrompt { .. } | Self::Book { .. } => "book",
            Self::My => "my",
            Self::Cancel { .. } => "cancel",
            Self::Agenda { .. } => "agenda",
            Self::Hours { .. } => "hours",
            Self::Block { .. } => "block",
            Self::Blocks => "blocks",
            Self::Unblock { .. } => "unblock",
            Self::Timezone { .. } => "timezone",
            Self::AddMaster { .. } => "addmaster",
            Self::RemoveMaster { .. } => "removemaster",
        }
    }
}

/// Input that names a known command but does not fit its form.
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    /// The command's name.
    pub command: &'static str,
    /// What was wrong, as a sentence.
    pub problem: String,
}

impl Malformed {
    /// The reply: what was wrong and the expected form.
    pub fn reply(&self) -> String {
        format!("{} Expected: {}", self.problem, usage(self.command))
    }
}

/// The result of parsing a text or a callback.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A well-formed command.
    Command(Command),
    /// A known command with bad arguments.
    Malformed(Malformed),
    /// `/something` the bot does not know.
    Unknown,
    /// Plain text, not a command.
    NotACommand,
}

/// Every command name with its usage line, in help order.
pub const USAGE: &[(&str, &str)] = &[
    ("start", "/start"),
    ("help", "/help"),
    ("masters", "/masters"),
    ("slots", "/slots <master_id> [YYYY-MM-DD]"),
    ("book", "/book <master_id> <YYYY-MM-DD> <HH:MM>"),
    ("my", "/my"),
    ("cancel", "/cancel <booking_id>"),
    ("agenda", "/agenda [YYYY-MM-DD]"),
    (
        "hours",
        "/hours <days> <HH:MM-HH:MM> or /hours <days> off (days like mon, mon-fri, sat,sun)",
    ),
    ("block", "/block <YYYY-MM-DD> [HH:MM-HH:MM]"),
    ("blocks", "/blocks"),
    ("unblock", "/unblock <block_id>"),
    ("timezone", "/timezone <IANA name, e.g. Europe/Berlin>"),
    ("addmaster", "/addmaster <telegram_user_id> <name>"),
    ("removemaster", "/removemaster <master_id>"),
];

/// The usage line of a command name.
pub fn usage(name: &str) -> &'static str {
    USAGE
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("/help", |(_, u)| u)
}

/// Parses a typed message. Accepts `/cmd@BotName`.
pub fn parse_text(text: &str) -> Parsed {
    let text = text.trim();
    let Some(rest) = text.strip_prefix('/') else {
        return Parsed::NotACommand;
    };
    let mut words = rest.split_whitespace();
    let head = words.next().unwrap_or("");
    let name = head.split('@').next().unwrap_or("").to_ascii_lowercase();
    let Some(&(name, _)) = USAGE.iter().find(|(n, _)| *n == name) else {
        return Parsed::Unknown;
    };
    let args: Vec<&str> = words.collect();
    match parse_args(name, &args) {
        Ok(cmd) => Parsed::Command(cmd),
        Err(problem) => Parsed::Malformed(Malformed {
            command: name,
            problem,
        }),
    }
}

fn parse_args(name: &'static str, args: &[&str]) -> Result<Command, String> {
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
            arity(1, 1)?;
            Ok(Command::RemoveMaster {
                master_id: id(args[0], "master id")?,
            })
        }
        _ => Err("Unknown command.".into()),
    }
}

/// Parses button data (see [`crate::keyboards`] for the encoding).
pub fn parse_callback(data: &str) -> Parsed {
    let parts: Vec<&str> = data.split(':').collect();
    let (name, result) = match parts.as_slice() {
        ["m", m] => (
            "slots",
            cb_id(m).map(|master_id| Command::PickDay { master_id }),
        ),
        ["s", m, d] => (
            "slots",
            cb_id(m).and_then(|master_id| {
                Ok(Command::Slots {
                    master_id,
                    date: Some(cb_date(d)?),
                })
            }),
        ),
        ["t", m, d, t] | ["b", m, d, t] => (
            "book",
            (|| {
                let (master_id, date, time) = (cb_id(m)?, cb_date(d)?, cb_time(t)?);
                Ok(if parts[0] == "t" {
                    Command::ConfirmPrompt {
                        master_id,
                        date,
                        time,
                    }
                } else {
                    Command::Book {
                        master_id,
                        date,
                        time,
                    }
                })
            })(),
        ),
        ["c", b] => (
            "cancel",
            cb_id(b).map(|booking_id| Command::Cancel { booking_id }),
        ),
        ["a", d] => (
            "agenda",
            cb_date(d).map(|d| Command::Agenda { date: Some(d) }),
        ),
        _ => return Parsed::Unknown,
    };
    match result {
        Ok(cmd) => Parsed::Command(cmd),
        Err(()) => Parsed::Malformed(Malformed {
            command: name,
            problem: "That button's data is not valid.".into(),
        }),
    }
}

fn cb_id(s: &str) -> Result<i64, ()> {
    s.parse::<i64>().ok().filter(|v| *v > 0).ok_or(())
}

fn cb_date(s: &str) -> Result<NaiveDate, ()> {
    NaiveDate::parse_from_str(s, "%Y%m%d").map_err(|_| ())
}

fn cb_time(s: &str) -> Result<NaiveTime, ()> {
    if s.len() != 4 {
        return Err(());
    }
    NaiveTime::parse_from_str(s, "%H%M").map_err(|_| ())
}

fn id(s: &str, what: &str) -> Result<i64, String> {
    let s2 = s.strip_prefix('#').unwrap_or(s);
    s2.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("\"{s}\" is not a valid {what} (a positive number)."))
}

fn date(s: &str) -> Result<NaiveDate, String> {
    if s.len() != 10 {
        return Err(format!("\"{s}\" is not a date in the form YYYY-MM-DD."));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("\"{s}\" is not a date in the form YYYY-MM-DD."))
}

fn time(s: &str) -> Result<NaiveTime, String> {
    let ok = s.len() == 5 && s.as_bytes()[2] == b':';
    ok.then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
        .flatten()
        .ok_or_else(|| format!("\"{s}\" is not a time in the form HH:MM (24 h)."))
}

fn time_range(s: &str) -> Result<(NaiveTime, NaiveTime), String> {
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

fn weekday(s: &str) -> Option<u8> {
    let s = s.to_ascii_lowercase();
    (0..7u8).find(|&i| DAY_NAMES[i as usize] == s || FULL_DAY_NAMES[i as usize] == s)
}

fn weekdays(s: &str) -> Result<Weekdays, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_bot_name_suffix_and_hash_ids() {
        assert_eq!(parse_text("/start@MyBot"), Parsed::Command(Command::Start));
        assert_eq!(
            parse_text("/cancel #12"),
            Parsed::Command(Command::Cancel { booking_id: 12 })
        );
        assert_eq!(parse_text("hello"), Parsed::NotACommand);
        assert_eq!(parse_text("/nope"), Parsed::Unknown);
    }

    #[test]
    fn day_lists_accept_ranges_lists_and_wrapping() {
        assert_eq!(weekdays("mon-fri"), Ok(Weekdays(0b0011111)));
        assert_eq!(weekdays("sat,sun"), Ok(Weekdays(0b1100000)));
        assert_eq!(weekdays("sun-mon"), Ok(Weekdays(0b1000001)));
        assert!(weekdays("funday").is_err());
    }

    #[test]
    fn malformed_input_names_the_problem_and_the_form() {
        let Parsed::Malformed(m) = parse_text("/book 1 2030-13-01 10:00") else {
            panic!("expected malformed");
        };
        assert!(m.reply().contains("YYYY-MM-DD"));
        assert!(matches!(
            parse_text("/hours mon 10:00-09:00"),
            Parsed::Malformed(_)
        ));
        assert!(matches!(
            parse_text("/book 1 2030-01-01 9:00"),
            Parsed::Malformed(_)
        ));
    }

    #[test]
    fn callbacks_parse_into_the_same_commands() {
        assert_eq!(
            parse_callback("b:7:20300102:0930"),
            Parsed::Command(Command::Book {
                master_id: 7,
                date: NaiveDate::from_ymd_opt(2030, 1, 2).unwrap(),
                time: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            })
        );
        assert!(matches!(parse_callback("b:x:1:2"), Parsed::Malformed(_)));
        assert_eq!(parse_callback("zz"), Parsed::Unknown);
    }
}
