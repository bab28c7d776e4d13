//! `restore --verify` catching damaged dumps and wrong contents, and `restore --target-url`
//! into an empty, a non-empty and the source database.

use std::io::{Seek, SeekFrom, Write};

use ops_agent::manifest;
use ops_agent::restore::CheckId;
use sqlx::Connection;

use crate::helpers::seeded::{SEEDED, json_answer, seeded, text};

#[tokio::test]
async fn a_flipped_byte_is_caught_before_anything_is_restored() {
    let env = seeded().await;
    let m = ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    let path = manifest::dump_path(env.dir.path(), &m.id);
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    f.seek(SeekFrom::Start(mid as u64)).unwrap();
    f.write_all(&bytes[mid..=mid]).unwrap();
    drop(f);

    let out = env
        .agent(&env.bindir, &["restore", "--verify", "--json"])
        .await;
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    let report = json_answer(&out);
    assert_eq!(report["passed"], false);
    assert_eq!(report["checks"][0]["id"], "sha256");
    assert_eq!(report["checks"][0]["passed"], false);
    assert_eq!(
        report["checks"].as_array().unwrap().len(),
        1,
        "no restore was attempted"
    );
    assert!(text(&out).0.contains("\"event\":\"restore_verify_failed\""));
    let st = ops_agent::status::read(env.dir.path(), ops_agent::status::RunKind::Verify)
        .unwrap()
        .unwrap();
    assert!(!st.success);
}

#[tokio::test]
async fn a_truncated_dump_is_caught() {
    let env = seeded().await;
    let m = ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    let path = manifest::dump_path(env.dir.path(), &m.id);
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(m.size_bytes / 2).unwrap();
    drop(f);
    let report = ops_agent::restore::verify(&env.database(), &env.store(), Some(&m.id))
        .await
        .unwrap();
    assert!(!report.passed);
    assert!(
        report.checks[0]
            .detail
            .contains(&format!("file {} bytes", m.size_bytes / 2))
    );
    // The text report names the failing check.
    assert!(
        report.render().contains("FAIL sha256"),
        "{}",
        report.render()
    );
}

#[tokio::test]
async fn row_counts_that_differ_from_the_manifest_fail_the_drill_and_the_scratch_db_goes() {
    let env = seeded().await;
    let m = ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    // The manifest claims one booking more than the dump holds (sha256 still matches).
    let mpath = manifest::manifest_path(env.dir.path(), &m.id);
    let mut doctored = m.clone();
    doctored.row_counts.insert("bookings".into(), 501);
    std::fs::write(&mpath, serde_json::to_vec(&doctored).unwrap()).unwrap();

    let report = ops_agent::restore::verify(&env.database(), &env.store(), None)
        .await
        .unwrap();
    assert!(!report.passed);
    let failed: Vec<_> = report
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(failed, vec!["row_counts"], "{}", report.render());
    let rows = report
        .checks
        .iter()
        .find(|c| c.id == CheckId::RowCounts)
        .unwrap();
    assert!(rows.detail.contains("bookings 500/501"), "{}", rows.detail);
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'ops_verify_' || $1 || '%'",
    )
    .bind(m.id.to_ascii_lowercase().replace('-', "_"))
    .fetch_one(&env.db.pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_real_restore_fills_an_empty_database_and_refuses_a_full_one_or_the_source() {
    let env = seeded().await;
    ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    let (target_name, target_url) = shared::testing::empty_db().await;

    let out = env
        .agent(
            &env.bindir,
            &["restore", "--target-url", &target_url, "--json"],
        )
        .await;
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(json_answer(&out)["passed"], true);
    let pool = sqlx::PgPool::connect(&target_url).await.unwrap();
    for (table, n) in SEEDED {
        let got: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(got, n, "{table} in {target_name}");
    }
    pool.close().await;

    let out = env
        .agent(&env.bindir, &["restore", "--target-url", &target_url])
        .await;
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("is not empty"), "{stderr}");

    let out = env
        .agent(
            &env.bindir,
            &[
                "restore",
                "--target-url",
                &target_url,
                "--force",
                "--confirm",
                &target_name,
            ],
        )
        .await;
    assert!(out.status.success(), "{:?}", text(&out));

    let out = env
        .agent(&env.bindir, &["restore", "--target-url", &env.db.url])
        .await;
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("source database itself"), "{stderr}");
}

#[tokio::test]
async fn verify_without_any_backup_says_so() {
    let env = seeded().await;
    let out = env.agent(&env.bindir, &["restore", "--verify"]).await;
    assert!(!out.status.success());
    assert!(
        text(&out).1.contains("no complete backup"),
        "{:?}",
        text(&out)
    );
}

#[tokio::test]
async fn the_checks_catch_overlaps_orphans_a_missing_constraint_and_lagging_sequences() {
    let env = seeded().await;
    let indexes: Vec<String> =
        sqlx::query_scalar("SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'")
            .fetch_all(&env.db.pool)
            .await
            .unwrap();
    sqlx::raw_sql(
        "ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap;
         INSERT INTO bookings (master_id, client_id, starts_at, ends_at)
           SELECT master_id, client_id, starts_at + interval '30 minutes', ends_at + interval '30 minutes'
           FROM bookings WHERE status = 'confirmed' ORDER BY id LIMIT 1;
         ALTER TABLE availability_blocks DROP CONSTRAINT availability_blocks_master_id_fkey;
         INSERT INTO availability_blocks (master_id, starts_at, ends_at) VALUES (999999, now(), now() + interval '1 hour');
         SELECT setval('users_id_seq', 1);",
    )
    .execute(&env.db.pool)
    .await
    .unwrap();
    let mut m = ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    m.indexes = indexes;
    let mut conn = sqlx::PgConnection::connect(&env.db.url).await.unwrap();
    let checks = ops_agent::restore::checks::run_all(&mut conn, &m).await;
    let failed: Vec<_> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        failed,
        vec![
            "no_orphaned_foreign_keys",
            "no_overlapping_bookings",
            "constraints_and_indexes",
            "sequences_ahead_of_ids",
            "rolled_back_write"
        ],
        "{checks:#?}"
    );
    let overlap = checks
        .iter()
        .find(|c| c.id == CheckId::NoOverlappingBookings)
        .unwrap();
    // The extra booking overlaps its predecessor, and its successor overlaps it.
    assert!(
        overlap.detail.starts_with("2 confirmed"),
        "{}",
        overlap.detail
    );
    let orphans = checks
        .iter()
        .find(|c| c.id == CheckId::NoOrphanedForeignKeys)
        .unwrap();
    assert!(
        orphans.detail.contains("availability_blocks.master_id: 1"),
        "{}",
        orphans.detail
    );
}

#[tokio::test]
async fn a_drill_drops_scratch_databases_left_by_a_killed_drill_and_runs_alone() {
    let env = seeded().await;
    let m = ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    let stale = format!(
        "ops_verify_{}_deadbeef",
        m.id.to_ascii_lowercase().replace('-', "_")
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE \"{stale}\" TEMPLATE template0"
    )))
    .execute(&env.db.pool)
    .await
    .unwrap();

    let held = ops_agent::lock::FolderLock::acquire_verify(env.dir.path()).unwrap();
    let err = ops_agent::restore::verify(&env.database(), &env.store(), None)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("another restore drill"),
        "{err:#}"
    );
    drop(held);

    let report = ops_agent::restore::verify(&env.database(), &env.store(), None)
        .await
        .unwrap();
    assert!(report.passed, "{}", report.render());
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&stale)
        .fetch_one(&env.db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the stale scratch database is dropped");
}
