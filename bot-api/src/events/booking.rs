//! Booking and schedule lifecycle events (TODO(bot-core)).
