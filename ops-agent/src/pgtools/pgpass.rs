//! Reading libpq's password file (`PGPASSFILE`, else `~/.pgpass`) for a [`PgTarget`] whose URL
//! carries no password: the file's permission rule, its line format and its escapes.

use std::path::PathBuf;

use secrecy::SecretString;

use super::PgTarget;

impl PgTarget {
    /// The password of the password file libpq would read for this target: `PGPASSFILE`, else
    /// `~/.pgpass`; ignored (as libpq does) unless it is a regular file without group or world
    /// access. Lines are `host:port:database:user:password`, `*` matches anything, `\` escapes
    /// `:` and `\`, the first matching line wins; a socket folder matches the host `localhost`.
    pub fn pgpass_password(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<SecretString> {
        use std::os::unix::fs::PermissionsExt;
        let path = match env("PGPASSFILE").filter(|p| !p.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => PathBuf::from(env("HOME").filter(|h| !h.is_empty())?).join(".pgpass"),
        };
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let host = if self.host.starts_with('/') {
            "localhost"
        } else {
            self.host.as_str()
        };
        let port = self.port.to_string();
        let wanted = [
            host,
            port.as_str(),
            self.dbname.as_str(),
            self.user.as_str(),
        ];
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(split_pgpass_line)
            .find(|fields| {
                fields[..4]
                    .iter()
                    .zip(wanted)
                    .all(|(f, w)| f == "*" || f == w)
            })
            .map(|fields| SecretString::from(fields[4].clone()))
    }
}

/// The five fields of one `.pgpass` line, unescaped; `None` for a malformed line.
fn split_pgpass_line(line: &str) -> Option<[String; 5]> {
    let mut fields: Vec<String> = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut()?.push(chars.next().unwrap_or('\\')),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut()?.push(c),
        }
    }
    fields.try_into().ok()
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn a_password_file_is_read_by_libpq_rules() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# comment\nother:5432:*:*:nope\n*:5432:app:u:p\\:w\\\\d\n*:*:*:*:fallback\n",
        )
        .unwrap();
        let path = file.display().to_string();
        let env = |k: &str| (k == "PGPASSFILE").then(|| path.clone());
        let t = PgTarget::from_url(&"postgres://u@db:5432/app".into(), "X").unwrap();
        assert!(!t.has_password());
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            t.pgpass_password(&env).is_none(),
            "group/world-readable: ignored"
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let pw = t.pgpass_password(&env).unwrap();
        assert_eq!(pw.expose_secret(), "p:w\\d");
        let other = t.with_database("x").pgpass_password(&env).unwrap();
        assert_eq!(other.expose_secret(), "fallback");
        let t = t.with_password(pw);
        assert_eq!(t.password(), Some("p:w\\d"));
        assert!(t.pgpass_password(&|_| None).is_none());
    }
}
