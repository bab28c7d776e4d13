//! The Bot API client: `POST {base}/bot{token}/{method}` with a JSON body, answers decoded
//! into what the callers act on (ok, retry after N seconds, retry later, give up).
//!
//! The request URL holds the token, and reqwest errors quote their URL: every transport error
//! is stripped with [`reqwest::Error::without_url`] here, before it can reach a log line.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

/// Why a Bot API call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 429: Telegram asks to wait this many seconds.
    #[error("rate limited by Telegram: retry after {retry_after_s} s")]
    RetryAfter {
        /// `parameters.retry_after` of the answer.
        retry_after_s: u64,
    },
    /// 5xx, a timeout or a connection failure: worth retrying later.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// 4xx other than 429 (400 bad request, 403 blocked by the user…): retrying cannot help.
    #[error("refused by Telegram ({status}): {description}")]
    Permanent {
        /// HTTP status code.
        status: u16,
        /// Telegram's `description`.
        description: String,
    },
}

/// A Bot API answer envelope.
#[derive(Debug, Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<ResponseParameters>,
}

#[derive(Debug, Deserialize)]
struct ResponseParameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

/// A Bot API client for one bot. Cheap to clone.
#[derive(Clone)]
pub struct BotApi {
    http: reqwest::Client,
    base: String,
    token: SecretString,
}

impl std::fmt::Debug for BotApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotApi")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl BotApi {
    /// A client for `base` (e.g. `https://api.telegram.org`). `timeout` bounds each request;
    /// long polls add their own poll timeout on top.
    pub fn new(base: &str, token: SecretString, timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(timeout)
            .build()
            .map_err(|e| anyhow::anyhow!("building the HTTP client: {}", e.without_url()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token,
        })
    }

    /// Calls `method` with `payload`; `extra_timeout` lengthens this request's deadline
    /// (used by `getUpdates`, which holds the connection open for its poll timeout).
    pub async fn call(
        &self,
        method: &str,
        payload: &Value,
        extra_timeout: Option<Duration>,
    ) -> Result<Value, ApiError> {
        let url = format!("{}/bot{}/{method}", self.base, self.token.expose_secret());
        let mut req = self.http.post(url).json(payload);
        if let Some(extra) = extra_timeout {
            req = req.timeout(Duration::from_secs(10) + extra);
        }
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(transport)?;
        classify(status, &body)
    }
}

fn transport(e: reqwest::Error) -> ApiError {
    let e = e.without_url();
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    ApiError::Temporary(format!("{kind}: {e}"))
}

/// Maps an HTTP status and body to the caller's decision. Pure, so every case is tested.
pub fn classify(status: u16, body: &[u8]) -> Result<Value, ApiError> {
    let env: Option<Envelope> = serde_json::from_slice(body).ok();
    let description = env
        .as_ref()
        .and_then(|e| e.description.clone())
        .unwrap_or_else(|| format!("HTTP {status}"));
    match (status, env) {
        (200..=299, Some(env)) if env.ok => Ok(env.result.unwrap_or(Value::Null)),
        (200..=299, _) => Err(ApiError::Temporary(format!(
            "unexpected answer (HTTP {status}): {description}"
        ))),
        (429, env) => {
            let retry_after_s = env
                .and_then(|e| e.parameters)
                .and_then(|p| p.retry_after)
                .unwrap_or(1);
            Err(ApiError::RetryAfter { retry_after_s })
        }
        (500..=599, _) => Err(ApiError::Temporary(format!("HTTP {status}: {description}"))),
        (_, _) => Err(ApiError::Permanent {
            status,
            description,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ok_answer_yields_its_result() {
        let v = classify(200, br#"{"ok":true,"result":{"message_id":5}}"#).unwrap();
        assert_eq!(v["message_id"], 5);
    }

    #[test]
    fn a_429_yields_retry_after() {
        let e = classify(
            429,
            br#"{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":7}}"#,
        )
        .unwrap_err();
        assert!(matches!(e, ApiError::RetryAfter { retry_after_s: 7 }));
        let e = classify(429, b"garbage").unwrap_err();
        assert!(matches!(e, ApiError::RetryAfter { retry_after_s: 1 }));
    }

    #[test]
    fn server_errors_are_temporary_and_client_errors_permanent() {
        assert!(matches!(
            classify(502, b"bad gateway").unwrap_err(),
            ApiError::Temporary(_)
        ));
        match classify(
            403,
            br#"{"ok":false,"description":"Forbidden: bot was blocked by the user"}"#,
        )
        .unwrap_err()
        {
            ApiError::Permanent {
                status,
                description,
            } => {
                assert_eq!(status, 403);
                assert!(description.contains("blocked"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(200, br#"{"ok":false}"#).unwrap_err(),
            ApiError::Temporary(_)
        ));
    }
}
