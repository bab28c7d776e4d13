//! An empty environment variable means "unset", for every setting of both binaries.
//!
//! Compose's `env_file` passes every line of `compose/.env`, so `BOT_ADMIN_IDS=` arrives as an
//! empty variable. Clap would take `""` as the value (an error for numbers and lists, a set but
//! empty token for secrets); the example file promises that the default applies instead. Clap
//! has no switch for this, so before parsing, every argument whose variable is empty loses its
//! environment fallback ([`unset_empty_env`]) and parses exactly as if the variable were absent.
//!
//! Clap reads the variables' values itself when the command is built; the lookup given here only
//! decides which fallbacks to drop, which keeps the walk a pure function tests can drive.

use std::ffi::{OsStr, OsString};

use clap::error::ErrorKind;
use clap::{ArgMatches, Command, Parser};

/// How the environment is read: the value of a variable, `None` when it is absent.
pub type EnvLookup<'a> = &'a dyn Fn(&OsStr) -> Option<OsString>;

/// The process environment as an [`EnvLookup`].
pub fn process_env(name: &OsStr) -> Option<OsString> {
    std::env::var_os(name)
}

/// Parses the process's command line into `C` as [`Parser::parse`] does (usage errors exit 2,
/// `--help`/`--version` print and exit 0), except that an empty variable counts as unset.
pub fn parse<C: Parser>() -> C {
    try_parse_from(std::env::args_os(), &process_env).unwrap_or_else(|e| e.exit())
}

/// [`parse`] without exiting: `args` is the whole command line (program name first), `env`
/// reports which variables are set; the error is clap's own, formatted for `C`.
pub fn try_parse_from<C, I, T>(args: I, env: EnvLookup<'_>) -> Result<C, clap::Error>
where
    C: Parser,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let mut cmd = unset_empty_env(C::command(), env);
    let mut matches: ArgMatches = match cmd.try_get_matches_from_mut(args.iter().cloned()) {
        Ok(m) => m,
        // Help is rendered from the untouched command, so `[env: NAME]` still shows for a
        // variable that is set but empty. Help is raised while reading the command line, before
        // any environment value is looked at, so an empty variable cannot fail it.
        Err(e) if is_help(e.kind()) => {
            return Err(C::command()
                .try_get_matches_from_mut(args)
                .err()
                .unwrap_or(e));
        }
        Err(e) => return Err(e),
    };
    C::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut cmd))
}

fn is_help(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    )
}

/// `cmd` and all its subcommands, with the environment fallback removed from every argument
/// whose variable `env` reports as present but empty. Other arguments are left as they are.
pub fn unset_empty_env(cmd: Command, env: EnvLookup<'_>) -> Command {
    cmd.mut_args(|arg| {
        let empty = arg
            .get_env()
            .is_some_and(|name| env(name).is_some_and(|v| v.is_empty()));
        if empty {
            arg.env(None::<&'static str>)
        } else {
            arg
        }
    })
    .mut_subcommands(|sub| unset_empty_env(sub, env))
}

/// One argument with an environment fallback, as [`env_settings`] lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSetting {
    /// Subcommand names from the root to the command that owns the argument (empty: the root).
    pub path: Vec<String>,
    /// The argument's id.
    pub id: String,
    /// The environment variable.
    pub var: String,
    /// Whether parsing fails without it.
    pub required: bool,
}

/// Every argument with an environment fallback in `cmd` and its subcommands, depth first.
pub fn env_settings(cmd: &Command) -> Vec<EnvSetting> {
    let mut out = Vec::new();
    collect(cmd, &mut Vec::new(), &mut out);
    out
}

fn collect(cmd: &Command, path: &mut Vec<String>, out: &mut Vec<EnvSetting>) {
    for arg in cmd.get_arguments() {
        if let Some(var) = arg.get_env() {
            out.push(EnvSetting {
                path: path.clone(),
                id: arg.get_id().to_string(),
                var: var.to_string_lossy().into_owned(),
                required: arg.is_required_set(),
            });
        }
    }
    for sub in cmd.get_subcommands() {
        path.push(sub.get_name().to_owned());
        collect(sub, path, out);
        path.pop();
    }
}

/// The value of a variable a setting is read from directly (not through clap), `None` when
/// it is absent, empty or not UTF-8: the same rule as for the flags' fallbacks.
pub fn env_setting(env: EnvLookup<'_>, name: &str) -> Option<String> {
    env(OsStr::new(name))
        .and_then(|v| v.into_string().ok())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
#[path = "empty_env_tests.rs"]
mod tests;
