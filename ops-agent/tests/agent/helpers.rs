//! The one harness of the ops-agent tests. Here: the test constants and scrape samples.
//! Below: [`bot_api`] is the bot-api stand-in, [`receiver`] the webhook receiver stand-in,
//! [`daemon`] the daemon under test on the `Clock` seam, [`notify`] alerts and receivers to
//! hand the notifier, [`seeded`] the seeded database, backup folder and misbehaving client
//! tools of the backup and restore tests. Shared with bot-api: `shared::testing` (databases,
//! `eventually`, `prom` with `promtool()`, and the Telegram Bot API stand-in `telegram`).

pub mod bot_api;
pub mod daemon;
pub mod notify;
pub mod receiver;
pub mod seeded;

pub use bot_api::FakeBotApi;
pub use daemon::{TestDaemon, probe_only};
pub use receiver::{FakeReceiver, is};

/// A database URL nobody connects to (nothing listens on port 1).
pub const UNUSED_DATABASE_URL: &str = "postgres://nobody:pw@127.0.0.1:1/none";
/// The bearer token of the webhook receivers under test.
pub const HOOK_BEARER: &str = "hook-s3cret";
/// A well-formed Telegram bot token; the Bot API stand-in is started expecting it.
pub const TOKEN: &str = "123456:ABCsecretTOKEN";
/// The part of [`TOKEN`] that must never appear in an error or a log.
pub const TOKEN_SECRET: &str = "ABCsecretTOKEN";
/// The chat the Telegram receiver under test writes to.
pub const CHAT_ID: &str = "-10042";
/// The agent's external URL in notifications.
pub const EXTERNAL_URL: &str = "http://agent:9187";
/// Debian's Alertmanager (package `prometheus-alertmanager`).
pub const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

/// The value of `series` (spelt as the scrape spells it, labels included) in `scrape`; panics
/// when it is missing, since the agent registers every series it exports from the start.
pub fn sample(scrape: &str, series: &str) -> f64 {
    shared::testing::prom::sample(scrape, series)
        .unwrap_or_else(|| panic!("{series} not in scrape:\n{scrape}"))
}
