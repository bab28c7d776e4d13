//! `POST /telegram/webhook`: authentication, body checks, ignored kinds, exactly-once, and the
//! one JSON error shape.

use serde_json::{Value, json};

use crate::helpers::{AppOptions, SECRET, outbox_rows, sample, spawn_app, text, uid};

#[tokio::test]
async fn a_webhook_without_the_secret_header_is_refused_with_401() {
    let (app, _db) = spawn_app(AppOptions::default()).await;
    let body = serde_json::to_vec(&text(uid(), 1, "/start")).unwrap();
    let r = app.webhook_raw(body, None).await;
    assert_eq!(r.status(), 401);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["error"], "unauthorized");
    assert!(j["message"].as_str().unwrap().contains("missing"));
    app.stop().await;
}

#[tokio::test]
async fn a_webhook_with_a_wrong_secret_is_refused_with_401_and_has_no_effect() {
    let (app, db) = spawn_app(AppOptions::default()).await;
    let body = serde_json::to_vec(&text(uid(), 1, "/start")).unwrap();
    let r = app
        .webhook_raw(body, Some("webhook-secret-under-tesT"))
        .await;
    assert_eq!(r.status(), 401);
    assert!(outbox_rows(&db.pool).await.is_empty());
    let m = app.scrape().await;
    assert_eq!(
        sample(&m, r#"bot_api_telegram_updates_total{outcome="rejected"}"#),
        1.0
    );
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_an_update_is_refused_with_400() {
    let (app, _db) = spawn_app(AppOptions::default()).await;
    for body in [
        b"{not json".to_vec(),
        b"[]".to_vec(),
        br#"{"message": {"text": "no update_id"}}"#.to_vec(),
        br#"{"update_id": "seven"}"#.to_vec(),
        Vec::new(),
    ] {
        let r = app.webhook_raw(body.clone(), Some(SECRET)).await;
        assert_eq!(r.status(), 400, "{}", String::from_utf8_lossy(&body));
        let j: Value = r.json().await.unwrap();
        assert_eq!(j["error"], "bad_request");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_refused_with_413() {
    let (app, _db) = spawn_app(AppOptions::default()).await;
    let big = "x".repeat(1024 * 1024);
    let body = serde_json::to_vec(&text(uid(), 1, &big)).unwrap();
    let r = app.webhook_raw(body, Some(SECRET)).await;
    assert_eq!(r.status(), 413);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["error"], "payload_too_large");
    app.stop().await;
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_refused_with_413_too() {
    let (app, _db) = spawn_app(AppOptions::default()).await;
    // reqwest sends a Content-Length; write a chunked request by hand.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..20 {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        if conn.write_all(&frame).await.is_err() {
            break; // the server may answer and close early
        }
    }
    let _ = conn.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn update_kinds_the_bot_ignores_are_acknowledged_with_200() {
    let (app, db) = spawn_app(AppOptions::default()).await;
    let user = json!({"id": 42, "is_bot": false, "first_name": "A"});
    let kinds = [
        json!({"update_id": uid(), "edited_message": {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "/start"}}),
        json!({"update_id": uid(), "channel_post": {"message_id": 1, "date": 0, "chat": {"id": -100, "type": "channel"}, "text": "hi"}}),
        json!({"update_id": uid(), "my_chat_member": {"chat": {"id": 42, "type": "private"}, "from": user, "date": 0}}),
        json!({"update_id": uid(), "inline_query": {"id": "1", "from": user, "query": "x", "offset": ""}}),
        json!({"update_id": uid(), "message": {"message_id": 1, "date": 0, "from": user, "chat": {"id": 42, "type": "private"}, "sticker": {"file_id": "f"}}}),
        json!({"update_id": uid(), "message": {"message_id": 1, "date": 0, "from": user, "chat": {"id": -5, "type": "group"}, "text": "/start"}}),
    ];
    for k in &kinds {
        let r = app.webhook(k).await;
        assert_eq!(r.status(), 200, "{k}");
        let j: Value = r.json().await.unwrap();
        assert_eq!(j["outcome"], "ignored", "{k}");
    }
    assert!(outbox_rows(&db.pool).await.is_empty());
    let m = app.scrape().await;
    assert_eq!(
        sample(&m, r#"bot_api_telegram_updates_total{outcome="ignored"}"#),
        kinds.len() as f64
    );
    app.stop().await;
}

#[tokio::test]
async fn a_repeated_update_id_is_acknowledged_and_has_one_effect() {
    let (app, db) = spawn_app(AppOptions::default()).await;
    let u = text(uid(), 77, "/start");
    let first = app.webhook(&u).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.json::<Value>().await.unwrap()["outcome"], "processed");
    let replies = outbox_rows(&db.pool).await.len();
    assert!(replies >= 1);
    for _ in 0..3 {
        let again = app.webhook(&u).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<Value>().await.unwrap()["outcome"], "duplicate");
    }
    assert_eq!(outbox_rows(&db.pool).await.len(), replies);
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_same_json_error_shape() {
    let (app, _db) = spawn_app(AppOptions::default()).await;
    let r = app.get("/nope").await;
    assert_eq!(r.status(), 404);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["error"], "not_found");
    assert!(j["message"].is_string());
    let r = app.get("/telegram/webhook").await;
    assert_eq!(r.status(), 405);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["error"], "method_not_allowed");
    let m = app.scrape().await;
    assert_eq!(
        sample(
            &m,
            r#"bot_api_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            r#"bot_api_http_requests_total{method="GET",route="webhook",status="405"}"#
        ),
        1.0
    );
    app.stop().await;
}

#[tokio::test]
async fn offline_without_a_secret_the_webhook_takes_updates_without_the_header() {
    let (app, db) = spawn_app(AppOptions {
        secret: None,
        ..AppOptions::default()
    })
    .await;
    let body = serde_json::to_vec(&text(uid(), 5, "/start")).unwrap();
    assert_eq!(app.webhook_raw(body, None).await.status(), 200);
    // Offline: the reply is kept, nothing is sent.
    let rows = outbox_rows(&db.pool).await;
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.2 == "pending"));
    app.stop().await;
}

#[tokio::test]
async fn concurrent_deliveries_of_one_update_have_one_effect() {
    let (app, db) = spawn_app(AppOptions::default()).await;
    let u = text(uid(), 88, "/start");
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (app, u) = (app.clone(), u.clone());
        tasks.push(tokio::spawn(async move {
            let r = app.webhook(&u).await;
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()["outcome"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| *o == "processed").count(), 1);
    assert_eq!(outcomes.iter().filter(|o| *o == "duplicate").count(), 19);
    let welcome: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE chat_id = 88 AND method = 'sendMessage'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(welcome, 1);
    std::sync::Arc::try_unwrap(app).ok().unwrap().stop().await;
}
