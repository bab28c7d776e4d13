//! How the argument groups map into the store: defaults, a flag or variable over the run
//! command's TOML file over the built-in default, and values refused as usage errors.

use super::*;
use crate::cmd::{Cli, Command};

fn parse(args: &[&str]) -> Result<Command, clap::Error> {
    let argv = ["ops-agent"].iter().chain(args);
    shared::config::try_parse_from(argv, &|_| None).map(|c: Cli| c.command)
}

const DB: &str = "--database-url=postgres://u:p@h/d";

#[test]
fn the_retention_defaults_are_the_policy_defaults() {
    let Command::Prune(o) = parse(&["prune", "--backup-dir=/x"]).unwrap() else {
        panic!("not prune")
    };
    let store = o.backup.store(&ToolSettings::default());
    assert_eq!(store.retention, RetentionPolicy::default());
}

#[test]
fn a_flag_wins_over_the_file_and_the_file_over_the_default() {
    let file = ToolSettings {
        timeout: Some(Duration::from_secs(60)),
        compression_level: Some(9),
        restore_jobs: Some(3),
        restore_maintenance_work_mem: Some(MemorySize::from_mib(64)),
    };
    let store_of = |args: &[&str], file: &ToolSettings| {
        let mut argv = vec!["run", "--backup-dir=/x", DB];
        argv.extend(args);
        let Command::Run(o) = parse(&argv).unwrap() else {
            panic!("not run")
        };
        let mut store = o.db.backup.store(file);
        o.dump.apply(&mut store, file);
        o.restore.apply(&mut store, file);
        store
    };

    let defaults = store_of(&[], &ToolSettings::default());
    assert_eq!(defaults.tool_timeout, DEFAULT_TOOL_TIMEOUT);
    assert_eq!(defaults.compression_level, DEFAULT_COMPRESSION_LEVEL);
    assert_eq!(defaults.restore, RestoreTuning::default());
    assert!((1..=4).contains(&defaults.restore.drill_jobs));
    assert_eq!(defaults.restore.maintenance_work_mem.to_string(), "256MB");

    let from_file = store_of(&[], &file);
    assert_eq!(from_file.tool_timeout, Duration::from_secs(60));
    assert_eq!(from_file.compression_level, 9);
    assert_eq!(
        from_file.restore,
        RestoreTuning {
            drill_jobs: 3,
            maintenance_work_mem: MemorySize::from_mib(64),
        }
    );

    let flags = [
        "--tool-timeout-seconds=5",
        "--compress-level=0",
        "--restore-jobs=2",
        "--restore-maintenance-work-mem=1GB",
    ];
    let from_flags = store_of(&flags, &file);
    assert_eq!(from_flags.tool_timeout, Duration::from_secs(5));
    assert_eq!(from_flags.compression_level, 0);
    assert_eq!(
        from_flags.restore,
        RestoreTuning {
            drill_jobs: 2,
            maintenance_work_mem: MemorySize::from_mib(1024),
        }
    );
}

#[test]
fn values_out_of_range_are_usage_errors_naming_the_flag() {
    for (args, flag) in [
        (vec!["backup", "--compress-level=10"], "--compress-level"),
        (vec!["run", "--compress-level=-1"], "--compress-level"),
        (
            vec!["restore", "--verify", "--restore-jobs=0"],
            "--restore-jobs",
        ),
        (vec!["run", "--restore-jobs=33"], "--restore-jobs"),
        (
            vec![
                "restore",
                "--verify",
                "--restore-maintenance-work-mem=256mb",
            ],
            "--restore-maintenance-work-mem",
        ),
        (
            vec!["run", "--restore-maintenance-work-mem=256MB -c fsync=off"],
            "--restore-maintenance-work-mem",
        ),
        (
            vec!["restore", "--target-url=postgres://u@h/t", "--jobs=0"],
            "--jobs",
        ),
    ] {
        let mut argv = args.clone();
        argv.extend(["--backup-dir=/x", DB]);
        let e = parse(&argv).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{args:?}");
        assert!(e.to_string().contains(flag), "{args:?}: {e}");
    }
}

#[test]
fn jobs_of_a_real_restore_come_only_with_a_target() {
    let e = parse(&["restore", "--verify", "--jobs=2", "--backup-dir=/x", DB]).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string().contains("cannot be used with '--jobs <N>'"),
        "{e}"
    );
    let Command::Restore(o) = parse(&[
        "restore",
        "--target-url=postgres://u@h/t",
        "--jobs=4",
        "--backup-dir=/x",
        DB,
    ])
    .unwrap() else {
        panic!("not restore")
    };
    assert_eq!(o.jobs, Some(4));
}
