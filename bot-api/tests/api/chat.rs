//! `bot-api chat`: typed lines and pressed buttons go through the same update handler, and the
//! replies for the chat come out of the outbox onto the terminal.

use bot_api::config::BookingRules;

use crate::helpers::{ADMIN, CLIENT, MASTER, context};

async fn session(ctx: &bot_api::updates::BotContext, user: i64, input: &str) -> String {
    let mut out = Vec::new();
    bot_api::chat::run(ctx, user, input.as_bytes(), &mut out)
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_terminal_chat_books_through_buttons_and_prints_the_replies() {
    let db = shared::testing::test_db().await;
    let ctx = context(&db.pool, BookingRules::default());
    let (master, client) = (MASTER, CLIENT);
    session(&ctx, master, "/start\n").await;
    let admin = session(&ctx, ADMIN, &format!("/start\n/addmaster {master} Anna\n")).await;
    assert!(admin.contains("bot: "), "{admin}");
    assert!(admin.contains('#'), "{admin}");
    let hours = session(&ctx, master, "/hours mon-sun 08:00-20:00\n").await;
    assert!(hours.contains("08:00-20:00"), "{hours}");

    let out = session(&ctx, client, "/start\n/masters\n1\n").await;
    assert!(
        out.starts_with(&format!("Chatting as Telegram user {CLIENT}")),
        "{out}"
    );
    assert!(out.contains("Anna"), "{out}");
    assert!(out.contains("    [1] "), "no numbered button: {out}");
    // Pressing [1] answered with the master's days (a new keyboard).
    let after_press = out.rsplit("Anna").next().unwrap();
    assert!(after_press.contains("[1]"), "{out}");

    // Replies shown on the terminal are marked delivered, and nothing is left for this chat.
    let pending: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE chat_id = $1 AND status = 'pending'")
            .bind(client)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(pending, 0);
    // Synthetic update ids are negative: they never collide with Telegram's.
    let positive: i64 =
        sqlx::query_scalar("SELECT count(*) FROM processed_updates WHERE update_id >= 0")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(positive, 0);
}

#[tokio::test]
async fn the_chat_subcommand_talks_over_stdin_and_stdout() {
    use tokio::io::AsyncWriteExt;
    let db = shared::testing::test_db().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bot-api"))
        .args(["chat", "--as", "5300000001"])
        .env_clear()
        .env("DATABASE_URL", &db.url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"/start\n/my\n").await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("bot: Welcome"), "{stdout}");
    assert_eq!(stdout.matches("bot: ").count(), 2, "{stdout}");
}
