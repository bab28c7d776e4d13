//! The walk that drops the fallback of empty variables, the parse around it, and the listing
//! of env-backed settings; the real-environment check per setting lives in each binary crate.

use std::collections::HashMap;

use clap::{Arg, Args, CommandFactory, Parser, Subcommand};

use super::*;

/// Variable names no environment sets, so clap's own reading of the environment (at build
/// time, from the real process) sees them absent and only the fake lookup decides.
const LIST: &str = "SHARED_EMPTY_ENV_TEST_LIST";
const NAME: &str = "SHARED_EMPTY_ENV_TEST_NAME";
const DEEP: &str = "SHARED_EMPTY_ENV_TEST_DEEP";

#[derive(Debug, Parser)]
#[command(name = "prog", version)]
struct Cli {
    /// Comma-separated ids.
    #[arg(long, env = LIST, value_delimiter = ',', num_args = 0..)]
    list: Vec<i64>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    Run(RunArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// A name.
    #[arg(long, env = NAME, default_value = "dflt")]
    name: String,
}

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&OsStr) -> Option<OsString> {
    let map: HashMap<OsString, OsString> = vars
        .iter()
        .map(|(k, v)| (OsString::from(k), OsString::from(v)))
        .collect();
    move |name| map.get(name).cloned()
}

fn vars_of(cmd: &Command) -> Vec<String> {
    env_settings(cmd).into_iter().map(|s| s.var).collect()
}

#[test]
fn only_empty_variables_lose_their_fallback_at_every_depth() {
    let cmd = Command::new("root")
        .arg(Arg::new("a").long("a").env(LIST))
        .subcommand(
            Command::new("one")
                .arg(Arg::new("b").long("b").env(NAME))
                .subcommand(Command::new("two").arg(Arg::new("c").long("c").env(DEEP))),
        );
    let env = lookup(&[(LIST, ""), (NAME, "set"), (DEEP, "")]);
    assert_eq!(vars_of(&unset_empty_env(cmd.clone(), &env)), vec![NAME]);
    // Absent variables keep their fallback: clap already treats them as unset.
    assert_eq!(
        vars_of(&unset_empty_env(cmd, &lookup(&[]))),
        vec![LIST, NAME, DEEP]
    );
}

#[test]
fn settings_are_listed_with_their_subcommand_path() {
    let s = env_settings(&Cli::command());
    assert_eq!(s.len(), 2);
    assert_eq!((s[0].path.len(), s[0].var.as_str()), (0, LIST));
    assert_eq!(
        (s[1].path.clone(), s[1].id.as_str(), s[1].required),
        (vec!["run".to_owned()], "name", false)
    );
}

#[test]
fn parsing_applies_defaults_for_emptied_settings() {
    let env = lookup(&[(LIST, ""), (NAME, "")]);
    let cli: Cli = try_parse_from(["prog", "run"], &env).unwrap();
    assert!(cli.list.is_empty());
    let Cmd::Run(run) = cli.command;
    assert_eq!(run.name, "dflt");
    // The command line still wins.
    let cli: Cli = try_parse_from(["prog", "--list=1,2", "run", "--name", "x"], &env).unwrap();
    assert_eq!(cli.list, vec![1, 2]);
}

#[test]
fn usage_errors_stay_clap_errors_with_exit_code_2() {
    let e = try_parse_from::<Cli, _, _>(["prog", "run", "--nope"], &lookup(&[])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownArgument);
    assert_eq!(e.exit_code(), 2);
    let e = try_parse_from::<Cli, _, _>(["prog", "--list", "x", "run"], &lookup(&[])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ValueValidation);
    assert!(e.to_string().contains("--list"), "{e}");
}

#[test]
fn help_and_version_still_work_and_help_still_names_an_emptied_variable() {
    let env = lookup(&[(NAME, "")]);
    let e = try_parse_from::<Cli, _, _>(["prog", "run", "--help"], &env).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DisplayHelp);
    assert_eq!(e.exit_code(), 0);
    assert!(e.to_string().contains(&format!("[env: {NAME}")), "{e}");
    let e = try_parse_from::<Cli, _, _>(["prog", "--help"], &env).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DisplayHelp);
    let e = try_parse_from::<Cli, _, _>(["prog", "--version"], &env).unwrap_err();
    assert_eq!((e.kind(), e.exit_code()), (ErrorKind::DisplayVersion, 0));
}

#[test]
fn direct_reads_treat_empty_as_unset() {
    let env = lookup(&[("SET", "v"), ("EMPTY", "")]);
    assert_eq!(env_setting(&env, "SET").as_deref(), Some("v"));
    assert_eq!(env_setting(&env, "EMPTY"), None);
    assert_eq!(env_setting(&env, "ABSENT"), None);
}
