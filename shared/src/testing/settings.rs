//! The per-setting check both binaries run over their whole command line: for every argument
//! with an environment fallback, in every subcommand, the variable set but empty parses exactly
//! as if it were absent. A setting added later is covered without touching the test.
//!
//! Clap reads the environment of its process, and tests may not change theirs (clippy.toml: it
//! races with every other test), so each case runs in a child process: the test binary itself,
//! re-run on the one test that calls [`probe_child`], with a cleared environment.

use std::fmt::Debug;
use std::process::Command as Process;

use clap::Parser;

use crate::config::{env_settings, process_env, try_parse_from};

/// Carries the child's command line, arguments separated by U+001F.
const PROBE_ARGS: &str = "SHARED_SETTINGS_PROBE_ARGS";
/// Marks the child's answer among the test harness's own lines.
const MARK: &str = "settings-probe: ";

/// What a command line needs to parse at all, besides the setting under test.
#[derive(Debug, Default, Clone)]
pub struct Fixture {
    /// Valid values of the required settings, given through the environment.
    pub required_env: Vec<(&'static str, &'static str)>,
    /// Arguments a subcommand cannot parse without (e.g. `chat` → `--as 1`), keyed by its path
    /// joined with spaces.
    pub args: Vec<(&'static str, Vec<&'static str>)>,
}

/// The child's side. Under [`assert_empty_means_unset`] it parses `C` from the command line it
/// was handed (through [`try_parse_from`], as `main` does) and prints the outcome; run as an
/// ordinary test it does nothing.
pub fn probe_child<C: Parser + Debug>() {
    let Some(argv) = std::env::var_os(PROBE_ARGS) else {
        return;
    };
    let argv = argv.to_string_lossy().into_owned();
    let outcome = match try_parse_from::<C, _, _>(argv.split('\u{1f}'), &process_env) {
        Ok(c) => format!("ok {c:?}"),
        Err(e) => format!("err {:?} {}", e.kind(), e.to_string().replace('\n', " | ")),
    };
    println!("{MARK}{outcome}");
}

/// The parent's side: for each leaf subcommand and each setting it takes (its own and its
/// parents'), parses once without the variable and once with it empty, in children running
/// `child_test` (the full name of a test that calls [`probe_child`] for `C`), and asserts the
/// outcomes are the same. A setting that is not required must parse, so the check cannot pass
/// by two identical errors.
pub fn assert_empty_means_unset<C: Parser>(child_test: &str, fixture: &Fixture) {
    let cmd = C::command();
    let settings = env_settings(&cmd);
    let mut checked = 0;
    for leaf in leaf_paths(&cmd, &mut Vec::new()) {
        let mut argv = vec![cmd.get_name().to_owned()];
        argv.extend(leaf.iter().cloned());
        let key = leaf.join(" ");
        for (_, extra) in fixture.args.iter().filter(|(k, _)| *k == key) {
            argv.extend(extra.iter().map(|a| (*a).to_owned()));
        }
        for s in settings.iter().filter(|s| leaf.starts_with(&s.path)) {
            let base: Vec<(&str, &str)> = fixture
                .required_env
                .iter()
                .copied()
                .filter(|(k, _)| *k != s.var)
                .collect();
            let unset = run_child(child_test, &argv, &base, None);
            let empty = run_child(child_test, &argv, &base, Some(&s.var));
            assert_eq!(
                empty, unset,
                "`{key}` with {}= (empty) parses differently from {} unset",
                s.var, s.var
            );
            assert!(
                s.required || unset.starts_with("ok "),
                "`{key}` does not parse without {}; complete the fixture: {unset}",
                s.var
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no setting with an environment fallback found");
}

/// Subcommand paths that end in a command without subcommands.
fn leaf_paths(cmd: &clap::Command, path: &mut Vec<String>) -> Vec<Vec<String>> {
    if cmd.get_subcommands().next().is_none() {
        return vec![path.clone()];
    }
    let mut out = Vec::new();
    for sub in cmd.get_subcommands() {
        path.push(sub.get_name().to_owned());
        out.extend(leaf_paths(sub, path));
        path.pop();
    }
    out
}

fn run_child(test: &str, argv: &[String], env: &[(&str, &str)], empty: Option<&str>) -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut p = Process::new(exe);
    p.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env_clear()
        .env(PROBE_ARGS, argv.join("\u{1f}"));
    for (k, v) in env {
        p.env(k, v);
    }
    if let Some(var) = empty {
        p.env(var, "");
    }
    let out = p.output().expect("running the test binary as a child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // With --nocapture the harness may print `test name ... ` on the same line first.
    stdout
        .lines()
        .find_map(|l| l.split_once(MARK).map(|(_, rest)| rest.to_owned()))
        .unwrap_or_else(|| {
            panic!(
                "child test {test} printed no outcome (is the name right?): {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}
