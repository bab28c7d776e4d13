//! The drill's scratch database: created from `template0` with a unique name derived from the
//! backup id, dropped (`WITH (FORCE)`) whatever happened.
//!
//! A live drill holds a session advisory lock on its scratch database's name, on the
//! maintenance connection it keeps open for the whole drill; the server releases it when that
//! connection ends, however the drill ends (`kill -9` included). So before creating its own,
//! every drill drops each `ops_verify_…` database whose lock it can take — leftovers of killed
//! drills of any folder or backup — and leaves alone those a live drill holds. (The folder's
//! `.verify.lock` keeps two drills of one folder apart; the advisory lock tells drills of other
//! folders on the same server.)

use anyhow::Context;
use sqlx::{Connection, PgConnection};

use crate::events::restore::ScratchDatabaseDropped;
use crate::pgtools::PgTarget;

/// Name prefix of every scratch database.
pub const SCRATCH_PREFIX: &str = "ops_verify_";

/// First key of the advisory locks on scratch names (`ops_` in ASCII); the second is
/// `hashtext(<name>)`.
pub const LOCK_CLASS: i32 = 0x6f70_735f;

/// Name prefix of every scratch database of backup `id`.
fn prefix(id: &str) -> String {
    format!(
        "{SCRATCH_PREFIX}{}_",
        id.to_ascii_lowercase().replace('-', "_")
    )
}

/// The maintenance connection of one drill (to `postgres` on the source's server).
#[derive(Debug)]
pub struct Admin(PgConnection);

impl Admin {
    /// Connects to the maintenance database `postgres`.
    pub async fn connect(source: &PgTarget) -> anyhow::Result<Self> {
        let conn = PgConnection::connect_with(&source.with_database("postgres").options)
            .await
            .context("connecting to the maintenance database `postgres`")
            .context(crate::exit::Unavailable(
                "the database server is unreachable".into(),
            ))?;
        Ok(Self(conn))
    }

    /// Drops every scratch database no live drill holds; returns their names.
    pub async fn drop_stale(&mut self) -> anyhow::Result<Vec<String>> {
        let conn = &mut self.0;
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1",
        )
        .bind(SCRATCH_PREFIX)
        .fetch_all(&mut *conn)
        .await
        .context("listing scratch databases")?;
        let mut dropped = Vec::new();
        for name in names {
            let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, hashtext($2))")
                .bind(LOCK_CLASS)
                .bind(&name)
                .fetch_one(&mut *conn)
                .await
                .context("testing a scratch database's lock")?;
            if !free {
                continue; // a live drill's
            }
            let result = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut *conn)
            .await;
            sqlx::query("SELECT pg_advisory_unlock($1, hashtext($2))")
                .bind(LOCK_CLASS)
                .bind(&name)
                .execute(&mut *conn)
                .await
                .context("releasing a scratch database's lock")?;
            result.with_context(|| format!("dropping stale scratch database {name}"))?;
            ScratchDatabaseDropped { database: &name }.emit();
            dropped.push(name);
        }
        Ok(dropped)
    }

    /// Closes the connection.
    pub async fn close(self) {
        let _ = self.0.close().await;
    }
}

/// A created scratch database and the maintenance connection that holds its lock and will
/// drop it.
#[derive(Debug)]
pub struct Scratch {
    admin: PgConnection,
    name: String,
    target: PgTarget,
}

impl Scratch {
    /// Takes the lock on a fresh name for backup `id`, then creates that database.
    pub async fn create(admin: Admin, source: &PgTarget, id: &str) -> anyhow::Result<Self> {
        let mut admin = admin.0;
        let name = format!("{}{:08x}", prefix(id), rand::random::<u32>());
        sqlx::query("SELECT pg_advisory_lock($1, hashtext($2))")
            .bind(LOCK_CLASS)
            .bind(&name)
            .execute(&mut admin)
            .await
            .context("locking the scratch database's name")?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE \"{name}\" TEMPLATE template0"
        )))
        .execute(&mut admin)
        .await
        .with_context(|| format!("creating scratch database {name}"))?;
        Ok(Self {
            admin,
            target: source.with_database(&name),
            name,
        })
    }

    /// Where to restore.
    pub fn target(&self) -> &PgTarget {
        &self.target
    }

    /// Drops the database, ending any session still in it; closing the connection releases
    /// the name's lock.
    pub async fn drop_now(mut self) -> anyhow::Result<()> {
        let result = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(&mut self.admin)
        .await;
        let _ = self.admin.close().await;
        result.with_context(|| format!("dropping scratch database {}", self.name))?;
        Ok(())
    }
}
