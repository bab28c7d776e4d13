//! The JSON log envelope as a `tracing_subscriber` [`FormatEvent`].
//!
//! tracing-subscriber's own JSON formatter can neither rename keys nor redact, so this one
//! writes `ts` (RFC 3339, UTC, milliseconds, `Z`), `level`, `service`, `event`, `message`,
//! `target`, then the event's own fields, and passes the whole object through
//! [`Redactor::redact_value`] before a byte is written.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::redact::Redactor;

/// Event name used when a call site gives no `event` field.
pub const DEFAULT_EVENT: &str = "log";

/// Formats each event as one redacted JSON object per line, or (for `LOG_FORMAT=pretty`) as
/// a human-readable line built from the same redacted envelope: both formats mask alike.
#[derive(Debug, Clone)]
pub struct JsonEnvelope {
    service: &'static str,
    redactor: Redactor,
    pretty: bool,
}

impl JsonEnvelope {
    /// A formatter stamping every line with `service` and masking `redactor`'s secrets.
    pub fn new(service: &'static str, redactor: Redactor) -> Self {
        Self {
            service,
            redactor,
            pretty: false,
        }
    }

    /// The same envelope, written as `ts LEVEL message key=value…` for a terminal.
    pub fn pretty(service: &'static str, redactor: Redactor) -> Self {
        Self {
            pretty: true,
            ..Self::new(service, redactor)
        }
    }

    /// One line of the pretty format from a (redacted) envelope.
    pub fn pretty_line(envelope: &Value) -> String {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let field = |k: &str| envelope.get(k).map(text).unwrap_or_default();
        let mut line = format!(
            "{} {:>5} {}",
            field("ts"),
            field("level").to_ascii_uppercase(),
            field("message")
        );
        if let Value::Object(map) = envelope {
            for (k, v) in map {
                if !matches!(
                    k.as_str(),
                    "ts" | "level" | "message" | "service" | "target"
                ) {
                    line.push_str(&format!(" {k}={}", text(v)));
                }
            }
        }
        line
    }

    /// Builds the redacted envelope of one event; separate from I/O so it can be tested.
    pub fn envelope(
        &self,
        level: &tracing::Level,
        target: &str,
        fields: Map<String, Value>,
    ) -> Value {
        let mut fields = fields;
        let message = fields
            .remove("message")
            .unwrap_or(Value::String(String::new()));
        let event = match fields.remove("event") {
            Some(Value::String(s)) if !s.is_empty() => Value::String(s),
            _ => Value::String(DEFAULT_EVENT.to_owned()),
        };
        let mut obj = Map::with_capacity(fields.len() + 6);
        obj.insert(
            "ts".into(),
            Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        obj.insert(
            "level".into(),
            Value::String(level.as_str().to_ascii_lowercase()),
        );
        obj.insert("service".into(), Value::String(self.service.to_owned()));
        obj.insert("event".into(), event);
        obj.insert("message".into(), message);
        obj.insert("target".into(), Value::String(target.to_owned()));
        for (k, v) in fields {
            // The envelope's keys are reserved: an event field cannot overwrite them.
            obj.entry(k).or_insert(v);
        }
        let mut value = Value::Object(obj);
        self.redactor.redact_value(&mut value);
        value
    }
}

impl<S, N> FormatEvent<S, N> for JsonEnvelope
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut visitor = FieldCollector(Map::new());
        event.record(&mut visitor);
        let meta = event.metadata();
        let value = self.envelope(meta.level(), meta.target(), visitor.0);
        if self.pretty {
            writeln!(writer, "{}", Self::pretty_line(&value))
        } else {
            writeln!(writer, "{value}")
        }
    }
}

/// Collects an event's fields as JSON values, keeping numbers and booleans typed.
struct FieldCollector(Map<String, Value>);

impl Visit for FieldCollector {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_owned(), Value::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // The whole chain, so a log line says why, not just "error".
        self.0.insert(
            field.name().to_owned(),
            Value::String(crate::error::error_chain(value)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_the_contract_keys_and_masks_secrets() {
        let f = JsonEnvelope::new("bot-api", Redactor::new(["my-bot-token-value"]));
        let mut fields = Map::new();
        fields.insert("message".into(), "sent with my-bot-token-value".into());
        fields.insert("event".into(), "booking_created".into());
        fields.insert("booking_id".into(), 7.into());
        fields.insert("webhook_secret".into(), "abc".into());
        fields.insert("ts".into(), "forged".into());
        let v = f.envelope(&tracing::Level::INFO, "bot_api::booking", fields);
        assert_eq!(v["level"], "info");
        assert_eq!(v["service"], "bot-api");
        assert_eq!(v["event"], "booking_created");
        assert_eq!(v["booking_id"], 7);
        assert_eq!(v["webhook_secret"], super::super::redact::MASK);
        assert!(!v.to_string().contains("my-bot-token-value"));
        let ts = v["ts"].as_str().unwrap();
        assert!(ts.ends_with('Z') && ts.len() == 24, "{ts}");
        assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok());
    }

    #[test]
    fn the_pretty_line_is_built_from_the_redacted_envelope() {
        let f = JsonEnvelope::pretty("ops-agent", Redactor::new(["hunter2-secret"]));
        let mut fields = Map::new();
        fields.insert("message".into(), "connecting with hunter2-secret".into());
        fields.insert("event".into(), "backup_failed".into());
        fields.insert("bearer_token".into(), "abc".into());
        fields.insert("url".into(), "postgres://u:pw@h/db".into());
        fields.insert("size_bytes".into(), 12.into());
        let line = JsonEnvelope::pretty_line(&f.envelope(&tracing::Level::WARN, "x", fields));
        assert!(line.contains(" WARN connecting with "), "{line}");
        assert!(line.contains("event=backup_failed") && line.contains("size_bytes=12"));
        for secret in ["hunter2-secret", "=abc", ":pw@"] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
    }

    #[test]
    fn an_event_without_a_name_gets_the_default() {
        let f = JsonEnvelope::new("ops-agent", Redactor::default());
        let v = f.envelope(&tracing::Level::WARN, "x", Map::new());
        assert_eq!(v["event"], DEFAULT_EVENT);
        assert_eq!(v["message"], "");
    }
}
