//! `alerts/`: the rule files pass the real `promtool check rules` and `promtool test rules`, name
//! the six alerts of docs/interface.md, and every `runbook_url` points at a section of
//! `runbooks/alerts.md` that exists (the agent's own alerts too).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use ops_agent::alerting::AlertName;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn files(dir: &Path, suffix: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(suffix))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no {suffix} in {}", dir.display());
    out
}

fn promtool(args: &[&str], files: &[String]) {
    let out = Command::new(shared::testing::prom::promtool())
        .args(args)
        .args(files)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// GitHub's anchors of the `##` headings of the runbook.
fn runbook_anchors() -> BTreeSet<String> {
    std::fs::read_to_string(repo().join("runbooks/alerts.md"))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|h| h.trim().to_lowercase().replace(' ', "-"))
        .collect()
}

#[test]
fn promtool_checks_the_rule_files() {
    promtool(
        &["check", "rules"],
        &files(&repo().join("alerts"), ".rules.yml"),
    );
}

#[test]
fn promtool_unit_tests_of_the_rules_pass() {
    promtool(
        &["test", "rules"],
        &files(&repo().join("alerts/tests"), ".yml"),
    );
}

#[test]
fn the_rules_define_exactly_the_seven_alerts_with_severity_and_runbook() {
    let mut names = BTreeSet::new();
    let anchors = runbook_anchors();
    for f in files(&repo().join("alerts"), ".rules.yml") {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut current = None;
        for line in text.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix("- alert: ") {
                assert!(names.insert(name.to_owned()), "{name} defined twice");
                current = Some(name.to_owned());
            }
            if let Some(url) = line.strip_prefix("runbook_url: ") {
                let name = current.clone().expect("runbook_url before alert");
                let (page, anchor) = url.split_once('#').expect("runbook_url has an anchor");
                assert_eq!(page, "runbooks/alerts.md");
                assert_eq!(
                    anchor,
                    name.to_lowercase(),
                    "{name} links to another alert's section"
                );
                assert!(
                    anchors.contains(anchor),
                    "runbooks/alerts.md has no section #{anchor}"
                );
            }
        }
        for key in ["severity:", "summary:", "description:", "runbook_url:"] {
            assert_eq!(
                text.matches(key).count(),
                text.matches("- alert: ").count(),
                "{f}: every alert needs {key}"
            );
        }
    }
    let want: BTreeSet<String> = AlertName::ALL
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect();
    assert_eq!(names, want);
}

#[test]
fn every_agent_alert_has_a_runbook_section() {
    let anchors = runbook_anchors();
    let text = std::fs::read_to_string(repo().join("runbooks/alerts.md")).unwrap();
    for a in AlertName::ALL {
        assert!(
            anchors.contains(&a.runbook_anchor()),
            "no section for {}",
            a.as_str()
        );
        let section = text.split(&format!("## {}\n", a.as_str())).nth(1).unwrap();
        let section = section.split("\n## ").next().unwrap();
        for part in [
            "**Meaning.**",
            "**Impact.**",
            "**Diagnosis.**",
            "**Mitigation.**",
            "```sh",
        ] {
            assert!(section.contains(part), "{} lacks {part}", a.as_str());
        }
    }
}
