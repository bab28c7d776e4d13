//! The integrity checks run on a restored database, each one line with its figures.
//!
//! A check that cannot even run (its query fails) is a failed check, not an abort: the report
//! should show everything that is wrong with a restore at once.

mod ids;

pub use ids::{CheckId, CheckResult};

use sqlx::PgConnection;

use crate::backup::COUNTED_TABLES;
use crate::manifest::Manifest;

use ids::{failed, result};

/// Foreign keys of the schema: (child table, column, parent table).
const FOREIGN_KEYS: [(&str, &str, &str); 5] = [
    ("masters", "user_id", "users"),
    ("bookings", "master_id", "masters"),
    ("bookings", "client_id", "users"),
    ("availability_blocks", "master_id", "masters"),
    ("working_hours", "master_id", "masters"),
];

/// Tables whose `id` comes from a sequence that must be ahead of the data.
const SEQUENCED_TABLES: [&str; 5] = [
    "users",
    "masters",
    "bookings",
    "availability_blocks",
    "outbox",
];

/// Runs every check on `conn` against what `manifest` recorded.
pub async fn run_all(conn: &mut PgConnection, manifest: &Manifest) -> Vec<CheckResult> {
    let mut out = vec![tables_exist(conn).await];
    out.push(row_counts(conn, manifest).await);
    out.push(orphans(conn).await);
    out.push(overlaps(conn).await);
    out.push(constraint_and_indexes(conn, manifest).await);
    out.push(sequences(conn).await);
    out.push(rolled_back_write(conn).await);
    out
}

async fn tables_exist(conn: &mut PgConnection) -> CheckResult {
    let id = CheckId::TablesExist;
    let found: Result<Vec<String>, _> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' \
         AND tablename = ANY($1) ORDER BY 1",
    )
    .bind(COUNTED_TABLES.to_vec())
    .fetch_all(&mut *conn)
    .await;
    match found {
        Ok(found) => {
            let missing: Vec<_> = COUNTED_TABLES
                .iter()
                .filter(|t| !found.iter().any(|f| f == *t))
                .collect();
            result(
                id,
                missing.is_empty(),
                format!(
                    "{}/{} present; missing: {missing:?}",
                    found.len(),
                    COUNTED_TABLES.len()
                ),
            )
        }
        Err(e) => failed(id, &e),
    }
}

async fn row_counts(conn: &mut PgConnection, manifest: &Manifest) -> CheckResult {
    let id = CheckId::RowCounts;
    let mut parts = Vec::new();
    let mut ok = true;
    for table in COUNTED_TABLES {
        let expected = manifest.row_counts.get(table).copied();
        let got: Result<i64, _> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM public.{table}"
        )))
        .fetch_one(&mut *conn)
        .await;
        match (got, expected) {
            (Ok(g), Some(e)) => {
                ok &= g == e;
                parts.push(format!("{table} {g}/{e}"));
            }
            (Ok(g), None) => {
                ok = false;
                parts.push(format!("{table} {g}/not in manifest"));
            }
            (Err(e), _) => {
                ok = false;
                parts.push(format!("{table} unreadable ({e})"));
            }
        }
    }
    result(id, ok, format!("restored/manifest: {}", parts.join(", ")))
}

async fn orphans(conn: &mut PgConnection) -> CheckResult {
    let id = CheckId::NoOrphanedForeignKeys;
    let mut total = 0i64;
    let mut parts = Vec::new();
    for (child, col, parent) in FOREIGN_KEYS {
        let sql = format!(
            "SELECT count(*) FROM public.{child} c WHERE c.{col} IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM public.{parent} p WHERE p.id = c.{col})"
        );
        match sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
        {
            Ok(n) => {
                total += n;
                if n > 0 {
                    parts.push(format!("{child}.{col}: {n}"));
                }
            }
            Err(e) => return failed(id, &e),
        }
    }
    let detail = if parts.is_empty() {
        format!("0 orphans across {} references", FOREIGN_KEYS.len())
    } else {
        format!("{total} orphans: {}", parts.join(", "))
    };
    result(id, total == 0, detail)
}

async fn overlaps(conn: &mut PgConnection) -> CheckResult {
    let id = CheckId::NoOverlappingBookings;
    // One ordered pass per master (not a self-join): a booking overlaps an earlier one exactly
    // when it starts before the latest end among the bookings that start before it.
    let n: Result<i64, _> = sqlx::query_scalar(
        "SELECT count(*) FROM ( \
           SELECT starts_at, max(ends_at) OVER ( \
             PARTITION BY master_id ORDER BY starts_at, id \
             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end \
           FROM public.bookings WHERE status = 'confirmed') s \
         WHERE starts_at < prev_end",
    )
    .fetch_one(&mut *conn)
    .await;
    match n {
        Ok(n) => result(
            id,
            n == 0,
            format!("{n} confirmed bookings overlap an earlier one of their master"),
        ),
        Err(e) => failed(id, &e),
    }
}

async fn constraint_and_indexes(conn: &mut PgConnection, manifest: &Manifest) -> CheckResult {
    let id = CheckId::ConstraintsAndIndexes;
    let exclusion: Result<i64, _> = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint WHERE conname = 'bookings_no_overlap' AND contype = 'x'",
    )
    .fetch_one(&mut *conn)
    .await;
    let indexes: Result<Vec<String>, _> =
        sqlx::query_scalar("SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'")
            .fetch_all(&mut *conn)
            .await;
    match (exclusion, indexes) {
        (Ok(x), Ok(found)) => {
            let missing: Vec<_> = manifest
                .indexes
                .iter()
                .filter(|i| !found.contains(i))
                .collect();
            result(
                id,
                x == 1 && missing.is_empty() && !found.is_empty(),
                format!(
                    "bookings_no_overlap {}; indexes {}/{} of the manifest; missing: {missing:?}",
                    if x == 1 { "present" } else { "MISSING" },
                    manifest.indexes.len() - missing.len(),
                    manifest.indexes.len()
                ),
            )
        }
        (Err(e), _) | (_, Err(e)) => failed(id, &e),
    }
}

async fn sequences(conn: &mut PgConnection) -> CheckResult {
    let id = CheckId::SequencesAheadOfIds;
    let mut behind = Vec::new();
    for table in SEQUENCED_TABLES {
        let sql = format!(
            "SELECT (SELECT coalesce(max(id), 0) FROM public.{table}), \
                    (SELECT coalesce(s.last_value, 0) FROM pg_sequences s \
                      WHERE format('%I.%I', s.schemaname, s.sequencename)::regclass \
                          = pg_get_serial_sequence('public.{table}', 'id')::regclass)"
        );
        match sqlx::query_as::<_, (i64, Option<i64>)>(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
        {
            Ok((max_id, Some(seq))) if seq >= max_id => {}
            Ok((max_id, seq)) => {
                behind.push(format!("{table}: sequence {seq:?} < max(id) {max_id}"))
            }
            Err(e) => return failed(id, &e),
        }
    }
    let detail = if behind.is_empty() {
        format!("{} sequences ≥ max(id)", SEQUENCED_TABLES.len())
    } else {
        behind.join(", ")
    };
    result(id, behind.is_empty(), detail)
}

async fn rolled_back_write(conn: &mut PgConnection) -> CheckResult {
    let id = CheckId::RolledBackWrite;
    let probe: i64 = i64::MIN + i64::from(rand::random::<u32>());
    let outcome = async {
        sqlx::query("BEGIN").execute(&mut *conn).await?;
        let inserted: i64 = sqlx::query_scalar(
            "INSERT INTO public.users (telegram_id, chat_id, first_name) \
             VALUES ($1, $1, 'restore-verify') RETURNING id",
        )
        .bind(probe)
        .fetch_one(&mut *conn)
        .await?;
        Ok::<i64, sqlx::Error>(inserted)
    }
    .await;
    let rollback = sqlx::query("ROLLBACK").execute(&mut *conn).await;
    match (outcome, rollback) {
        (Ok(new_id), Ok(_)) => result(
            id,
            true,
            format!("insert into users got id {new_id}, rolled back"),
        ),
        (Err(e), _) | (_, Err(e)) => failed(id, &e),
    }
}
