//! Roles (client < master < admin) and who may run what. The role is computed on the server
//! for every update — admins from `BOT_ADMIN_IDS`, masters from an active `masters` row — and
//! checked before any command or button runs. Ownership (whose booking, whose block) is
//! checked where the row is read, in [`crate::booking`] and [`crate::schedule`].

/// A caller's role; the order is the privilege order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Anyone who has written to the bot.
    Client,
    /// A user with an active `masters` row.
    Master,
    /// A Telegram id listed in `BOT_ADMIN_IDS`.
    Admin,
}

impl Role {
    /// The role of a user.
    pub fn of(is_admin: bool, is_master: bool) -> Self {
        if is_admin {
            Self::Admin
        } else if is_master {
            Self::Master
        } else {
            Self::Client
        }
    }

    /// Lower-case name, as logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Master => "master",
            Self::Admin => "admin",
        }
    }
}

/// Who sent the update, as the database and configuration know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// `users.id`.
    pub user_id: i64,
    /// Telegram user id (64-bit).
    pub telegram_id: i64,
    /// Where replies go.
    pub chat_id: i64,
    /// Computed role.
    pub role: Role,
    /// The caller's active `masters.id`, if any (an admin may also be a master).
    pub master_id: Option<i64>,
    /// That master's time zone, read with the role.
    pub master_tz: Option<chrono_tz::Tz>,
}

/// The role a command needs.
pub fn required_role(command: &str) -> Role {
    match command {
        "agenda" | "hours" | "block" | "blocks" | "unblock" | "timezone" => Role::Master,
        "addmaster" | "removemaster" => Role::Admin,
        _ => Role::Client,
    }
}

/// A refusal by role, with the polite sentence to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The sentence for the user.
    pub message: String,
}

/// Checks that `actor` may run `command` at all. Master commands act on the caller's own
/// master profile, so they also need one (an admin without a profile is refused too).
pub fn authorize(actor: &Actor, command: &str) -> Result<(), Denial> {
    match required_role(command) {
        Role::Client => Ok(()),
        Role::Master if actor.master_id.is_some() => Ok(()),
        Role::Master => Err(Denial {
            message: format!(
                "Sorry, /{command} is for masters, and you do not have an active master profile."
            ),
        }),
        Role::Admin if actor.role == Role::Admin => Ok(()),
        Role::Admin => Err(Denial {
            message: format!("Sorry, /{command} is only for admins."),
        }),
    }
}

/// The commands `actor` may use, one per line.
pub fn help_text(actor: &Actor) -> String {
    let mut text = String::from("Commands you can use:");
    for (name, usage) in crate::commands::USAGE {
        let needed = required_role(name);
        let allowed = match needed {
            Role::Client => true,
            Role::Master => actor.master_id.is_some(),
            Role::Admin => actor.role == Role::Admin,
        };
        if allowed {
            text.push('\n');
            text.push_str(usage);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, master_id: Option<i64>) -> Actor {
        Actor {
            user_id: 1,
            telegram_id: 5_000_000_000,
            chat_id: 5_000_000_000,
            role,
            master_id,
            master_tz: master_id.map(|_| chrono_tz::Tz::UTC),
        }
    }

    #[test]
    fn each_role_reaches_exactly_its_commands() {
        let client = actor(Role::Client, None);
        let master = actor(Role::Master, Some(3));
        let admin = actor(Role::Admin, None);
        assert!(authorize(&client, "book").is_ok());
        assert!(authorize(&client, "agenda").is_err());
        assert!(authorize(&client, "addmaster").is_err());
        assert!(authorize(&master, "hours").is_ok());
        assert!(authorize(&master, "removemaster").is_err());
        assert!(authorize(&admin, "addmaster").is_ok());
        assert!(authorize(&admin, "block").is_err());
        assert!(Role::Client < Role::Master && Role::Master < Role::Admin);
    }
}
