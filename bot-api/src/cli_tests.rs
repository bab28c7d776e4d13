//! Tests of [`super`]: the webhook secret policy and the placeholder refusal.

use super::*;

const LOOPBACK: &str = "127.0.0.1:8080";
const ANY: &str = "0.0.0.0:8080";

fn auth(
    mode: Mode,
    token: Option<&SecretString>,
    secret: Option<&SecretString>,
    listen: &str,
    insecure_open: bool,
) -> anyhow::Result<WebhookAuth> {
    webhook_auth(mode, token, secret, listen.parse().unwrap(), insecure_open)
}

#[test]
fn webhook_mode_with_a_token_needs_a_secret() {
    let token = SecretString::from("1:x");
    let secret = SecretString::from("s");
    assert!(auth(Mode::Webhook, Some(&token), None, LOOPBACK, false).is_err());
    assert!(auth(Mode::Webhook, Some(&token), None, LOOPBACK, true).is_err());
    assert!(matches!(
        auth(Mode::Webhook, Some(&token), Some(&secret), ANY, false).unwrap(),
        WebhookAuth::Secret(_)
    ));
    assert!(matches!(
        auth(Mode::Webhook, None, None, LOOPBACK, false).unwrap(),
        WebhookAuth::Open
    ));
    assert!(matches!(
        auth(Mode::Polling, Some(&token), None, ANY, false).unwrap(),
        WebhookAuth::Closed
    ));
    let empty = SecretString::from("");
    assert!(auth(Mode::Polling, None, Some(&empty), LOOPBACK, false).is_err());
}

#[test]
fn an_open_webhook_needs_a_loopback_address_or_the_explicit_flag() {
    for mode in [Mode::Webhook, Mode::Polling] {
        for listen in [ANY, "[::]:8080", "192.168.1.5:8080"] {
            let e = auth(mode, None, None, listen, false)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("TELEGRAM_WEBHOOK_SECRET") && e.contains("BOT_INSECURE_OPEN_WEBHOOK"),
                "{e}"
            );
            assert!(matches!(
                auth(mode, None, None, listen, true).unwrap(),
                WebhookAuth::Open
            ));
        }
        assert!(matches!(
            auth(mode, None, None, "[::1]:8080", false).unwrap(),
            WebhookAuth::Open
        ));
    }
}

fn refused(args: &[&str]) -> Option<String> {
    let argv = ["bot-api"].iter().chain(args);
    let cli: Cli = shared::config::try_parse_from(argv, &|_| None).unwrap();
    refuse_placeholders(&cli.command)
        .err()
        .map(|e| e.to_string())
}

#[test]
fn placeholder_secrets_are_refused_by_their_variable() {
    let db = "--database-url=postgres://app:pw-4f1e@h/db";
    let e = refused(&["migrate", "--database-url=postgres://app:change-me@h/db"]).unwrap();
    assert!(e.starts_with("DATABASE_URL: the password is"), "{e}");
    let e = refused(&["serve", db, "--telegram-bot-token=change-me-123:x"]).unwrap();
    assert!(
        e.starts_with("TELEGRAM_BOT_TOKEN:") && !e.contains("123"),
        "{e}"
    );
    let e = refused(&["serve", db, "--telegram-webhook-secret=change-me-too"]).unwrap();
    assert!(e.starts_with("TELEGRAM_WEBHOOK_SECRET:"), "{e}");
    assert!(refused(&["chat", "--as", "1", db]).is_none());
    assert!(refused(&["serve", db, "--telegram-bot-token=1:real"]).is_none());
}
