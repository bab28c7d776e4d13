//! The client tools' versions: reading the major number of a `--version` banner and refusing a
//! dump tool older than the server.

use anyhow::bail;

/// Major version in `pg_dump (PostgreSQL) 15.8 (Debian 15.8-1.pgdg120+1)` → 15.
pub fn parse_tool_major(text: &str) -> Option<u32> {
    let after = text.split_once(')').map_or(text, |(_, r)| r).trim_start();
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Refuses a dump tool older than the server: it could miss objects or fail mid-dump.
pub fn check_tool_not_older(
    tool: &str,
    tool_major: u32,
    server_version_num: u32,
) -> anyhow::Result<()> {
    let server_major = server_version_num / 10_000;
    if tool_major < server_major {
        bail!(
            "{tool} {tool_major} is older than the PostgreSQL server {server_major}; install the \
             client tools of version {server_major} or newer and point PG_BIN_DIR at them"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_major_versions_of_tool_banners() {
        assert_eq!(
            parse_tool_major("pg_dump (PostgreSQL) 15.8 (Debian 15.8-1)"),
            Some(15)
        );
        assert_eq!(parse_tool_major("pg_restore (PostgreSQL) 9.6.24"), Some(9));
        assert_eq!(parse_tool_major("garbage"), None);
    }

    #[test]
    fn an_older_pg_dump_is_refused_with_both_versions_named() {
        assert!(check_tool_not_older("pg_dump", 15, 150_008).is_ok());
        assert!(check_tool_not_older("pg_dump", 16, 150_008).is_ok());
        let err = check_tool_not_older("pg_dump", 14, 160_002)
            .unwrap_err()
            .to_string();
        assert!(err.contains("14") && err.contains("16"), "{err}");
    }
}
