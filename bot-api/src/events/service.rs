//! `service_started`, `webhook_rejected` (TODO(bot-edge)).
