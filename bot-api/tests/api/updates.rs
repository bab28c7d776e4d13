//! Entering updates: registration, help by role, exactly-once, ignored kinds, unknown input.

use bot_api::telegram::types::Update;
use bot_api::updates::Outcome;

use crate::helpers::*;

#[tokio::test]
async fn start_registers_the_user_and_help_lists_only_their_commands() {
    let bot = bot().await;
    let reply = bot.say(CLIENT, "/start").await;
    assert!(reply.contains("/book"), "{reply}");
    assert!(
        !reply.contains("/agenda") && !reply.contains("/addmaster"),
        "{reply}"
    );
    let telegram_id: i64 = sqlx::query_scalar("SELECT telegram_id FROM users")
        .fetch_one(&bot.db.pool)
        .await
        .unwrap();
    assert_eq!(telegram_id, CLIENT);

    let admin = bot.say(ADMIN, "/help@BookingBot").await;
    assert!(
        admin.contains("/addmaster") && admin.contains("/removemaster"),
        "{admin}"
    );

    bot.master().await;
    let master = bot.say(MASTER, "/help").await;
    assert!(
        master.contains("/agenda") && master.contains("/hours"),
        "{master}"
    );
    assert!(!master.contains("/addmaster"), "{master}");
}

#[tokio::test]
async fn a_repeated_update_id_has_no_second_effect_and_no_second_reply() {
    let bot = bot().await;
    let master_id = bot.master().await;
    let update = text_update(
        uid(),
        CLIENT,
        &format!("/book {master_id} {} 10:00", day(3)),
    );
    assert_eq!(bot.process(&update).await, Outcome::Processed);
    let replies = bot.outbox_len().await;
    assert_eq!(bot.process(&update).await, Outcome::Duplicate);
    assert_eq!(bot.process(&update).await, Outcome::Duplicate);
    assert_eq!(bot.outbox_len().await, replies);
    assert_eq!(bot.confirmed().await, 1);
}

#[tokio::test]
async fn kinds_the_bot_does_not_act_on_are_recorded_and_ignored() {
    let bot = bot().await;
    let mut edited = Update {
        update_id: uid(),
        ..Update::default()
    };
    edited.other.insert(
        "edited_message".into(),
        serde_json::json!({"message_id": 1}),
    );
    let mut group = text_update(uid(), CLIENT, "/start");
    group.message.as_mut().unwrap().chat.kind = "group".into();
    let mut sticker = text_update(uid(), CLIENT, "x");
    sticker.message.as_mut().unwrap().text = None;
    let mut from_bot = text_update(uid(), CLIENT, "/start");
    from_bot
        .message
        .as_mut()
        .unwrap()
        .from
        .as_mut()
        .unwrap()
        .is_bot = true;
    let mut no_data = press_update(uid(), CLIENT, "x");
    no_data.callback_query.as_mut().unwrap().data = None;

    for u in [&edited, &group, &sticker, &from_bot, &no_data] {
        assert_eq!(bot.process(u).await, Outcome::Ignored);
        assert_eq!(bot.process(u).await, Outcome::Duplicate);
    }
    assert_eq!(bot.outbox_len().await, 0);
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_updates")
        .fetch_one(&bot.db.pool)
        .await
        .unwrap();
    assert_eq!(recorded, 5);
}

#[tokio::test]
async fn unknown_commands_and_plain_text_get_a_pointer_to_help() {
    let bot = bot().await;
    assert!(bot.say(CLIENT, "/frobnicate").await.contains("/help"));
    assert!(bot.say(CLIENT, "hello there").await.contains("/help"));
    assert!(bot.press(CLIENT, "zz:1").await.contains("/help"));
}

#[tokio::test]
async fn every_button_press_is_answered_with_answer_callback_query() {
    let bot = bot().await;
    let master_id = bot.master().await;
    bot.press(CLIENT, &format!("m:{master_id}")).await;
    let out = bot.outbox(CLIENT).await;
    let (method, payload) = &out[0];
    assert_eq!(method, "answerCallbackQuery");
    assert!(
        payload["callback_query_id"]
            .as_str()
            .unwrap()
            .starts_with("cq")
    );
    assert_eq!(out[1].0, "sendMessage");
    for row in out[1].1["reply_markup"]["inline_keyboard"]
        .as_array()
        .unwrap()
    {
        for b in row.as_array().unwrap() {
            assert!(b["callback_data"].as_str().unwrap().len() <= 64);
        }
    }
}

#[tokio::test]
async fn a_nul_character_in_input_cannot_wedge_an_update() {
    let bot = bot().await;
    let reply = bot.say(CLIENT, "/book 1 2030-01-01\0 10:00").await;
    assert!(reply.contains("YYYY-MM-DD"), "{reply}");
    let mut update = text_update(uid(), OTHER, "/start");
    update
        .message
        .as_mut()
        .unwrap()
        .from
        .as_mut()
        .unwrap()
        .first_name = "A\0B".into();
    assert_eq!(bot.process(&update).await, Outcome::Processed);
}

#[tokio::test]
async fn a_database_failure_is_an_error_so_the_transport_answers_503() {
    let bot = bot().await;
    bot.db.pool.close().await;
    let update = text_update(uid(), CLIENT, "/start");
    let result = bot_api::updates::process_update(&bot.ctx, &update).await;
    let Err(e) = result else {
        panic!("processed without a database")
    };
    assert!(e.is_transient(), "{e:?}");
}

/// Registering a known, unchanged user only reads their row: a lock (even that of an
/// `ON CONFLICT DO UPDATE` which updates nothing) would be a WAL record, and so a WAL flush
/// at the commit of the registration, on every update.
#[tokio::test]
async fn a_known_unchanged_users_updates_neither_lock_nor_rewrite_their_row() {
    let bot = bot().await;
    bot.say(CLIENT, "/start").await;
    let row = || async {
        sqlx::query_as::<_, (String, chrono::DateTime<chrono::Utc>)>(
            "SELECT xmax::text, updated_at FROM users WHERE telegram_id = $1",
        )
        .bind(CLIENT)
        .fetch_one(&bot.db.pool)
        .await
        .unwrap()
    };
    let before = row().await;
    bot.say(CLIENT, "/help").await;
    bot.say(CLIENT, "/masters").await;
    assert_eq!(row().await, before);
    assert_eq!(before.0, "0", "the row was locked");
}
