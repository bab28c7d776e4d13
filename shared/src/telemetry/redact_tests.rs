//! Every redaction rule of docs/logging.md, plus a property test over random JSON.

use super::*;
use proptest::prelude::*;
use serde_json::json;

const BOT_TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

#[test]
fn every_secret_key_part_is_masked_in_any_case() {
    let r = Redactor::default();
    for key in [
        "token",
        "bot_token",
        "TELEGRAM_BOT_TOKEN",
        "webhook_secret",
        "Secret",
        "password",
        "db_PASSWORD",
        "authorization",
        "Authorization",
        "x_api_key",
        "API_KEY",
        "database_url",
        "DATABASE_URL",
    ] {
        let mut v = json!({ key: "visible-value", "other": 1 });
        r.redact_value(&mut v);
        assert_eq!(v[key], MASK, "key {key}");
        assert_eq!(v["other"], 1);
    }
}

#[test]
fn secret_keys_are_masked_at_any_depth_and_whatever_the_value_type() {
    let r = Redactor::default();
    let mut v = json!({"a": {"b": [{"api_key": 42}, {"token": {"nested": "x"}}]}});
    r.redact_value(&mut v);
    assert_eq!(v["a"]["b"][0]["api_key"], MASK);
    assert_eq!(v["a"]["b"][1]["token"], MASK);
}

#[test]
fn the_configured_bot_token_is_masked_inside_any_string() {
    let r = Redactor::new(["s3cr3t-literal-value"]);
    let out = r.redact_str("request to https://x/bots3cr3t-literal-value/getMe failed");
    assert!(!out.contains("s3cr3t-literal-value"));
    assert!(out.contains(MASK));
}

#[test]
fn telegram_token_shaped_strings_are_masked_without_being_configured() {
    let r = Redactor::default();
    let text = format!("POST https://api.telegram.org/bot{BOT_TOKEN}/sendMessage");
    let out = r.redact_str(&text);
    assert!(!out.contains(BOT_TOKEN), "{out}");
    assert!(!out.contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
}

#[test]
fn url_passwords_are_masked_but_user_and_host_stay() {
    let r = Redactor::default();
    let out = r.redact_str("connect postgres://booking:hunter2pass@db:5432/app failed");
    assert_eq!(
        out,
        format!("connect postgres://booking:{MASK}@db:5432/app failed")
    );
    let out = r.redact_str("http://:pw@h/ and https://u:p%40ss@h2");
    assert!(!out.contains("pw@"));
    assert!(!out.contains("p%40ss"));
}

#[test]
fn text_without_secrets_is_borrowed_unchanged() {
    let r = Redactor::new(["abcdef"]);
    assert!(matches!(
        r.redact_str("booking #12 created at 10:00"),
        Cow::Borrowed(_)
    ));
    assert_eq!(
        r.redact_str("https://example.org/path?q=1"),
        "https://example.org/path?q=1"
    );
}

#[test]
fn short_literals_are_ignored_so_logs_stay_readable() {
    let r = Redactor::new(["", "ab"]);
    assert_eq!(r.redact_str("about"), "about");
}

fn arb_json(secrets: Vec<String>) -> impl Strategy<Value = Value> {
    let secret_keys = prop::sample::select(vec![
        "token",
        "Bot_Token",
        "secret",
        "PASSWORD",
        "authorization",
        "api_key",
        "database_url",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        "[a-z ]{0,12}".prop_map(Value::String),
        (
            prop::sample::select(secrets),
            "[a-z/ ]{0,6}",
            "[a-z/ ]{0,6}"
        )
            .prop_map(|(s, a, b)| Value::String(format!("{a}{s}{b}"))),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        "[a-z_]{1,8}".prop_map(String::from),
                        secret_keys.clone().prop_map(String::from)
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn random_json_never_comes_out_holding_a_secret(
        v in arb_json(vec![
            BOT_TOKEN.to_owned(),
            "987654:ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ".to_owned(),
            "postgres://app:pa55w0rd-xyz@db/app".to_owned(),
            "literal-webhook-secret".to_owned(),
        ]),
        key_secret in "[A-Za-z0-9]{8,20}",
    ) {
        let r = Redactor::new(["literal-webhook-secret"]);
        let mut v = v;
        if let Value::Object(map) = &mut v {
            map.insert("Authorization".into(), Value::String(key_secret.clone()));
        }
        r.redact_value(&mut v);
        let text = v.to_string();
        prop_assert!(!text.contains(BOT_TOKEN));
        prop_assert!(!text.contains("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"));
        prop_assert!(!text.contains("pa55w0rd-xyz"));
        prop_assert!(!text.contains("literal-webhook-secret"));
        if let Value::Object(map) = &v {
            prop_assert_eq!(map.get("Authorization"), Some(&Value::String(MASK.into())));
        }
    }
}
