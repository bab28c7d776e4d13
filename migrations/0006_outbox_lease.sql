-- The outbox sender no longer holds a transaction open while it calls Telegram: it claims a row
-- by setting a short lease, commits, calls, then records the result. A row whose lease expired
-- (its sender crashed or hung) is claimed again.
ALTER TABLE outbox ADD COLUMN locked_until TIMESTAMPTZ;
