-- Updates that failed with a permanent error (not a lost connection): kept here with the error
-- instead of being retried forever, so the updates after them are handled. Their update_id is
-- recorded in processed_updates in the same transaction, so a redelivery is a duplicate.
CREATE TABLE dead_letter_updates (
    update_id    BIGINT      PRIMARY KEY,
    -- The update as Telegram sent it, as JSON text: jsonb cannot hold the \u0000 that may be
    -- the very reason the update failed.
    payload      TEXT        NOT NULL,
    -- The error and its causes.
    error        TEXT        NOT NULL,
    -- webhook or polling.
    transport    TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX dead_letter_updates_age ON dead_letter_updates (created_at);
