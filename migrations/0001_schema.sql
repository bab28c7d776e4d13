-- The booking schema. Correctness lives here: overlaps are impossible by constraint,
-- each Telegram update is applied once by key, replies wait in an outbox until sent.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Everyone who has sent /start. Telegram ids exceed 32 bits: BIGINT throughout.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    telegram_id   BIGINT      NOT NULL UNIQUE,
    chat_id       BIGINT      NOT NULL,
    username      TEXT,
    first_name    TEXT        NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A user who takes bookings. Deactivated, never deleted: bookings keep their history.
CREATE TABLE masters (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT      NOT NULL UNIQUE REFERENCES users (id),
    display_name  TEXT        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    -- IANA name, e.g. Europe/Berlin; working hours are wall-clock times in this zone.
    time_zone     TEXT        NOT NULL,
    slot_minutes  INTEGER     NOT NULL DEFAULT 60 CHECK (slot_minutes BETWEEN 5 AND 720),
    active        BOOLEAN     NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX masters_active ON masters (id) WHERE active;

-- Weekly working hours as local wall-clock times (ISO weekday 1 = Monday … 7 = Sunday).
CREATE TABLE working_hours (
    master_id     BIGINT   NOT NULL REFERENCES masters (id),
    weekday       SMALLINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    starts_local  TIME     NOT NULL,
    ends_local    TIME     NOT NULL,
    PRIMARY KEY (master_id, weekday),
    CHECK (ends_local > starts_local)
);

-- Days off and breaks: absolute instants (computed from the master's zone when created).
CREATE TABLE availability_blocks (
    id            BIGSERIAL PRIMARY KEY,
    master_id     BIGINT      NOT NULL REFERENCES masters (id),
    starts_at     TIMESTAMPTZ NOT NULL,
    ends_at       TIMESTAMPTZ NOT NULL,
    reason        TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX availability_blocks_master_time ON availability_blocks (master_id, ends_at, starts_at);

CREATE TABLE bookings (
    id            BIGSERIAL PRIMARY KEY,
    master_id     BIGINT      NOT NULL REFERENCES masters (id),
    client_id     BIGINT      NOT NULL REFERENCES users (id),
    starts_at     TIMESTAMPTZ NOT NULL,
    ends_at       TIMESTAMPTZ NOT NULL,
    status        TEXT        NOT NULL DEFAULT 'confirmed'
                  CHECK (status IN ('confirmed', 'cancelled')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    cancelled_at  TIMESTAMPTZ,
    cancelled_by  TEXT CHECK (cancelled_by IN ('client', 'master', 'admin')),
    reminder_sent_at TIMESTAMPTZ,
    CHECK (ends_at > starts_at),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    -- Two confirmed bookings of one master never overlap; '[)' ranges let them touch.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        master_id WITH =,
        tstzrange(starts_at, ends_at, '[)') WITH &&
    ) WHERE (status = 'confirmed')
);
CREATE INDEX bookings_master_starts ON bookings (master_id, starts_at);
CREATE INDEX bookings_client_upcoming ON bookings (client_id, starts_at) WHERE status = 'confirmed';
CREATE INDEX bookings_reminder_due ON bookings (starts_at)
    WHERE status = 'confirmed' AND reminder_sent_at IS NULL;

-- Exactly-once update handling: an update's effects commit together with its id.
CREATE TABLE processed_updates (
    update_id     BIGINT      PRIMARY KEY,
    processed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX processed_updates_age ON processed_updates (processed_at);

-- Every message to Telegram waits here until delivered; drained with FOR UPDATE SKIP LOCKED.
CREATE TABLE outbox (
    id            BIGSERIAL PRIMARY KEY,
    chat_id       BIGINT      NOT NULL,
    -- Bot API method, e.g. sendMessage, answerCallbackQuery, editMessageText.
    method        TEXT        NOT NULL,
    payload       JSONB       NOT NULL,
    status        TEXT        NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sent', 'failed')),
    attempts      INTEGER     NOT NULL DEFAULT 0,
    not_before    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error    TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at       TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (not_before, id) WHERE status = 'pending';
CREATE INDEX outbox_chat_sent ON outbox (chat_id, sent_at) WHERE status = 'sent';
