//! How failed bookings are counted for BookingFailureSpike: the user's own refusals (malformed
//! `/book`, slot in the past, outside hours…) as refusals, with the number of distinct refused
//! users; a database error during a booking as a system failure. Read from the scrape text,
//! as Prometheus and the ops-agent read it.

use bot_api::updates::process_update;

use crate::helpers::*;

const SYSTEM: &str = r#"bot_api_booking_system_failures_total{reason="database"}"#;
const FAILED: &str = r#"bot_api_bookings_total{outcome="failure"}"#;
const INTERNAL: &str = r#"bot_api_booking_failures_total{reason="internal"}"#;
const REFUSING: &str = "bot_api_booking_refusing_users";

fn scrape(bot: &Bot) -> String {
    String::from_utf8(shared::metrics::encode(&bot.ctx.metrics.registry)).unwrap()
}

#[tokio::test]
async fn one_clients_five_bad_bookings_are_refusals_by_one_user_not_system_failures() {
    let bot = bot().await;
    let m = bot.master().await;
    let commands = [
        "/book".to_owned(),
        format!("/book {m} tomorrow 10:00"),
        format!("/book x {} 10:00", day(3)),
        format!("/book {m} {} 10:00", day(-1)),
        format!("/book {m} {} 21:00", day(3)),
    ];
    for cmd in &commands {
        let reply = bot.say(CLIENT, cmd).await;
        assert!(!reply.starts_with("Booked"), "{cmd}: {reply}");
    }
    let s = scrape(&bot);
    assert_eq!(sample(&s, FAILED), 5.0, "{s}");
    assert_eq!(
        sample(
            &s,
            r#"bot_api_booking_failures_total{reason="invalid_input"}"#
        ),
        3.0
    );
    assert_eq!(sample(&s, SYSTEM), 0.0);
    assert_eq!(sample(&s, INTERNAL), 0.0);
    assert_eq!(sample(&s, REFUSING), 1.0, "one client is one user");

    // The same refusals from two more users: now a wave.
    for user in [OTHER, OTHER + 1] {
        bot.say(user, &format!("/book {m} {} 10:00", day(-1))).await;
    }
    let s = scrape(&bot);
    assert_eq!(sample(&s, REFUSING), 3.0);
    assert_eq!(sample(&s, SYSTEM), 0.0);
}

#[tokio::test]
async fn a_database_error_during_a_booking_is_a_system_failure() {
    let bot = bot().await;
    let m = bot.master().await;
    // The database refuses every new booking row, as it would with a full disk.
    sqlx::raw_sql(
        "CREATE FUNCTION no_space() RETURNS trigger LANGUAGE plpgsql AS \
           $$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$; \
         CREATE TRIGGER no_space BEFORE INSERT ON bookings \
           FOR EACH ROW EXECUTE FUNCTION no_space();",
    )
    .execute(&bot.db.pool)
    .await
    .unwrap();
    let update = text_update(uid(), CLIENT, &format!("/book {m} {} 10:00", day(3)));
    let err = process_update(&bot.ctx, &update)
        .await
        .expect_err("the insert fails");
    // Permanent: the transport dead-letters it (UpdatesDeadLettered), nothing was committed.
    assert!(!err.is_transient(), "{err:?}");
    assert_eq!(bot.confirmed().await, 0);

    let s = scrape(&bot);
    assert_eq!(sample(&s, SYSTEM), 1.0, "{s}");
    assert_eq!(sample(&s, FAILED), 1.0);
    assert_eq!(sample(&s, INTERNAL), 1.0);
    assert_eq!(sample(&s, REFUSING), 0.0, "not the client's fault");
    assert_eq!(
        sample(&s, r#"bot_api_bookings_total{outcome="success"}"#),
        0.0
    );
}
