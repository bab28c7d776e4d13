//! The shutdown deadline covers the background tasks too: a send to a Telegram that answers
//! slowly does not hold `serve` past its grace (issue 13: "in-flight webhooks finish, then the
//! process exits").

use std::time::{Duration, Instant};

use bot_api::outbox::{Outgoing, enqueue};
use shared::testing::telegram::{Answer, StandIn};
use shared::testing::test_db;

use crate::helpers::serve_bin::Serve;
use crate::helpers::{SECRET, TOKEN};

const S: Duration = Duration::from_secs(1);

#[tokio::test]
async fn serve_exits_within_the_grace_while_a_send_to_telegram_hangs() {
    let db = test_db().await;
    let tg = StandIn::start(TOKEN).await;
    // Slower than the grace, faster than the client's own 10 s limit: only the deadline ends it.
    tg.script([Answer::Slow(8 * S)]);
    let serve = Serve::start(&[
        ("DATABASE_URL", &db.url),
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_API_BASE", &tg.base),
        ("TELEGRAM_WEBHOOK_SECRET", SECRET),
        ("BOT_SHUTDOWN_GRACE_SECONDS", "1"),
    ]);
    serve.wait_status("/ready", 200, 60 * S).await;
    let mut conn = db.pool.acquire().await.unwrap();
    enqueue(&mut conn, &[Outgoing::message(77, "hello", None)])
        .await
        .unwrap();
    tg.wait_for(15 * S, "the send that hangs", |calls| {
        calls.iter().any(|c| c.method == "sendMessage")
    })
    .await;

    let start = Instant::now();
    let (out, _) = serve.terminate().await;
    let took = start.elapsed();
    assert!(took < 5 * S, "exit took {took:?} with a grace of 1 s");
    let line = out
        .iter()
        .find(|l| l.contains("\"shutdown_deadline\""))
        .unwrap_or_else(|| panic!("no shutdown_deadline line: {out:?}"));
    assert!(line.contains("\"tasks\":"), "{line}");
    // The message was not marked sent: it goes out again after the restart.
    let status: String = sqlx::query_scalar("SELECT status FROM outbox")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(status, "pending");
}
