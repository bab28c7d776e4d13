//! The drill's scratch database: created from `template0` with a unique name derived from the
//! backup id, dropped (`WITH (FORCE)`) whatever happened. Leftovers of a killed drill of this
//! folder's backups are dropped before a new one is created.

use std::path::Path;

use anyhow::Context;
use sqlx::{Connection, PgConnection};

use crate::events::restore::ScratchDatabaseDropped;
use crate::manifest;
use crate::pgtools::PgTarget;

/// Name prefix of every scratch database of backup `id`.
fn prefix(id: &str) -> String {
    format!("ops_verify_{}_", id.to_ascii_lowercase().replace('-', "_"))
}

/// A created scratch database and the maintenance connection that will drop it.
#[derive(Debug)]
pub struct Scratch {
    admin: PgConnection,
    name: String,
    target: PgTarget,
}

impl Scratch {
    /// Drops stale scratch databases of `dir`'s backups (the caller holds the drill lock), then
    /// creates a fresh one for backup `id`.
    pub async fn create(source: &PgTarget, dir: &Path, id: &str) -> anyhow::Result<Self> {
        let mut admin = PgConnection::connect_with(&source.with_database("postgres").options)
            .await
            .context("connecting to the maintenance database `postgres`")
            .context(crate::exit::Unavailable(
                "the database server is unreachable".into(),
            ))?;
        drop_stale(&mut admin, dir).await?;
        let name = format!("{}{:08x}", prefix(id), rand::random::<u32>());
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

    /// Drops the database, ending any session still in it.
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

async fn drop_stale(admin: &mut PgConnection, dir: &Path) -> anyhow::Result<()> {
    let prefixes: Vec<String> = manifest::list(dir)?.iter().map(|e| prefix(&e.id)).collect();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'ops_verify_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .context("listing scratch databases")?;
    for name in names {
        if prefixes.iter().any(|p| name.starts_with(p.as_str())) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut *admin)
            .await
            .with_context(|| format!("dropping stale scratch database {name}"))?;
            ScratchDatabaseDropped { database: &name }.emit();
        }
    }
    Ok(())
}
