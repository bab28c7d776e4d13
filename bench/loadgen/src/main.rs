//! A load generator for `bench/run`: POSTs unique Telegram updates (each a `/book` of a
//! distinct free slot by a rotating client) to bot-api's webhook.
//!
//! Why not wrk or oha alone: every request must carry a unique `update_id` and a different
//! slot (a repeated update is a cheap duplicate, a repeated slot a cheap refusal), and the
//! latency target is at a fixed arrival rate. Latency is measured from each request's
//! *scheduled* send time in `--rate` mode, so a stalled server cannot hide its queueing
//! (no coordinated omission).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::sync::Mutex;

/// Command line.
#[derive(Debug, Parser)]
struct Args {
    /// Webhook URL, e.g. http://127.0.0.1:8080/telegram/webhook
    #[arg(long)]
    url: String,
    /// X-Telegram-Bot-Api-Secret-Token value.
    #[arg(long, env = "TELEGRAM_WEBHOOK_SECRET", hide_env_values = true)]
    secret: String,
    /// Master ids to book with (comma-separated).
    #[arg(long, value_delimiter = ',')]
    masters: Vec<i64>,
    /// First day that may be booked (YYYY-MM-DD, master's local date).
    #[arg(long)]
    first_day: chrono::NaiveDate,
    /// Number of days, starting at first_day.
    #[arg(long, default_value_t = 50)]
    days: i64,
    /// First bookable hour of a day (working hours must cover [hour_from, hour_to)).
    #[arg(long, default_value_t = 8)]
    hour_from: i64,
    /// End hour (exclusive).
    #[arg(long, default_value_t = 20)]
    hour_to: i64,
    /// Telegram id of the first client; each client books up to `per_client` slots.
    #[arg(long, default_value_t = 500_000_000)]
    client_base: i64,
    /// Bookings per client (stay under the bot's active-booking limit).
    #[arg(long, default_value_t = 4)]
    per_client: i64,
    /// First update_id; request i uses update_base + i.
    #[arg(long)]
    update_base: i64,
    /// Message text; `{master}`, `{day}`, `{hour}` are filled per request.
    #[arg(long, default_value = "/book {master} {day} {hour}")]
    text: String,
    /// Index of the first request (to continue a slot sequence across runs).
    #[arg(long, default_value_t = 0)]
    start_index: u64,
    /// Closed loop: this many concurrent connections, each sending back-to-back.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Open loop: fixed arrival rate in requests/s (overrides closed-loop mode).
    #[arg(long)]
    rate: Option<u64>,
    /// Run time in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

struct Plan {
    args: Args,
    slots_per_master: i64,
}

impl Plan {
    /// The update body of request `i`: a unique update id, slot and client.
    fn body(&self, i: u64) -> String {
        let a = &self.args;
        let i = i as i64 + a.start_index as i64;
        let m = a.masters.len() as i64;
        let master = a.masters[(i % m) as usize];
        let slot = (i / m) % self.slots_per_master;
        let hours = a.hour_to - a.hour_from;
        let day = a.first_day + chrono::Duration::days(slot / hours);
        let hour = a.hour_from + slot % hours;
        let client = a.client_base + i / a.per_client;
        let update_id = a.update_base + i;
        serde_json::json!({
            "update_id": update_id,
            "message": {
                "message_id": update_id % 1_000_000, "date": 0,
                "from": {"id": client, "is_bot": false, "first_name": "Load"},
                "chat": {"id": client, "type": "private"},
                "text": a.text
                    .replace("{master}", &master.to_string())
                    .replace("{day}", &day.to_string())
                    .replace("{hour}", &format!("{hour:02}:00")),
            }
        })
        .to_string()
    }
}

#[derive(Default)]
struct Stats {
    latencies_us: Vec<u64>,
    ok: u64,
    non_2xx: u64,
    errors: u64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(!args.masters.is_empty(), "--masters is empty");
    let slots_per_master = args.days * (args.hour_to - args.hour_from);
    let plan = Arc::new(Plan {
        args,
        slots_per_master,
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(10))
        .build()?;
    let stats = Arc::new(Mutex::new(Stats::default()));
    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(plan.args.seconds);
    let started = Instant::now();

    if let Some(rate) = plan.args.rate {
        let interval = Duration::from_nanos(1_000_000_000 / rate.max(1));
        let mut tasks = Vec::new();
        let mut i = 0u64;
        while Instant::now() < deadline {
            let scheduled = started + interval * i as u32;
            tokio::time::sleep_until(scheduled.into()).await;
            let (plan, client, stats) = (plan.clone(), client.clone(), stats.clone());
            tasks.push(tokio::spawn(async move {
                send(&plan, &client, &stats, i, scheduled).await
            }));
            i += 1;
        }
        for t in tasks {
            let _ = t.await;
        }
    } else {
        let mut tasks = Vec::new();
        for _ in 0..plan.args.connections {
            let (plan, client, stats, next) =
                (plan.clone(), client.clone(), stats.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    send(&plan, &client, &stats, i, Instant::now()).await;
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut s = stats.lock().await;
    s.latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if s.latencies_us.is_empty() {
            return 0.0;
        }
        let idx = ((s.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        s.latencies_us[idx] as f64 / 1000.0
    };
    let out = serde_json::json!({
        "requests": s.latencies_us.len(),
        "ok": s.ok, "non_2xx": s.non_2xx, "errors": s.errors,
        "seconds": elapsed,
        "rps": s.ok as f64 / elapsed,
        "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": pct(1.0),
        "next_index": plan.args.start_index + next.load(Ordering::Relaxed).max(s.latencies_us.len() as u64),
    });
    println!("{out}");
    Ok(())
}

async fn send(plan: &Plan, client: &reqwest::Client, stats: &Mutex<Stats>, i: u64, from: Instant) {
    let res = client
        .post(&plan.args.url)
        .header("content-type", "application/json")
        .header("x-telegram-bot-api-secret-token", &plan.args.secret)
        .body(plan.body(i))
        .send()
        .await;
    let us = from.elapsed().as_micros() as u64;
    let mut s = stats.lock().await;
    s.latencies_us.push(us);
    match res {
        Ok(r) if r.status().is_success() => s.ok += 1,
        Ok(_) => s.non_2xx += 1,
        Err(_) => s.errors += 1,
    }
}
