//! The JSON shapes of the HTTP edge and [`ApiError`], the one error every refusal becomes.
//! Every non-2xx answer has the same body: `{"error": "<code>", "message": "<sentence>"}`.

use serde::Serialize;
use warp::Reply as _;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::events::service::RejectReason;

/// The body of every error answer.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// Machine-readable code, e.g. `unauthorized`.
    pub error: &'a str,
    /// A sentence for people.
    pub message: &'a str,
}

/// The body of a successful webhook answer.
#[derive(Debug, Serialize)]
pub struct WebhookAck {
    /// Always true (Telegram ignores the body; tests read `outcome`).
    pub ok: bool,
    /// `processed`, `duplicate`, `ignored`, `throttled` or `dead_lettered`.
    pub outcome: &'static str,
}

/// The body of `/health` and `/ready`.
#[derive(Debug, Serialize)]
pub struct Status {
    /// `ok`, `ready` or `unavailable`.
    pub status: &'static str,
}

/// Every refusal of the HTTP edge.
#[derive(Debug)]
pub enum ApiError {
    /// A webhook request refused for `RejectReason`.
    Webhook(RejectReason),
}

impl warp::reject::Reject for ApiError {}

impl ApiError {
    /// Status, code and message of this error.
    pub fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Webhook(RejectReason::SecretMissing) => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "The X-Telegram-Bot-Api-Secret-Token header is missing.",
            ),
            Self::Webhook(RejectReason::SecretMismatch) => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "The X-Telegram-Bot-Api-Secret-Token header does not match.",
            ),
            Self::Webhook(RejectReason::BadBody) => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                "The body is not a Telegram update.",
            ),
            Self::Webhook(RejectReason::TooLarge) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The body exceeds the 1 MiB limit.",
            ),
            Self::Webhook(RejectReason::DatabaseUnavailable) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The database is unavailable; retry later.",
            ),
        }
    }
}

/// Renders the common error shape.
pub fn error_response(status: StatusCode, error: &str, message: &str) -> Response {
    let body = ErrorBody { error, message };
    warp::reply::with_status(warp::reply::json(&body), status).into_response()
}
