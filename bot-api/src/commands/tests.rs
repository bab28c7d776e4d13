//! Parsing tests: typed forms, callbacks, and malformed input.
#![allow(clippy::unwrap_used)]

use super::args::weekdays;
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
            later: false,
        })
    );
    assert!(matches!(
        parse_callback("t:7:20301027:0200L"),
        Parsed::Command(Command::ConfirmPrompt { later: true, .. })
    ));
    assert!(matches!(
        parse_callback("b:7:20301027:0200X"),
        Parsed::Malformed(_)
    ));
    assert!(matches!(parse_callback("b:x:1:2"), Parsed::Malformed(_)));
    assert_eq!(parse_callback("zz"), Parsed::Unknown);
}
