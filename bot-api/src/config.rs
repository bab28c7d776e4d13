//! bot-api configuration: every setting a clap flag with an environment fallback.
//! The doc comment of each field is its `--help` text. Secrets are [`SecretString`]s.

use std::collections::HashSet;
use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;
use shared::config::{DatabaseArgs, LogArgs};

mod http_limits;
pub use http_limits::HttpLimitsArgs;

/// Telegram booking bot for clients, masters and admins.
#[derive(Debug, Parser)]
#[command(name = "bot-api", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub log: LogArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve webhook/polling, health, readiness and metrics.
    Serve(ServeArgs),
    /// Talk to the bot from this terminal as a Telegram user, through the same update handler.
    Chat(ChatArgs),
    /// Apply pending migrations and exit.
    Migrate(MigrateArgs),
}

/// How updates arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Telegram POSTs updates to `/telegram/webhook`.
    Webhook,
    /// The bot long-polls `getUpdates`.
    Polling,
}

/// `bot-api serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub telegram: TelegramArgs,
    #[command(flatten)]
    pub bot: BotArgs,
    #[command(flatten)]
    pub http: HttpLimitsArgs,

    /// Address to listen on for webhook, health, readiness and metrics.
    #[arg(long, env = "BOT_API_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// How updates arrive: `webhook` or `polling`.
    #[arg(long, env = "BOT_MODE", value_enum, default_value = "webhook")]
    pub mode: Mode,

    /// Days a processed update's id is kept (the window in which a redelivery is recognised as
    /// a duplicate; Telegram gives up retrying after 24 h).
    #[arg(long, env = "BOT_RETAIN_PROCESSED_UPDATES_DAYS", default_value_t = 7,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub retain_processed_updates_days: u32,

    /// Days a sent or failed outbox message (with its text) is kept.
    #[arg(long, env = "BOT_RETAIN_OUTBOX_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub retain_outbox_days: u32,

    /// Serve the webhook without TELEGRAM_WEBHOOK_SECRET on an address that is not loopback:
    /// anyone who reaches it can post updates as any user. Logs a warning at start and hourly.
    #[arg(long, env = "BOT_INSECURE_OPEN_WEBHOOK", default_value_t = false)]
    pub insecure_open_webhook: bool,

    /// Turn off JSON logging of request/booking events and metrics collection (benchmarks only).
    #[arg(
        long,
        env = "BOT_OBSERVABILITY_OFF",
        default_value_t = false,
        hide = true
    )]
    pub observability_off: bool,
}

/// `bot-api chat --as <telegram_user_id>`.
#[derive(Debug, Clone, Args)]
pub struct ChatArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub bot: BotArgs,

    /// Telegram user id to act as (it is also the chat id).
    #[arg(long = "as", value_name = "TELEGRAM_USER_ID")]
    pub as_user: i64,
}

/// `bot-api migrate`.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
}

/// Talking to the Bot API.
#[derive(Debug, Clone, Args)]
pub struct TelegramArgs {
    /// Bot token from @BotFather. Unset: offline — replies are kept in the outbox, nothing is sent.
    #[arg(
        long = "telegram-bot-token",
        env = "TELEGRAM_BOT_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<SecretString>,

    /// Bot API base URL; requests go to `{base}/bot{token}/{method}`.
    #[arg(
        long = "telegram-api-base",
        env = "TELEGRAM_API_BASE",
        default_value = "https://api.telegram.org"
    )]
    pub api_base: String,

    /// The `secret_token` given to setWebhook; webhook requests must carry it in
    /// `X-Telegram-Bot-Api-Secret-Token`. Required in webhook mode when a bot token is set;
    /// in polling mode without it the webhook refuses every request; offline (no token)
    /// without it the webhook takes requests without the header, for local trials.
    #[arg(
        long = "telegram-webhook-secret",
        env = "TELEGRAM_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub webhook_secret: Option<SecretString>,

    /// Public HTTPS URL of this service's `/telegram/webhook`. When set (webhook mode with a
    /// token), `serve` registers it with setWebhook, with the secret, at start-up.
    #[arg(long = "telegram-webhook-url", env = "TELEGRAM_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
}

/// Who is an admin, and the booking rules. Shared by `serve` and `chat`.
#[derive(Debug, Clone, Args)]
pub struct BotArgs {
    /// Comma-separated Telegram user ids that are admins.
    #[arg(long = "admin-ids", env = "BOT_ADMIN_IDS", value_delimiter = ',', num_args = 0..)]
    pub admin_ids: Vec<i64>,

    #[command(flatten)]
    pub rules: BookingRules,

    #[command(flatten)]
    pub flood: FloodLimits,
}

/// Flood control: how many updates one user may send, and how many messages may wait for one
/// chat in the outbox.
#[derive(Debug, Clone, Copy, Args)]
pub struct FloodLimits {
    /// Updates per minute one user may send (admins exempt); beyond it updates are recorded as
    /// `throttled` and the user gets one "slow down" reply. 0 turns it off.
    #[arg(long, env = "BOT_USER_UPDATES_PER_MINUTE", default_value_t = 20)]
    pub user_updates_per_minute: u32,

    /// Updates one user may send at once before the per-minute rate applies.
    #[arg(long, env = "BOT_USER_BURST", default_value_t = 10)]
    pub user_burst: u32,

    /// Most messages waiting in the outbox for one chat; replies beyond it are dropped (logged
    /// as `outbox_chat_full`). 0 turns it off.
    #[arg(long, env = "BOT_OUTBOX_MAX_PENDING_PER_CHAT", default_value_t = 100)]
    pub outbox_max_pending_per_chat: u32,
}

impl Default for FloodLimits {
    fn default() -> Self {
        Self {
            user_updates_per_minute: 20,
            user_burst: 10,
            outbox_max_pending_per_chat: 100,
        }
    }
}

impl BotArgs {
    /// Admin ids as a set.
    pub fn admins(&self) -> HashSet<i64> {
        self.admin_ids.iter().copied().collect()
    }
}

/// Booking rules; every default can be changed.
#[derive(Debug, Clone, Args)]
pub struct BookingRules {
    /// Slot length in minutes for new masters.
    #[arg(long, env = "BOT_SLOT_MINUTES", default_value_t = 60)]
    pub slot_minutes: u32,

    /// Time zone (IANA) of new masters until they set their own.
    #[arg(long, env = "BOT_DEFAULT_TIME_ZONE", default_value = "Europe/Berlin", value_parser = parse_tz)]
    pub default_time_zone: chrono_tz::Tz,

    /// Minimum notice before a booking's start, in minutes.
    #[arg(long, env = "BOT_MIN_NOTICE_MINUTES", default_value_t = 60)]
    pub min_notice_minutes: u32,

    /// How far ahead bookings are taken, in days.
    #[arg(long, env = "BOT_HORIZON_DAYS", default_value_t = 60)]
    pub horizon_days: u32,

    /// Most active future bookings one client may hold.
    #[arg(long, env = "BOT_MAX_ACTIVE_BOOKINGS", default_value_t = 5)]
    pub max_active_bookings: u32,

    /// Clients may cancel up to this many minutes before the start.
    #[arg(long, env = "BOT_CANCEL_CUTOFF_MINUTES", default_value_t = 120)]
    pub cancel_cutoff_minutes: u32,

    /// The client's reminder is sent this many minutes before the start.
    #[arg(long, env = "BOT_REMINDER_MINUTES", default_value_t = 1440)]
    pub reminder_minutes: u32,
}

impl Default for BookingRules {
    fn default() -> Self {
        Self {
            slot_minutes: 60,
            default_time_zone: chrono_tz::Europe::Berlin,
            min_notice_minutes: 60,
            horizon_days: 60,
            max_active_bookings: 5,
            cancel_cutoff_minutes: 120,
            reminder_minutes: 1440,
        }
    }
}

fn parse_tz(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse::<chrono_tz::Tz>()
        .map_err(|_| format!("{s:?} is not an IANA time zone name (e.g. Europe/Berlin)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    /// Run by the test below in a child process; a no-op on its own.
    #[test]
    fn empty_env_probe_child() {
        shared::testing::settings::probe_child::<Cli>();
    }

    #[test]
    fn every_setting_set_empty_parses_as_if_unset() {
        let fixture = shared::testing::settings::Fixture {
            required_env: vec![("DATABASE_URL", "postgres://u:pw@127.0.0.1:1/db")],
            args: vec![("chat", vec!["--as", "1"])],
        };
        shared::testing::settings::assert_empty_means_unset::<Cli>(
            "config::tests::empty_env_probe_child",
            &fixture,
        );
    }
}
