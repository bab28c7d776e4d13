//! Redaction: the one function every log line passes through before it is written.
//!
//! Rules (docs/logging.md, "Redaction"):
//! - a field whose key contains `token`, `secret`, `password`, `authorization`, `api_key` or
//!   `database_url` (any case) is replaced by [`MASK`], whatever its value;
//! - inside any string: the literal values registered as secrets (the bot token, passwords),
//!   Telegram-token-shaped strings (`123456:AA…`), and the `password` of `user:password@` in
//!   URLs are replaced by [`MASK`].
//!
//! Pure functions with no I/O, so every rule is unit- and property-tested.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// What a secret is replaced with.
pub const MASK: &str = "[REDACTED]";

const SECRET_KEY_PARTS: &[&str] = &[
    "token",
    "secret",
    "password",
    "authorization",
    "api_key",
    "database_url",
];

/// A Telegram bot token: a numeric bot id, a colon, and a 30+ character base64url tail.
static TOKEN_SHAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{5,16}:[A-Za-z0-9_-]{30,}").expect("static regex"));

/// `scheme://user:password@` — the password part of URL credentials.
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<pre>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@\s]*@").expect("static regex")
});

/// Whether a field with this key must be masked whatever its value.
pub fn is_secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    SECRET_KEY_PARTS.iter().any(|part| lower.contains(part))
}

/// Masks secrets inside free text. Holds the literal secret values known to the process.
#[derive(Clone, Default)]
pub struct Redactor {
    literals: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("literals", &self.literals.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor that also masks each of `literals` (empty or very short values are ignored:
    /// masking every "a" would make logs unreadable and protects nothing).
    pub fn new<I, S>(literals: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut literals: Vec<String> = literals
            .into_iter()
            .map(Into::into)
            .filter(|s| s.len() >= 4)
            .collect();
        // Longest first, so a secret containing another is masked whole.
        literals.sort_by_key(|s| std::cmp::Reverse(s.len()));
        literals.dedup();
        Self { literals }
    }

    /// Masks every secret inside `text`; borrows when there is nothing to mask.
    pub fn redact_str<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for lit in &self.literals {
            if out.contains(lit.as_str()) {
                out = Cow::Owned(out.replace(lit.as_str(), MASK));
            }
        }
        if TOKEN_SHAPE.is_match(&out) {
            out = Cow::Owned(TOKEN_SHAPE.replace_all(&out, MASK).into_owned());
        }
        if URL_CREDENTIALS.is_match(&out) {
            let replaced = URL_CREDENTIALS.replace_all(&out, |c: &regex::Captures<'_>| {
                format!("{}{MASK}@", &c["pre"])
            });
            out = Cow::Owned(replaced.into_owned());
        }
        out
    }

    /// Redacts a JSON value in place: secret-named keys at any depth, secrets inside strings.
    pub fn redact_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Cow::Owned(new) = self.redact_str(s) {
                    *s = new;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_value(v)),
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if is_secret_key(key) {
                        *v = Value::String(MASK.to_owned());
                    } else {
                        self.redact_value(v);
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;
