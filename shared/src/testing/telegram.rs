//! The local Telegram Bot API stand-in, for both crates' tests: a small warp server on
//! 127.0.0.1:0 that records every call (method, JSON body, time, whether the URL held the
//! expected token) and answers as scripted — 200, 429 with `retry_after`, any status, or
//! slowly — so senders' handling of Telegram's answers is tested without Telegram.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warp::Filter;

use super::eventually;

/// How the stand-in answers one call.
#[derive(Debug, Clone)]
pub enum Answer {
    /// 200 ok.
    Ok,
    /// 429 with `parameters.retry_after`.
    TooMany(u64),
    /// That status (5xx or 4xx) with a description.
    Status(u16),
    /// 200 ok after this delay.
    Slow(Duration),
}

/// One call the stand-in received.
#[derive(Debug, Clone)]
pub struct Call {
    /// Bot API method.
    pub method: String,
    /// JSON body.
    pub payload: Value,
    /// When it arrived.
    pub at: Instant,
    /// Whether the URL held the token the stand-in was started with.
    pub token_ok: bool,
}

#[derive(Default)]
struct StandInState {
    calls: Vec<Call>,
    script: VecDeque<Answer>,
    updates: Vec<Value>,
}

/// The local Bot API stand-in.
#[derive(Clone)]
pub struct StandIn {
    /// Its base URL (`TELEGRAM_API_BASE`): requests go to `{base}/bot{token}/{method}`.
    pub base: String,
    state: Arc<Mutex<StandInState>>,
}

impl StandIn {
    /// Starts a stand-in on 127.0.0.1:0 that expects `token` in the URL (see [`Call::token_ok`]).
    pub async fn start(token: &str) -> Self {
        let state = Arc::new(Mutex::new(StandInState::default()));
        let expected = Arc::new(format!("bot{token}"));
        let s = state.clone();
        let route = warp::post()
            .and(warp::path!(String / String))
            .and(warp::body::json())
            .then(move |bot: String, method: String, payload: Value| {
                let s = s.clone();
                let token_ok = bot == *expected;
                async move { answer(&s, token_ok, &method, payload).await }
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the stand-in to a free port");
        let addr = listener.local_addr().expect("the stand-in's address");
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Self {
            base: format!("http://{addr}"),
            state,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, StandInState> {
        // A test that panicked while holding the lock has failed already; its data is still
        // what the other assertions should see.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues answers for the next calls other than `getUpdates` (then plain 200s).
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state().script.extend(answers);
    }

    /// Makes `update` available to `getUpdates`.
    pub fn push_update(&self, update: Value) {
        self.state().updates.push(update);
    }

    /// Every call received so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// Calls of `method`.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// Waits until `pred` holds for the calls, or panics after `timeout`.
    pub async fn wait_for(&self, timeout: Duration, what: &str, pred: impl Fn(&[Call]) -> bool) {
        let held = eventually(|| async { pred(&self.calls()) }, timeout).await;
        let methods: Vec<String> = self.calls().into_iter().map(|c| c.method).collect();
        assert!(held, "timed out waiting for {what}; calls: {methods:?}");
    }
}

async fn answer(
    state: &Mutex<StandInState>,
    token_ok: bool,
    method: &str,
    payload: Value,
) -> warp::reply::WithStatus<warp::reply::Json> {
    let reply = |status: u16, body: Value| {
        warp::reply::with_status(
            warp::reply::json(&body),
            warp::http::StatusCode::from_u16(status)
                .unwrap_or(warp::http::StatusCode::INTERNAL_SERVER_ERROR),
        )
    };
    let next = {
        let mut s = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.calls.push(Call {
            method: method.to_owned(),
            payload: payload.clone(),
            at: Instant::now(),
            token_ok,
        });
        if method == "getUpdates" {
            let offset = payload["offset"].as_i64().unwrap_or(0);
            let due: Vec<Value> = s
                .updates
                .iter()
                .filter(|u| u["update_id"].as_i64().unwrap_or(0) >= offset)
                .cloned()
                .collect();
            if !due.is_empty() {
                return reply(200, json!({"ok": true, "result": due}));
            }
            None
        } else {
            Some(s.script.pop_front().unwrap_or(Answer::Ok))
        }
    };
    match next {
        // An empty long poll: hold briefly, then answer nothing.
        None => {
            tokio::time::sleep(Duration::from_millis(100)).await;
            reply(200, json!({"ok": true, "result": []}))
        }
        Some(Answer::Ok) => reply(200, json!({"ok": true, "result": {"message_id": 1}})),
        Some(Answer::Slow(d)) => {
            tokio::time::sleep(d).await;
            reply(200, json!({"ok": true, "result": {"message_id": 1}}))
        }
        Some(Answer::TooMany(s)) => reply(
            429,
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry later",
                   "parameters": {"retry_after": s}}),
        ),
        Some(Answer::Status(code)) => reply(
            code,
            json!({"ok": false, "error_code": code, "description": format!("Stand-in says {code}")}),
        ),
    }
}
