//! The `[[receivers]]` tables of the daemon's configuration: webhook, alertmanager and telegram
//! receivers, their secrets (wrapped at once, or read from a named environment variable; an
//! empty variable is unset, a placeholder value refused) and their delivery settings.

use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use shared::config::{ENV_EXAMPLE, EnvLookup, Secret, env_setting, refuse_placeholder};

use super::values::{ConfigError, invalid, seconds};
use crate::notify::{Receiver, ReceiverKind};

/// No `Debug`: it holds secrets as plain strings until they are wrapped.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReceiver {
    name: Option<String>,
    kind: String,
    url: Option<String>,
    bearer_token: Option<String>,
    bearer_token_env: Option<String>,
    api_base: Option<String>,
    bot_token: Option<String>,
    bot_token_env: Option<String>,
    chat_id: Option<String>,
    timeout_seconds: Option<f64>,
    max_attempts: Option<u32>,
    backoff_seconds: Option<f64>,
    repeat_interval_seconds: Option<f64>,
}

pub(super) fn http_url(key: &str, v: Option<String>) -> Result<String, ConfigError> {
    let v = v.ok_or_else(|| invalid(key, "is required for this receiver kind"))?;
    match reqwest::Url::parse(&v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(v),
        _ => Err(invalid(key, "is not an http(s) URL")),
    }
}

/// Where a literal placeholder in the TOML file comes from, for the message.
const EXAMPLE_CONFIG: &str = "the example configuration";

/// A receiver secret, given literally or through `{key}_env`. An empty variable counts as unset,
/// as for every setting; a value still holding the example's placeholder is refused.
fn secret(
    key: &str,
    literal: Option<String>,
    var: Option<String>,
    env: EnvLookup<'_>,
) -> Result<Option<SecretString>, ConfigError> {
    let value = match (literal, var) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                key,
                format!("set either `{key}` or `{key}_env`, not both"),
            ));
        }
        (Some(v), None) => {
            refuse_placeholder(key, Secret::Whole(&v), EXAMPLE_CONFIG)
                .map_err(|e| invalid(key, e.reason()))?;
            v
        }
        (None, Some(var)) => {
            let key_env = format!("{key}_env");
            let v = env_setting(env, &var).ok_or_else(|| {
                invalid(
                    &key_env,
                    format!("environment variable {var} is not set (or is empty)"),
                )
            })?;
            refuse_placeholder(
                &format!("environment variable {var}"),
                Secret::Whole(&v),
                ENV_EXAMPLE,
            )
            .map_err(|e| invalid(&key_env, e.to_string()))?;
            v
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(SecretString::from(value)))
}

pub(super) fn receiver(
    i: usize,
    raw: RawReceiver,
    default_repeat: Duration,
    env: EnvLookup<'_>,
) -> Result<Receiver, ConfigError> {
    let k = |f: &str| format!("receivers[{i}].{f}");
    let kind = match raw.kind.as_str() {
        "webhook" => ReceiverKind::Webhook {
            url: http_url(&k("url"), raw.url)?,
            bearer_token: secret(
                &k("bearer_token"),
                raw.bearer_token,
                raw.bearer_token_env,
                env,
            )?,
        },
        "alertmanager" => ReceiverKind::Alertmanager {
            url: http_url(&k("url"), raw.url)?,
        },
        "telegram" => ReceiverKind::Telegram {
            api_base: http_url(
                &k("api_base"),
                Some(
                    raw.api_base
                        .unwrap_or_else(|| "https://api.telegram.org".into()),
                ),
            )?,
            bot_token: secret(&k("bot_token"), raw.bot_token, raw.bot_token_env, env)?
                .ok_or_else(|| invalid(k("bot_token"), "is required for a telegram receiver"))?,
            chat_id: raw
                .chat_id
                .ok_or_else(|| invalid(k("chat_id"), "is required for a telegram receiver"))?,
        },
        other => {
            return Err(invalid(
                k("kind"),
                format!("{other:?} is not one of webhook, alertmanager, telegram"),
            ));
        }
    };
    // Alertmanager forgets an alert after its resolve_timeout (5 min default) unless resent.
    let repeat_default = match kind {
        ReceiverKind::Alertmanager { .. } => Duration::from_secs(60),
        _ => default_repeat,
    };
    let max_attempts = raw.max_attempts.unwrap_or(3);
    if max_attempts == 0 {
        return Err(invalid(k("max_attempts"), "must be at least 1"));
    }
    Ok(Receiver {
        name: raw.name.unwrap_or_else(|| format!("{}-{i}", kind.as_str())),
        timeout: seconds(
            &k("timeout_seconds"),
            raw.timeout_seconds,
            Duration::from_secs(10),
            false,
        )?,
        max_attempts,
        backoff: seconds(
            &k("backoff_seconds"),
            raw.backoff_seconds,
            Duration::from_secs(1),
            true,
        )?,
        repeat_interval: seconds(
            &k("repeat_interval_seconds"),
            raw.repeat_interval_seconds,
            repeat_default,
            false,
        )?,
        kind,
    })
}
