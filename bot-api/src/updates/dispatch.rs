//! Routing a parsed command: the role check before the syntax check, the replies to what is
//! not a command, and the call of the module that owns each command.

use sqlx::PgConnection;

use super::context::BotContext;
use crate::commands::{Command, Parsed};
use crate::effects::{Effects, Event};
use crate::events::access::RbacDeny;
use crate::events::booking::{
    BookingFailed, BookingSystemFailure, FailureReason, SystemFailureReason,
};
use crate::rbac::{self, Actor};
use crate::{blocks, booking, browse, masters, schedule};

/// Authorises and runs one parsed command for `actor`, collecting its replies and events in
/// `fx`.
pub(super) async fn dispatch(
    ctx: &BotContext,
    conn: &mut PgConnection,
    actor: &Actor,
    parsed: Parsed,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let name = match &parsed {
        Parsed::NotACommand => {
            fx.reply("I understand commands only. Send /help to see what you can do.");
            return Ok(());
        }
        Parsed::Unknown => {
            fx.reply("I do not know that command. Send /help to see what you can do.");
            return Ok(());
        }
        Parsed::Command(c) => c.name(),
        Parsed::Malformed(m) => m.command,
    };
    // Role before syntax: a client learns nothing about the form of master commands.
    if let Err(denial) = rbac::authorize(actor, name) {
        fx.event(Event::Deny(RbacDeny {
            actor_telegram_id: actor.telegram_id,
            role: actor.role.as_str(),
            command: name,
        }));
        fx.reply(denial.message);
        return Ok(());
    }
    let cmd = match parsed {
        Parsed::Command(c) => c,
        Parsed::Malformed(m) => {
            if m.command == "book" {
                fx.event(Event::Failed(BookingFailed {
                    reason: FailureReason::InvalidInput,
                    master_id: None,
                    client_telegram_id: actor.telegram_id,
                }));
            }
            fx.reply(m.reply());
            return Ok(());
        }
        Parsed::NotACommand | Parsed::Unknown => return Ok(()),
    };
    run(ctx, conn, actor, cmd, fx).await
}

async fn run(
    ctx: &BotContext,
    conn: &mut PgConnection,
    actor: &Actor,
    cmd: Command,
    fx: &mut Effects,
) -> Result<(), sqlx::Error> {
    let rules = &ctx.rules;
    match cmd {
        Command::Start => {
            fx.reply(format!(
                "Welcome! You are registered as {}.\n\n{}",
                actor.role.as_str(),
                rbac::help_text(actor)
            ));
            Ok(())
        }
        Command::Help => {
            fx.reply(rbac::help_text(actor));
            Ok(())
        }
        Command::Masters => browse::masters(conn, fx).await,
        Command::PickDay { master_id } => browse::pick_day(conn, rules, master_id, fx).await,
        Command::Slots { master_id, date } => browse::slots(conn, rules, master_id, date, fx).await,
        Command::ConfirmPrompt {
            master_id,
            date,
            time,
            later,
        } => browse::confirm_prompt(conn, master_id, date, (time, later), fx).await,
        Command::Book {
            master_id,
            date,
            time,
            later,
        } => {
            let booked =
                booking::book(conn, rules, actor, master_id, date, (time, later), fx).await;
            if booked.is_err() {
                // The update rolls back and emits none of its events, but a booking that a
                // database error broke is what BookingFailureSpike watches for: count it now.
                BookingSystemFailure {
                    reason: SystemFailureReason::Database,
                }
                .emit(&ctx.metrics);
            }
            booked
        }
        Command::My => browse::my(conn, actor, fx).await,
        Command::Cancel { booking_id } => booking::cancel(conn, rules, actor, booking_id, fx).await,
        Command::Agenda { date } => browse::agenda(conn, actor, date, fx).await,
        Command::Hours { days, hours } => {
            schedule::hours(actor, days, hours, fx);
            Ok(())
        }
        Command::Block { date, range } => blocks::block(conn, actor, date, range, fx).await,
        Command::Blocks => blocks::blocks(conn, actor, fx).await,
        Command::Unblock { block_id } => blocks::unblock(conn, actor, block_id, fx).await,
        Command::Timezone { tz } => {
            schedule::timezone(actor, tz, fx);
            Ok(())
        }
        Command::AddMaster { telegram_id, name } => {
            masters::add_master(conn, rules, actor, telegram_id, &name, fx).await
        }
        Command::RemoveMaster { master_id, confirm } => {
            masters::remove_master(conn, actor, master_id, confirm, fx).await
        }
    }
}
