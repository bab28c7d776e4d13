//! `rbac_deny`: a command refused because of the caller's role or ownership.

use crate::metrics::{GUARDED_COMMANDS, Metrics};

/// A refused command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RbacDeny {
    /// Telegram id of the caller.
    pub actor_telegram_id: i64,
    /// The caller's role (`client`, `master`, `admin`).
    pub role: &'static str,
    /// The command's name, without slash.
    pub command: &'static str,
}

impl RbacDeny {
    /// Logs the denial and counts it under its command.
    pub fn emit(&self, metrics: &Metrics) {
        tracing::warn!(
            event = "rbac_deny",
            actor_telegram_id = self.actor_telegram_id,
            role = self.role,
            command = self.command,
            "Command refused by role-based access"
        );
        // Label values stay in the fixed set; anything else cannot be denied by design.
        if GUARDED_COMMANDS.contains(&self.command) {
            metrics
                .rbac_denials
                .with_label_values(&[self.command])
                .inc();
        }
    }
}
