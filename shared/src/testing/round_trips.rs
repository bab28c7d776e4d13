//! Counting round trips to PostgreSQL: a loopback proxy between a pool and the server that
//! reads what the client sends. Each exchange the client waits for ends with one `Sync` (the
//! extended protocol: a statement's Parse/Bind/Execute) or is one simple `Query` (`BEGIN`); a
//! `Sync` with nothing before it is a ping (sqlx's pool pings a connection as it is returned,
//! and before handing it out when `test_before_acquire` is on). Statements and pings are
//! counted apart: the statements are the round trips an update waits for, the figure issue 16
//! budgets per update kind, kept from growing back by a test.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A counting proxy in front of one server, and a pool connected through it.
pub struct RoundTrips {
    /// A pool whose every connection goes through the proxy.
    pub pool: PgPool,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    statements: AtomicU64,
    pings: AtomicU64,
}

impl RoundTrips {
    /// A proxy to the server of `url` (plain TCP; TLS would hide the messages) and a pool of
    /// `max_connections` through it, built like production's (`shared::db::pool`).
    pub async fn start(url: &str, max_connections: u32) -> Self {
        let opts: PgConnectOptions = url.parse().expect("a PostgreSQL URL");
        let upstream = format!("{}:{}", opts.get_host(), opts.get_port());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the counting proxy");
        let port = listener.local_addr().expect("the proxy's address").port();
        let counts = Arc::new(Counts::default());
        tokio::spawn(accept(listener, upstream, counts.clone()));
        let through = opts
            .host("127.0.0.1")
            .port(port)
            .ssl_mode(PgSslMode::Disable);
        let pool = crate::db::pool_options(max_connections).connect_lazy_with(through);
        Self { pool, counts }
    }

    /// Statement round trips so far (extended-protocol exchanges and simple queries).
    pub fn statements(&self) -> u64 {
        self.counts.statements.load(Ordering::SeqCst)
    }

    /// Pings so far (a `Sync` with nothing before it).
    pub fn pings(&self) -> u64 {
        self.counts.pings.load(Ordering::SeqCst)
    }
}

async fn accept(listener: TcpListener, upstream: String, counts: Arc<Counts>) {
    while let Ok((client, _)) = listener.accept().await {
        let Ok(server) = TcpStream::connect(&upstream).await else {
            continue;
        };
        tokio::spawn(relay(client, server, counts.clone()));
    }
}

/// Copies server→client as is, and client→server message by message, counting exchanges.
async fn relay(client: TcpStream, server: TcpStream, counts: Arc<Counts>) {
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    let down = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_rx, &mut client_tx).await;
        let _ = client_tx.shutdown().await;
    });
    // The start-up message has no type byte: a length that counts itself, then the body.
    let mut len = [0u8; 4];
    let mut body = Vec::new();
    if client_rx.read_exact(&mut len).await.is_ok() {
        body.resize((u32::from_be_bytes(len) as usize).saturating_sub(4), 0);
        if client_rx.read_exact(&mut body).await.is_ok()
            && server_tx.write_all(&len).await.is_ok()
            && server_tx.write_all(&body).await.is_ok()
        {
            // Then typed messages: a type byte and a length that counts itself.
            let mut head = [0u8; 5];
            let mut work = false;
            while client_rx.read_exact(&mut head).await.is_ok() {
                let n = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
                body.resize(n.saturating_sub(4), 0);
                if client_rx.read_exact(&mut body).await.is_err() {
                    break;
                }
                match head[0] {
                    b'Q' => {
                        counts.statements.fetch_add(1, Ordering::SeqCst);
                    }
                    b'S' if work => {
                        counts.statements.fetch_add(1, Ordering::SeqCst);
                        work = false;
                    }
                    b'S' => {
                        counts.pings.fetch_add(1, Ordering::SeqCst);
                    }
                    b'P' | b'B' | b'E' | b'D' | b'C' | b'H' => work = true,
                    _ => {}
                }
                if server_tx.write_all(&head).await.is_err()
                    || server_tx.write_all(&body).await.is_err()
                {
                    break;
                }
            }
        }
    }
    let _ = server_tx.shutdown().await;
    down.abort();
}
