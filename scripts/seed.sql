-- The one seed of a migrated booking database, for the backup/restore rehearsal
-- (scripts/rehearse-backup-restore), the benchmark (bench/bench_parts/ops.py) and tests
-- (include_str!, run as one batch). Plain SQL, no psql meta-commands, so any client can run it.
--
-- Sizes are settings of the session, each with a default:
--   seed.masters  masters (default 20)           seed.slots    hourly bookings per master, 1 in 10
--   seed.clients  client users (default 5000)                  cancelled (default 2000)
--   seed.updates  processed_updates rows and sent outbox rows, each (default 20000)
-- e.g. PGOPTIONS='-c seed.masters=1000 -c seed.slots=3000' psql -f scripts/seed.sql, or
-- `SET seed.masters = 5; …` before it in the same session.
--
-- Also: every master works 08:00-20:00 every day and has 10 whole-day blocks. The exclusion
-- constraint is dropped during the load and re-added after it (one index build instead of
-- millions of incremental checks); it is the same definition as migrations/0001_schema.sql.
-- Runs in one transaction when sent as one batch; VACUUM ANALYZE, if wanted, is the caller's.
CREATE TEMP TABLE seed_size AS SELECT
    coalesce(nullif(current_setting('seed.masters', true), ''), '20')::int AS masters,
    coalesce(nullif(current_setting('seed.slots', true), ''), '2000')::int AS slots,
    coalesce(nullif(current_setting('seed.clients', true), ''), '5000')::int AS clients,
    coalesce(nullif(current_setting('seed.updates', true), ''), '20000')::int AS updates;

INSERT INTO users (telegram_id, chat_id, first_name)
SELECT g, g, 'Client ' || g FROM seed_size, generate_series(1, clients) g;
INSERT INTO users (telegram_id, chat_id, first_name)
SELECT 9000000000 + g, 9000000000 + g, 'Master ' || g FROM seed_size, generate_series(1, masters) g;
INSERT INTO masters (user_id, display_name, time_zone)
SELECT id, first_name, 'Europe/Berlin' FROM users WHERE telegram_id > 9000000000;
INSERT INTO working_hours (master_id, weekday, starts_local, ends_local)
SELECT m.id, d, '08:00', '20:00' FROM masters m, generate_series(1, 7) d;

ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap;
INSERT INTO bookings (master_id, client_id, starts_at, ends_at, status, cancelled_at, cancelled_by)
SELECT m.id,
       1 + ((m.id * 7919 + s) % clients),
       t, t + interval '1 hour',
       CASE WHEN s % 10 = 0 THEN 'cancelled' ELSE 'confirmed' END,
       CASE WHEN s % 10 = 0 THEN t - interval '1 day' END,
       CASE WHEN s % 10 = 0 THEN 'client' END
FROM seed_size, masters m, generate_series(0, slots - 1) s,
     LATERAL (SELECT timestamptz '2027-01-04 00:00Z' + s * interval '1 hour') x(t);
ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
    master_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE (status = 'confirmed');

INSERT INTO availability_blocks (master_id, starts_at, ends_at, reason)
SELECT m.id, t, t + interval '8 hours', 'day off'
FROM masters m, generate_series(0, 9) k,
     LATERAL (SELECT timestamptz '2030-01-01 00:00Z' + k * interval '1 day') x(t);
INSERT INTO processed_updates (update_id) SELECT g FROM seed_size, generate_series(1, updates) g;
INSERT INTO outbox (chat_id, method, payload, status, sent_at)
SELECT g, 'sendMessage', jsonb_build_object('chat_id', g, 'text', 'Booking #' || g || ' confirmed'), 'sent', now()
FROM seed_size, generate_series(1, updates) g;

DROP TABLE seed_size;
