//! Prometheus in tests: reading samples out of a scrape, and `promtool check metrics` on one.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Every sample line of a text-format scrape as `(series, value)`, where `series` is the name
/// with its labels exactly as exposed (`name{a="x",b="y"}`); comments and unparsable lines are
/// skipped.
pub fn samples(scrape: &str) -> impl Iterator<Item = (&str, f64)> {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.trim_end().rsplit_once(' ')?;
            Some((series, value.parse().ok()?))
        })
}

/// The value of `series` (spelt as the scrape spells it), if the scrape has it.
pub fn sample(scrape: &str, series: &str) -> Option<f64> {
    samples(scrape).find_map(|(s, v)| (s == series).then_some(v))
}

/// `promtool`, found on `PATH` (it lives in `/usr/bin` on Debian, elsewhere in a download);
/// panics with how to install it, since the checks cannot be skipped silently.
pub fn promtool() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("promtool"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("promtool is not on PATH: install it (Debian package `prometheus`, or scripts/install-deps)")
        })
}

/// Runs `promtool check metrics` on `scrape`; returns whether it passed and everything it
/// printed (its findings).
pub fn check_metrics(scrape: &[u8]) -> (bool, String) {
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting promtool");
    child
        .stdin
        .take()
        .expect("promtool's stdin")
        .write_all(scrape)
        .expect("writing the scrape to promtool");
    let out = child.wait_with_output().expect("waiting for promtool");
    let findings = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRAPE: &str = "# HELP x_total X\n# TYPE x_total counter\n\
        x_total{a=\"1\",b=\"two words\"} 3\nup 1\nbroken\n";

    #[test]
    fn a_sample_is_found_by_its_exact_series_with_labels() {
        assert_eq!(sample(SCRAPE, r#"x_total{a="1",b="two words"}"#), Some(3.0));
        assert_eq!(sample(SCRAPE, "up"), Some(1.0));
    }

    #[test]
    fn comments_missing_series_and_broken_lines_give_nothing() {
        assert_eq!(sample(SCRAPE, "x_total"), None);
        assert_eq!(sample(SCRAPE, "broken"), None);
        assert_eq!(samples(SCRAPE).count(), 2);
    }
}
