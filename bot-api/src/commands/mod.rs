//! Parsing of typed commands and button callbacks into one [`Command`]. A callback is only a
//! compact spelling of a command, so a forged or stale button goes through exactly the same
//! role, ownership and rule checks as the typed command it imitates. Pure: no I/O.

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

mod args;
use args::{cb_date, cb_id, cb_time, parse_args};

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
        /// The later instant when `time` occurs twice that day (clocks going back).
        later: bool,
    },
    /// `/book <master_id> <date> <HH:MM>`.
    Book {
        master_id: i64,
        date: NaiveDate,
        time: NaiveTime,
        /// The later instant when `time` occurs twice that day (only buttons can ask for it).
        later: bool,
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
    /// `/removemaster <master_id> [confirm]`: `confirm` goes ahead when the master has future
    /// bookings (they are cancelled).
    RemoveMaster { master_id: i64, confirm: bool },
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
    ("removemaster", "/removemaster <master_id> [confirm]"),
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
                let (master_id, date, (time, later)) = (cb_id(m)?, cb_date(d)?, cb_time(t)?);
                Ok(if parts[0] == "t" {
                    Command::ConfirmPrompt {
                        master_id,
                        date,
                        time,
                        later,
                    }
                } else {
                    Command::Book {
                        master_id,
                        date,
                        time,
                        later,
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

#[cfg(test)]
mod tests;
