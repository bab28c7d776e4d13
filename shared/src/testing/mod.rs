//! Test harness: every test that needs a database gets a fresh one on a real PostgreSQL.
//!
//! When `DATABASE_URL` is set, databases are created on that server; otherwise one throwaway
//! [`Cluster`] per test process is started on first use (see [`cluster`]). Tests that need
//! to stop and start a server (outage tests) start a [`Cluster`] of their own.
//!
//! Also: [`settings`] (every env-backed setting, empty, parses as if unset), [`env_file`]
//! (`compose/.env.example` as the start-up tests read it), [`eventually`] (the one poll loop),
//! [`prom`] (scrape samples and `promtool`) and [`telegram`] (the Bot API stand-in).

mod cluster;
pub mod env_file;
mod eventually;
pub mod prom;
pub mod round_trips;
pub mod settings;
pub mod telegram;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use secrecy::SecretString;
use sqlx::{Connection, PgConnection, PgPool};

pub use cluster::{Cluster, SUPERUSER, server_bindir};
pub use eventually::eventually;

/// The server tests create their databases on.
#[derive(Debug)]
pub enum Server {
    /// The one given by `DATABASE_URL`.
    External(String),
    /// A throwaway cluster owned by this test process.
    Throwaway(Cluster),
}

impl Server {
    /// URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        match self {
            Server::Throwaway(c) => c.url(db),
            Server::External(base) => replace_db(base, db),
        }
    }
}

fn replace_db(url: &str, db: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let after_scheme = head.find("://").map_or(0, |i| i + 3);
    let base = match head[after_scheme..].find('/') {
        Some(i) => &head[..after_scheme + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// The process-wide server: `DATABASE_URL`'s, or a throwaway cluster started on first use.
pub fn server() -> &'static Server {
    SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Server::External(url),
        _ => Server::Throwaway(
            Cluster::start_new().expect("starting a throwaway PostgreSQL cluster"),
        ),
    })
}

/// A fresh, migrated database for one test.
#[derive(Debug)]
pub struct TestDb {
    /// Pool on the database (bounded, like production).
    pub pool: PgPool,
    /// The database's name.
    pub name: String,
    /// Full connection URL, password included.
    pub url: String,
}

impl TestDb {
    /// The URL as the secret type the binaries' config takes.
    pub fn secret_url(&self) -> SecretString {
        SecretString::from(self.url.clone())
    }
}

/// Creates an empty database (no migrations) on the process-wide server.
pub async fn empty_db() -> (String, String) {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "t_{}_{}_{:06x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>() & 0xff_ffff
    );
    let srv = tokio::task::spawn_blocking(server)
        .await
        .expect("server init");
    create_database(&srv.url("postgres"), &name).await;
    (name.clone(), srv.url(&name))
}

/// Creates database `name` through the maintenance database at `admin_url`.
pub async fn create_database(admin_url: &str, name: &str) {
    let mut conn = PgConnection::connect(admin_url)
        .await
        .expect("connecting to the test server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE \"{name}\" TEMPLATE template0"
    )))
    .execute(&mut conn)
    .await
    .expect("creating a test database");
    let _ = conn.close().await;
}

/// A fresh database with every migration applied.
pub async fn test_db() -> TestDb {
    let (name, url) = empty_db().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(20)
        .connect(&url)
        .await
        .expect("connecting to the test database");
    crate::db::migrate(&pool).await.expect("migrations apply");
    TestDb { pool, name, url }
}

#[cfg(test)]
mod tests {
    use super::replace_db;

    #[test]
    fn replace_db_keeps_credentials_host_and_query() {
        assert_eq!(
            replace_db("postgres://u:p@h:5/app?sslmode=disable", "x"),
            "postgres://u:p@h:5/x?sslmode=disable"
        );
        assert_eq!(replace_db("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
