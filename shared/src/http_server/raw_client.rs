//! A deliberately bad HTTP client for the servers' tests (feature `testing`): it writes raw
//! bytes (half a head, part of a body) on a real socket and reads what comes back, with every
//! wait bounded.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Half a request head: the request line and one header, no blank line.
pub const HALF_HEAD: &[u8] = b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\n";

/// One raw connection.
#[derive(Debug)]
pub struct RawClient {
    stream: TcpStream,
    read: Vec<u8>,
}

/// How a wait for the server ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server closed the connection (EOF or reset) after this long.
    Closed(Duration),
    /// Nothing (or not enough) arrived in time.
    TimedOut,
}

impl RawClient {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        Ok(Self {
            stream: TcpStream::connect(addr).await?,
            read: Vec::new(),
        })
    }

    /// Connects and writes `bytes`.
    pub async fn send_to(addr: SocketAddr, bytes: &[u8]) -> std::io::Result<Self> {
        let mut c = Self::connect(addr).await?;
        c.send(bytes).await?;
        Ok(c)
    }

    /// Writes `bytes`.
    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Waits up to `within` for the server to close the connection, discarding what it sends.
    pub async fn closed_within(&mut self, within: Duration) -> Outcome {
        let start = Instant::now();
        let mut buf = [0u8; 4096];
        let read_all = async {
            loop {
                match self.stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return start.elapsed(),
                    Ok(_) => {}
                }
            }
        };
        match tokio::time::timeout(within, read_all).await {
            Ok(after) => Outcome::Closed(after),
            Err(_) => Outcome::TimedOut,
        }
    }

    /// The next whole response (head and a `Content-Length` body) within `within`, as text;
    /// `None` when it did not arrive in time or the connection closed first.
    pub async fn response_within(&mut self, within: Duration) -> Option<String> {
        tokio::time::timeout(within, self.next_response())
            .await
            .ok()
            .flatten()
    }

    async fn next_response(&mut self) -> Option<String> {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(len) = complete_response(&self.read) {
                let rest = self.read.split_off(len);
                let resp = std::mem::replace(&mut self.read, rest);
                return Some(String::from_utf8_lossy(&resp).into_owned());
            }
            match self.stream.read(&mut buf).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.read.extend_from_slice(&buf[..n]),
            }
        }
    }
}

/// The length of the first complete response in `bytes`, if there is one.
fn complete_response(bytes: &[u8]) -> Option<usize> {
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    let body_len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    (bytes.len() >= head_end + body_len).then_some(head_end + body_len)
}

/// The status code of a response's text.
pub fn status(response: &str) -> Option<u16> {
    response.split_whitespace().nth(1)?.parse().ok()
}
