//! What handling one update produces besides its database writes: the outgoing Bot API calls
//! (enqueued in the update's transaction) and the events to emit once it has committed.

use serde_json::Value;

use crate::events::access::RbacDeny;
use crate::events::booking::{BookingCancelled, BookingCreated, BookingFailed, ScheduleUpdated};
use crate::metrics::Metrics;
use crate::outbox::Outgoing;

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

/// The collected effects of one update.
#[derive(Debug, Clone)]
pub struct Effects {
    /// The caller's chat, where replies go.
    pub chat_id: i64,
    /// Bot API calls to enqueue.
    pub out: Vec<Outgoing>,
    /// Events to emit after the commit.
    pub events: Vec<Event>,
}

impl Effects {
    /// Starts the effects of an update from `chat_id`; a button press is answered first
    /// (`answerCallbackQuery`), as Telegram expects for every press.
    pub fn new(chat_id: i64, callback_query_id: Option<&str>) -> Self {
        let mut out = Vec::with_capacity(3);
        if let Some(id) = callback_query_id {
            out.push(Outgoing {
                chat_id,
                method: "answerCallbackQuery",
                payload: serde_json::json!({ "callback_query_id": id }),
            });
        }
        Self {
            chat_id,
            out,
            events: Vec::new(),
        }
    }

    /// A text reply to the caller.
    pub fn reply(&mut self, text: impl Into<String>) {
        self.out.push(Outgoing::message(self.chat_id, text, None));
    }

    /// A reply with an inline keyboard (`None` when there are no buttons).
    pub fn reply_with(&mut self, text: impl Into<String>, keyboard: Option<Value>) {
        self.out
            .push(Outgoing::message(self.chat_id, text, keyboard));
    }

    /// A message to someone else (the other party of a booking).
    pub fn notify(&mut self, chat_id: i64, text: impl Into<String>) {
        self.out.push(Outgoing::message(chat_id, text, None));
    }

    /// An event to emit after the commit.
    pub fn event(&mut self, event: Event) {
        self.events.push(event);
    }
}
