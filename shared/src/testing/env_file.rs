//! `compose/.env.example` as the tests that start the binaries with its values read it.

use std::path::PathBuf;

/// The example file, from the workspace root.
pub fn example_env_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../compose/.env.example")
}

/// `KEY=VALUE` lines in file order; blank lines and `#` comments skipped. A line without `=`
/// panics: compose would refuse the file too.
pub fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l
                .split_once('=')
                .unwrap_or_else(|| panic!("env file line without `=`: {l:?}"));
            (k.trim().to_owned(), v.to_owned())
        })
        .collect()
}

/// The example file's variables, unchanged.
pub fn example_env() -> Vec<(String, String)> {
    let path = example_env_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    parse_env_file(&text)
}

/// The example file's variables with every `*_PASSWORD` replaced by a random hex string, as the
/// file tells the operator to do.
pub fn example_env_with_real_passwords() -> Vec<(String, String)> {
    example_env()
        .into_iter()
        .map(|(k, v)| {
            if k.ends_with("_PASSWORD") {
                let pw = format!("{:032x}", rand::random::<u128>());
                (k, pw)
            } else {
                (k, v)
            }
        })
        .collect()
}

/// The value of `key` in `vars` (panics when absent: the example file is missing a variable).
pub fn value<'a>(vars: &'a [(String, String)], key: &str) -> &'a str {
    vars.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{key} is not in {}", example_env_path().display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_and_empty_values() {
        let vars = parse_env_file("# c\n\nA=1\n  # indented comment\nB=\nC=x=y\n");
        let want: Vec<(String, String)> = [("A", "1"), ("B", ""), ("C", "x=y")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(vars, want);
    }

    #[test]
    fn the_example_file_has_placeholders_only_where_passwords_go() {
        let vars = example_env();
        for (k, v) in &vars {
            // The file promises a working stack once the passwords alone are replaced.
            assert_eq!(
                v.starts_with("change-me"),
                k.ends_with("_PASSWORD"),
                "{k}: only passwords may hold the placeholder"
            );
        }
        let real = example_env_with_real_passwords();
        assert!(real.iter().all(|(_, v)| !v.starts_with("change-me")));
        assert_eq!(value(&real, "BOT_MODE"), "webhook");
    }
}
