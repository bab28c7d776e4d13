//! What handling one update produces besides its reads: the write its last statement makes
//! ([`Write`]), the outgoing Bot API calls enqueued by that same statement, and the events to
//! emit once it has committed.
//!
//! A command decides and words everything before that statement runs. Where the statement can
//! still reach more than one outcome (the slot was taken meanwhile, the client reached the
//! limit), the command prepares the replies and events of each under [`Effects::on`]; the
//! statement enqueues those of the outcome it reached and [`Effects::settle`] keeps its events.

use serde_json::Value;

use crate::events::access::RbacDeny;
use crate::events::booking::{BookingCancelled, BookingCreated, BookingFailed, ScheduleUpdated};
use crate::metrics::Metrics;
use crate::outbox::Outgoing;
use crate::writes::Write;

/// One event waiting for the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `rbac_deny`.
    Deny(RbacDeny),
    /// `booking_created`.
    Created(BookingCreated),
    /// `booking_failed`.
    Failed(BookingFailed),
    /// `booking_cancelled`.
    Cancelled(BookingCancelled),
    /// `schedule_updated`.
    Schedule(ScheduleUpdated),
}

impl Event {
    /// Logs the event and moves its metric.
    pub fn emit(&self, metrics: &Metrics) {
        match self {
            Self::Deny(e) => e.emit(metrics),
            Self::Created(e) => e.emit(metrics),
            Self::Failed(e) => e.emit(metrics),
            Self::Cancelled(e) => e.emit(metrics),
            Self::Schedule(e) => e.emit(metrics),
        }
    }
}

/// The outcome an item belongs to; `None`: whatever the outcome.
type Tag = Option<&'static str>;

/// The collected effects of one update.
#[derive(Debug, Clone)]
pub struct Effects {
    /// The caller's chat, where replies go.
    pub chat_id: i64,
    /// Bot API calls to enqueue, each with its outcome.
    out: Vec<(Tag, Outgoing)>,
    /// Events to emit after the commit, each with its outcome.
    events: Vec<(Tag, Event)>,
    /// The outcome what is added now belongs to.
    branch: Tag,
    /// The write the last statement makes; `None`: it only records the update and enqueues.
    pub write: Option<Write>,
}

impl Effects {
    /// Starts the effects of an update from `chat_id`; a button press is answered first
    /// (`answerCallbackQuery`), as Telegram expects for every press.
    pub fn new(chat_id: i64, callback_query_id: Option<&str>) -> Self {
        let mut out = Vec::with_capacity(4);
        if let Some(id) = callback_query_id {
            out.push((
                None,
                Outgoing {
                    chat_id,
                    method: "answerCallbackQuery",
                    payload: serde_json::json!({ "callback_query_id": id }),
                },
            ));
        }
        Self {
            chat_id,
            out,
            events: Vec::new(),
            branch: None,
            write: None,
        }
    }

    /// Sets the write of the update's last statement.
    pub fn write(&mut self, write: Write) {
        self.write = Some(write);
    }

    /// What is added from now on happens only if the write reaches `outcome`.
    pub fn on(&mut self, outcome: &'static str) {
        self.branch = Some(outcome);
    }

    /// A text reply to the caller.
    pub fn reply(&mut self, text: impl Into<String>) {
        self.push(Outgoing::message(self.chat_id, text, None));
    }

    /// A reply with an inline keyboard (`None` when there are no buttons).
    pub fn reply_with(&mut self, text: impl Into<String>, keyboard: Option<Value>) {
        self.push(Outgoing::message(self.chat_id, text, keyboard));
    }

    /// A message to someone else (the other party of a booking).
    pub fn notify(&mut self, chat_id: i64, text: impl Into<String>) {
        self.push(Outgoing::message(chat_id, text, None));
    }

    fn push(&mut self, o: Outgoing) {
        self.out.push((self.branch, o));
    }

    /// An event to emit after the commit.
    pub fn event(&mut self, event: Event) {
        self.events.push((self.branch, event));
    }

    /// The calls as the update functions take them: `[{chat_id, method, payload, tag}]`.
    pub fn outbox_json(&self) -> Value {
        Value::Array(
            self.out
                .iter()
                .map(|(tag, o)| {
                    serde_json::json!({
                        "chat_id": o.chat_id, "method": o.method, "payload": o.payload, "tag": tag,
                    })
                })
                .collect(),
        )
    }

    /// The calls that `outcome` enqueues, in order.
    pub fn outgoing(&self, outcome: &str) -> impl Iterator<Item = &Outgoing> {
        self.out
            .iter()
            .filter(move |(t, _)| t.is_none_or(|t| t == outcome))
            .map(|(_, o)| o)
    }

    /// The events of `outcome`, in order.
    pub fn settle(self, outcome: &str) -> impl Iterator<Item = Event> {
        self.events
            .into_iter()
            .filter(move |(t, _)| t.is_none_or(|t| t == outcome))
            .map(|(_, e)| e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::booking::{FailureReason, ScheduleUpdated};

    fn schedule(action: &'static str) -> Event {
        Event::Schedule(ScheduleUpdated {
            action,
            outcome: "success",
            master_id: None,
            actor_telegram_id: 1,
        })
    }

    #[test]
    fn untagged_items_belong_to_every_outcome_and_tagged_ones_to_theirs() {
        let mut fx = Effects::new(5, Some("q1"));
        fx.event(schedule("always"));
        fx.on("booked");
        fx.reply("Booked");
        fx.notify(9, "New booking");
        fx.event(schedule("booked"));
        fx.on("taken");
        fx.reply("Taken");
        fx.event(Event::Failed(BookingFailed {
            reason: FailureReason::Taken,
            master_id: None,
            client_telegram_id: 1,
        }));
        let methods = |o: &str| -> Vec<(i64, &str)> {
            fx.outgoing(o).map(|m| (m.chat_id, m.method)).collect()
        };
        assert_eq!(
            methods("booked"),
            [
                (5, "answerCallbackQuery"),
                (5, "sendMessage"),
                (9, "sendMessage")
            ]
        );
        assert_eq!(
            methods("taken"),
            [(5, "answerCallbackQuery"), (5, "sendMessage")]
        );
        assert_eq!(methods("duplicate"), [(5, "answerCallbackQuery")]);
        let json = fx.outbox_json();
        assert_eq!(json.as_array().map(Vec::len), Some(4));
        assert_eq!(json[0]["tag"], Value::Null);
        assert_eq!(json[3]["tag"], "taken");
        let events: Vec<Event> = fx.settle("booked").collect();
        assert_eq!(events, [schedule("always"), schedule("booked")]);
    }
}
