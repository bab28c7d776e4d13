use super::*;

fn err(text: &str) -> String {
    DaemonConfig::parse(text).unwrap_err().to_string()
}

#[test]
fn the_empty_file_gives_the_documented_defaults() {
    let c = DaemonConfig::parse("").unwrap();
    assert_eq!(c.backup.schedule.source(), "0 0 3 * * *");
    assert_eq!(c.verify.schedule.source(), "0 0 4 * * Sun");
    assert_eq!(c.probe.schedule.source(), "*/30 * * * * *");
    assert_eq!(c.probe_timeout, Duration::from_secs(5));
    assert_eq!(c.thresholds, Thresholds::default());
    assert!(c.receivers.is_empty());
}

#[test]
fn the_committed_example_parses() {
    let text = include_str!("../../ops-agent.example.toml");
    let c = DaemonConfig::parse(text).unwrap();
    assert_eq!(c.receivers.len(), 3);
    assert_eq!(
        c.receivers[0].repeat_interval,
        Duration::from_secs(4 * 3600)
    );
    assert_eq!(c.receivers[1].repeat_interval, Duration::from_secs(60));
    // The values it shows are the defaults, as its header says.
    assert_eq!(c.http, shared::http_server::Limits::default());
    assert_eq!(c.tools, ToolSettings::default());
}

#[test]
fn bad_values_name_their_key() {
    assert!(err("[jobs.backup]\nschedule = \"* * * * *\"").contains("jobs.backup.schedule"));
    assert!(err("[alerts]\nbooking_failure_ratio = 1.5").contains("alerts.booking_failure_ratio"));
    assert!(
        err("[alerts]\nbot_api_down_for_seconds = -1").contains("alerts.bot_api_down_for_seconds")
    );
    assert!(err("[[receivers]]\nkind = \"webhook\"").contains("receivers[0].url"));
    assert!(err("[[receivers]]\nkind = \"pager\"").contains("receivers[0].kind"));
    assert!(
        err("[[receivers]]\nkind = \"webhook\"\nurl = \"ftp://x\"").contains("receivers[0].url")
    );
    assert!(
        err("[[receivers]]\nkind = \"telegram\"\nchat_id = \"1\"")
            .contains("receivers[0].bot_token")
    );
    assert!(err("[jobs.probe]\ntimeout_seconds = 0").contains("jobs.probe.timeout_seconds"));
    assert!(err("[jobs]\nbackups = {}").contains("backups"));
    assert!(err("[alerts]\nrepeat_interval = 5").contains("repeat_interval"));
}

#[test]
fn a_refused_token_is_not_echoed() {
    let e =
        err("[[receivers]]\nkind = \"webhook\"\nurl = \"nope\"\nbearer_token = \"s3cr3t-value\"");
    assert!(!e.contains("s3cr3t-value"), "{e}");
}

fn with_env(text: &str, vars: &[(&str, &str)]) -> Result<DaemonConfig, String> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let env = move |name: &std::ffi::OsStr| {
        vars.iter()
            .find(|(k, _)| name == k.as_str())
            .map(|(_, v)| std::ffi::OsString::from(v))
    };
    DaemonConfig::parse_with_env(text, &env).map_err(|e| e.to_string())
}

const WEBHOOK: &str = "[[receivers]]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:1/hook\"\n";
const TELEGRAM: &str = "[[receivers]]\nkind = \"telegram\"\nchat_id = \"1\"\n";

#[test]
fn placeholder_receiver_secrets_are_refused_by_key() {
    let e = with_env(&format!("{WEBHOOK}bearer_token = \"change-me\""), &[]).unwrap_err();
    assert!(
        e.contains("receivers[0].bearer_token") && e.contains("placeholder"),
        "{e}"
    );
    let e = with_env(
        &format!("{TELEGRAM}bot_token_env = \"ALERT_BOT\""),
        &[("ALERT_BOT", "change-me-77:secretish")],
    )
    .unwrap_err();
    assert!(
        e.contains("receivers[0].bot_token_env") && e.contains("ALERT_BOT"),
        "{e}"
    );
    assert!(e.contains("placeholder") && !e.contains("secretish"), "{e}");
}

#[test]
fn an_empty_secret_variable_counts_as_unset() {
    let text = format!("{WEBHOOK}bearer_token_env = \"HOOK_TOKEN\"");
    for vars in [&[("HOOK_TOKEN", "")][..], &[]] {
        let e = with_env(&text, vars).unwrap_err();
        assert!(
            e.contains("receivers[0].bearer_token_env") && e.contains("HOOK_TOKEN is not set"),
            "{e}"
        );
    }
    let c = with_env(&text, &[("HOOK_TOKEN", "3f9a")]).unwrap();
    assert_eq!(c.receivers.len(), 1);
}

#[test]
fn a_parse_error_names_line_and_column_but_never_quotes_the_source() {
    let text =
        "[[receivers]]\nkind = \"webhook\"\nurl = \"http://h/x\"\nbearer_tokn = \"s3cr3t-tok\"\n";
    let e = err(text);
    assert!(!e.contains("s3cr3t-tok"), "{e}");
    assert!(
        e.contains("line 4, column 1") && e.contains("bearer_tokn"),
        "{e}"
    );
    let e = err("[jobs.probe]\ntimeout_seconds = \"s3cr3t-tok\"\n");
    assert!(!e.contains("s3cr3t-tok") && e.contains("line 2"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.toml");
    std::fs::write(&path, text).unwrap();
    let e = DaemonConfig::load(&path).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("config file {}: line 4", path.display())),
        "{e}"
    );
    assert!(!e.contains("s3cr3t-tok"), "{e}");
}
