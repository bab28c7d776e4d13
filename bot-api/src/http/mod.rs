//! The HTTP edge: `POST /telegram/webhook`, `GET /health`, `GET /ready`, `GET /metrics`.
//!
//! [`filters`] says which request reaches which handler (and wraps the whole set in one
//! timing wrapper and one `.recover()`); [`handlers`] does the work; [`models`] holds the
//! JSON shapes and the one error type every refusal is rendered from. State reaches handlers
//! through [`filters::with_state`].

pub mod filters;
pub mod handlers;
pub mod models;

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use shared::telemetry::DroppedLines;
use subtle::ConstantTimeEq;
use tokio::sync::Notify;

use crate::events::service::RejectReason;
use crate::updates::BotContext;

pub use filters::routes;

/// Largest webhook body accepted (Telegram's updates are far smaller).
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// Who may POST to the webhook.
///
/// - [`WebhookAuth::Secret`]: `TELEGRAM_WEBHOOK_SECRET` is set; the header must match it.
/// - [`WebhookAuth::Open`]: offline (no bot token) and no secret: local trials and tests
///   post updates without a header. Nothing can be sent to Telegram in this mode anyway.
/// - [`WebhookAuth::Closed`]: a bot token but no secret (only possible in polling mode,
///   since webhook mode refuses to start that way): every webhook request is refused, as
///   anyone could otherwise inject updates in the bot's name.
#[derive(Clone)]
pub enum WebhookAuth {
    /// Requests must carry this secret.
    Secret(SecretString),
    /// No check (offline only).
    Open,
    /// Every request is refused.
    Closed,
}

impl std::fmt::Debug for WebhookAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Secret(_) => "Secret([REDACTED])",
            Self::Open => "Open",
            Self::Closed => "Closed",
        })
    }
}

impl WebhookAuth {
    /// Checks the `X-Telegram-Bot-Api-Secret-Token` header in constant time.
    pub fn check(&self, header: Option<&[u8]>) -> Result<(), RejectReason> {
        match (self, header) {
            (Self::Open, _) => Ok(()),
            (Self::Closed, None) | (Self::Secret(_), None) => Err(RejectReason::SecretMissing),
            (Self::Closed, Some(_)) => Err(RejectReason::SecretMismatch),
            (Self::Secret(s), Some(h)) => {
                if bool::from(s.expose_secret().as_bytes().ct_eq(h)) {
                    Ok(())
                } else {
                    Err(RejectReason::SecretMismatch)
                }
            }
        }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The update handler's context (pool, rules, admins, metrics).
    pub ctx: BotContext,
    /// Webhook authentication.
    pub webhook_auth: WebhookAuth,
    /// False with `--observability-off`: no request metrics.
    pub observability: bool,
    /// Lines the log writer dropped (exported at scrape).
    pub dropped_lines: DroppedLines,
    /// Woken after an update enqueued replies, so the sender does not wait for its poll.
    pub wake_sender: Arc<Notify>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_must_match_exactly() {
        let auth = WebhookAuth::Secret(SecretString::from("s3cret-value"));
        assert_eq!(auth.check(Some(&b"s3cret-value"[..])), Ok(()));
        assert_eq!(
            auth.check(Some(&b"s3cret-valuE"[..])),
            Err(RejectReason::SecretMismatch)
        );
        assert_eq!(
            auth.check(Some(&b"s3cret-value "[..])),
            Err(RejectReason::SecretMismatch)
        );
        assert_eq!(
            auth.check(Some(&b""[..])),
            Err(RejectReason::SecretMismatch)
        );
        assert_eq!(auth.check(None), Err(RejectReason::SecretMissing));
    }

    #[test]
    fn open_accepts_anything_and_closed_nothing() {
        assert_eq!(WebhookAuth::Open.check(None), Ok(()));
        assert_eq!(WebhookAuth::Open.check(Some(&b"x"[..])), Ok(()));
        assert_eq!(
            WebhookAuth::Closed.check(None),
            Err(RejectReason::SecretMissing)
        );
        assert_eq!(
            WebhookAuth::Closed.check(Some(&b"x"[..])),
            Err(RejectReason::SecretMismatch)
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let auth = WebhookAuth::Secret(SecretString::from("s3cret-value"));
        assert!(!format!("{auth:?}").contains("s3cret"));
    }
}
