//! Secrets still holding the example files' placeholder are refused at start.
//!
//! `compose/.env.example` ships `change-me` where a password belongs. A stack started from an
//! unedited copy would run with a password anyone can read in the repository, so a secret
//! setting whose value starts with [`PLACEHOLDER`] stops the binary with a message naming the
//! setting. The message never repeats the value beyond the placeholder it starts with.

use std::fmt;

use super::url_password;

/// What the example files put where a secret belongs.
pub const PLACEHOLDER: &str = "change-me";

/// Where an environment setting's placeholder comes from, for the message.
pub const ENV_EXAMPLE: &str = "compose/.env.example";

/// Which part of a setting's value is the secret.
#[derive(Debug, Clone, Copy)]
pub enum Secret<'a> {
    /// The whole value is the secret (a token).
    Whole(&'a str),
    /// The password inside a `scheme://user:password@host/…` URL.
    UrlPassword(&'a str),
}

/// A secret setting whose value is still the placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceholderSecret {
    setting: String,
    in_url: bool,
    origin: &'static str,
}

impl PlaceholderSecret {
    /// The setting it names (variable or config key).
    pub fn setting(&self) -> &str {
        &self.setting
    }

    /// The message without the setting's name, for errors that name the setting themselves.
    pub fn reason(&self) -> String {
        let what = if self.in_url {
            "the password is"
        } else {
            "the value is"
        };
        format!(
            "{what} still the placeholder \"{PLACEHOLDER}…\" from {}; set a real one",
            self.origin
        )
    }
}

impl fmt::Display for PlaceholderSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.reason())
    }
}

impl std::error::Error for PlaceholderSecret {}

/// Refuses `secret` when it starts with [`PLACEHOLDER`]; `setting` names it in the message and
/// `origin` says which example file the placeholder comes from (e.g. [`ENV_EXAMPLE`]). A URL
/// without a password passes: requiring one is not this check's business.
pub fn refuse_placeholder(
    setting: &str,
    secret: Secret<'_>,
    origin: &'static str,
) -> Result<(), PlaceholderSecret> {
    let (value, in_url) = match secret {
        Secret::Whole(v) => (Some(v.to_owned()), false),
        Secret::UrlPassword(url) => (url_password(url), true),
    };
    match value {
        Some(v) if v.starts_with(PLACEHOLDER) => Err(PlaceholderSecret {
            setting: setting.to_owned(),
            in_url,
            origin,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(setting: &str, secret: Secret<'_>) -> String {
        refuse_placeholder(setting, secret, ENV_EXAMPLE)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_url_password_starting_with_the_placeholder_is_refused_by_name() {
        let msg = refused(
            "DATABASE_URL",
            Secret::UrlPassword("postgres://app:change-me@postgres:5432/booking"),
        );
        assert_eq!(
            msg,
            "DATABASE_URL: the password is still the placeholder \"change-me…\" from \
             compose/.env.example; set a real one"
        );
        // Percent-encoded, and with a suffix someone added to the placeholder.
        assert!(
            refuse_placeholder(
                "DATABASE_URL",
                Secret::UrlPassword("postgres://u:change%2Dme-too-secretish@h/db"),
                ENV_EXAMPLE,
            )
            .is_err()
        );
    }

    #[test]
    fn a_token_starting_with_the_placeholder_is_refused_without_its_rest() {
        let msg = refused(
            "TELEGRAM_WEBHOOK_SECRET",
            Secret::Whole("change-me-too-Xq93"),
        );
        assert!(
            msg.starts_with("TELEGRAM_WEBHOOK_SECRET: the value is"),
            "{msg}"
        );
        assert!(!msg.contains("Xq93") && !msg.contains('\n'), "{msg}");
    }

    #[test]
    fn real_secrets_and_urls_without_a_password_pass() {
        for secret in [
            Secret::Whole("0123456789abcdef"),
            Secret::Whole("my-change-me"),
            Secret::Whole(""),
            Secret::UrlPassword("postgres://u:3f9a@h/db"),
            Secret::UrlPassword("postgres://change-me@h/db"),
            Secret::UrlPassword("not a url"),
        ] {
            assert!(
                refuse_placeholder("X", secret, ENV_EXAMPLE).is_ok(),
                "{secret:?}"
            );
        }
    }

    #[test]
    fn the_reason_leaves_the_naming_to_the_caller() {
        let e = refuse_placeholder("k", Secret::Whole("change-me"), "the example configuration")
            .unwrap_err();
        assert_eq!(e.setting(), "k");
        assert_eq!(
            e.reason(),
            "the value is still the placeholder \"change-me…\" from the example configuration; \
             set a real one"
        );
    }
}
