//! A migration that is in `main` never changes (migrations/README.md).
//!
//! sqlx records the checksum (SHA-384 of the file) of every migration it applies and, at each
//! start, refuses to run against a database whose applied migration no longer matches its file.
//! So an edited or removed migration stops every installation that already applied it. This test
//! pins the checksum of each released migration and needs no database.

use std::fmt::Write as _;
use std::path::Path;

use sqlx::migrate::{Migration, Migrator};

/// Every migration in `main`, by version, with sqlx's checksum of its file as hex.
/// A new migration gets a version above every one here and is added here once it is final.
const RELEASED: &[(i64, &str)] = &[
    (
        1,
        "d438dab47e41d4ad6bd8fc4e6350f9e63f8a3a56250b41e94a6d42246208c210d4aa7aee92b80e52762e1f853cc2342d",
    ),
    // Edited once after it was added (commit 4af879d); this is the edited file, as in `main`.
    (
        3,
        "29d583551ea873d53db38aae4c12998fbe4138125eb385100abcc7d07bfb63b627a242f07dea5663423a45fdf635768f",
    ),
    (
        4,
        "cde4277691fe7e43fae2fc20551cac54c08bc76142f007adefb2210b745a7b6a0e9f73db24aeb522f28f55732f056aa0",
    ),
    (
        5,
        "9e658c0435e9275cd79109fc5ac4fff8e8f14f1fad3b51057e0f8710291dfe83993f596311a3d1fdfb20cc011f8a0118",
    ),
    (
        6,
        "645d16a087af7586031a95fa684797ad2036787afd3b553b53868fc37912298dc4a73eda3a31cf3bc649b4978fe4568c",
    ),
    (
        7,
        "360d774ee8c4eb71cfc5da8cf3eab91b782461845735a49b216f1be4eccc9ad88d4cfb68b4f4b9f486236b478e7d3b45",
    ),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Why `migrations` (from `source`) break the rule, one line per problem.
fn problems(source: &str, migrations: &[Migration]) -> Vec<String> {
    let mut out = Vec::new();
    let newest_released = RELEASED.iter().map(|(v, _)| *v).max().unwrap_or(0);
    for (version, pinned) in RELEASED {
        match migrations.iter().find(|m| m.version == *version) {
            None => out.push(format!(
                "{source}: migration {version:04} was removed after it was released; databases \
                 that applied it refuse to start. Restore it and add a new migration instead"
            )),
            Some(m) if hex(&m.checksum) != *pinned => out.push(format!(
                "{source}: migration {version:04} changed after it was released; add a new \
                 migration instead (databases that applied it refuse to start)"
            )),
            Some(_) => {}
        }
    }
    for m in migrations {
        if RELEASED.iter().any(|(v, _)| *v == m.version) {
            continue;
        }
        if m.version < newest_released {
            // sqlx applies a missing lower version after the newer ones on an existing database,
            // but in number order on a new one: the two would end up with different histories.
            out.push(format!(
                "{source}: migration {:04} is numbered below released migration \
                 {newest_released:04}; numbers are never reused, use one above it",
                m.version
            ));
        } else {
            out.push(format!(
                "{source}: migration {:04} ({}) is not in RELEASED of \
                 shared/tests/migrations_frozen.rs; once it is final, add ({}, \"{}\")",
                m.version,
                m.description,
                m.version,
                hex(&m.checksum)
            ));
        }
    }
    out
}

fn assert_frozen(source: &str, migrations: &[Migration]) {
    let found = problems(source, migrations);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn embedded_migrations_match_the_released_ones() {
    // What the binaries carry and apply.
    assert_frozen("embedded", &shared::db::MIGRATOR.migrations);
}

#[tokio::test]
async fn migration_files_match_the_released_ones() {
    // Read from disk as well: `sqlx::migrate!` notices an edited file at the next build, but not
    // a file added since the crate was last compiled.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let on_disk = Migrator::new(dir.as_path())
        .await
        .expect("migrations/ resolves");
    assert_frozen("migrations/", &on_disk.migrations);
}

#[test]
fn the_messages_name_the_migration_and_the_remedy() {
    let migrator = &shared::db::MIGRATOR;
    let mut edited: Vec<Migration> = migrator.migrations.to_vec();
    for m in &mut edited {
        if m.version == 3 {
            m.checksum = vec![0; 48].into();
        }
    }
    assert_eq!(
        problems("x", &edited),
        vec![
            "x: migration 0003 changed after it was released; add a new migration instead \
             (databases that applied it refuse to start)"
        ]
    );

    let removed: Vec<Migration> = migrator
        .migrations
        .iter()
        .filter(|m| m.version != 1)
        .cloned()
        .collect();
    assert!(problems("x", &removed)[0].contains("migration 0001 was removed"));

    let mut reused = migrator.migrations.to_vec();
    let mut two = reused[0].clone();
    two.version = 2;
    reused.push(two);
    assert!(problems("x", &reused)[0].contains("numbers are never reused"));

    let mut added = migrator.migrations.to_vec();
    let mut next = added[0].clone();
    next.version = RELEASED.iter().map(|(v, _)| *v).max().unwrap() + 1;
    let want = format!("add ({}, \"d438dab4", next.version);
    added.push(next);
    let p = problems("x", &added);
    assert!(p[0].contains(&want), "{p:?}");
}
