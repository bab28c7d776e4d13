//! Each log event of CONTRACT.md "Logs" owned by bot-api, as one small type whose `emit()`
//! writes the log line and moves the matching metric together (TODO(bot-core/bot-edge):
//! add the events: service_started, rbac_deny, booking_created, booking_failed,
//! booking_cancelled, schedule_updated, webhook_rejected).
