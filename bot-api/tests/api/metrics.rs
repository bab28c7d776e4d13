//! `/metrics`: content type, exact counter movements after a scripted set of bookings, and
//! `promtool check metrics` on a real scrape.

use std::collections::BTreeMap;

use shared::testing::prom::{check_metrics, samples};

use crate::helpers::scenario::{self, Driver, PROCESSED, WEBHOOK_200};
use crate::helpers::{AppOptions, sample, spawn_app, text, uid};

/// Every `*_total` sample of a scrape.
fn counters(scrape: &str) -> BTreeMap<String, f64> {
    samples(scrape)
        .filter(|(series, _)| {
            series
                .split('{')
                .next()
                .is_some_and(|n| n.ends_with("_total"))
        })
        .map(|(series, v)| (series.to_owned(), v))
        .collect()
}

#[tokio::test]
async fn metrics_are_served_as_prometheus_text_0_0_4() {
    let (app, _db) = spawn_app(AppOptions::default()).await;
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], shared::metrics::CONTENT_TYPE);
    let body = r.text().await.unwrap();
    for family in [
        "bot_api_healthy",
        "bot_api_http_requests_total",
        "bot_api_http_request_duration_seconds",
        "bot_api_bookings_total",
        "bot_api_booking_failures_total",
        "bot_api_booking_cancellations_total",
        "bot_api_schedule_writes_total",
        "bot_api_rbac_denials_total",
        "bot_api_telegram_updates_total",
        "bot_api_outbox_pending",
        "bot_api_log_lines_dropped_total",
    ] {
        assert!(
            body.contains(&format!("# TYPE {family} ")),
            "{family} missing"
        );
    }
    assert!(
        body.contains(r#"le="0.05""#),
        "no bucket boundary at the 50 ms target"
    );
    app.stop().await;
}

#[tokio::test]
async fn each_counter_moves_by_exactly_what_the_scripted_bookings_did() {
    let (app, db) = spawn_app(AppOptions::default()).await;
    let before = counters(&app.scrape().await);
    let d = Driver {
        http: app.http.clone(),
        base: app.url(""),
        pool: &db.pool,
    };
    scenario::run(&d).await;
    let after_text = app.scrape().await;
    let _ = &after_text;
    let after = counters(&after_text);

    let expected: BTreeMap<&str, f64> = [
        (r#"bot_api_bookings_total{outcome="success"}"#, 2.0),
        (r#"bot_api_bookings_total{outcome="failure"}"#, 2.0),
        (r#"bot_api_booking_failures_total{reason="taken"}"#, 1.0),
        (r#"bot_api_booking_failures_total{reason="in_past"}"#, 1.0),
        (r#"bot_api_booking_cancellations_total{by="client"}"#, 1.0),
        (r#"bot_api_rbac_denials_total{command="agenda"}"#, 1.0),
        (
            r#"bot_api_schedule_writes_total{action="master_added",outcome="success"}"#,
            1.0,
        ),
        (
            r#"bot_api_schedule_writes_total{action="hours_set",outcome="success"}"#,
            1.0,
        ),
        (
            r#"bot_api_telegram_updates_total{outcome="processed"}"#,
            PROCESSED as f64,
        ),
        (
            r#"bot_api_telegram_updates_total{outcome="duplicate"}"#,
            1.0,
        ),
        (r#"bot_api_telegram_updates_total{outcome="rejected"}"#, 1.0),
        (
            r#"bot_api_http_requests_total{method="POST",route="webhook",status="200"}"#,
            WEBHOOK_200 as f64,
        ),
        (
            r#"bot_api_http_requests_total{method="POST",route="webhook",status="401"}"#,
            1.0,
        ),
        // The first scrape is counted once it has answered.
        (
            r#"bot_api_http_requests_total{method="GET",route="metrics",status="200"}"#,
            1.0,
        ),
    ]
    .into_iter()
    .collect();

    let mut moved = BTreeMap::new();
    for (k, v) in &after {
        let delta = v - before.get(k).copied().unwrap_or(0.0);
        if delta != 0.0 {
            moved.insert(k.as_str(), delta);
        }
    }
    assert_eq!(moved, expected, "moved (left) vs expected (right)");
    assert!(after_text.contains("bot_api_healthy 1"));
    app.stop().await;
}

#[tokio::test]
async fn promtool_finds_nothing_in_a_real_scrape() {
    let (app, db) = spawn_app(AppOptions::default()).await;
    let d = Driver {
        http: app.http.clone(),
        base: app.url(""),
        pool: &db.pool,
    };
    scenario::run(&d).await;
    let _ = app.get("/nope").await;
    let r = app.get("/metrics").await;
    let body = r.bytes().await.unwrap();
    let (passed, findings) = check_metrics(&body);
    assert!(passed, "promtool failed: {findings}");
    assert!(findings.trim().is_empty(), "promtool findings:\n{findings}");
    app.stop().await;
}

#[tokio::test]
async fn observability_off_serves_the_same_answers_without_request_metrics() {
    let (app, _db) = spawn_app(AppOptions {
        observability: false,
        ..AppOptions::default()
    })
    .await;
    assert_eq!(app.webhook(&text(uid(), 8, "/start")).await.status(), 200);
    assert_eq!(app.get("/nope").await.status(), 404);
    let m = app.scrape().await;
    let http: f64 = samples(&m)
        .filter(|(series, _)| series.starts_with("bot_api_http_requests_total{"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(http, 0.0);
    assert_eq!(
        sample(&m, r#"bot_api_telegram_updates_total{outcome="processed"}"#),
        0.0
    );
    app.stop().await;
}
