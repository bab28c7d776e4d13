-- Seeds the backup/restore benchmark database: :masters masters × :slots hourly bookings
-- (1 in 10 cancelled), 100k clients, blocks, processed updates and sent outbox rows.
-- The exclusion constraint is dropped during the load and re-added after it (one index build
-- instead of 3M incremental inserts); it is the same definition as migrations/0001_schema.sql.
\set ON_ERROR_STOP 1
INSERT INTO users (telegram_id, chat_id, first_name)
SELECT g, g, 'Client ' || g FROM generate_series(1, 100000) g;
INSERT INTO users (telegram_id, chat_id, first_name)
SELECT 9000000000 + g, 9000000000 + g, 'Master ' || g FROM generate_series(1, :masters) g;
INSERT INTO masters (user_id, display_name, time_zone)
SELECT id, first_name, 'Europe/Berlin' FROM users WHERE telegram_id > 9000000000;
INSERT INTO working_hours (master_id, weekday, starts_local, ends_local)
SELECT m.id, d, '08:00', '20:00' FROM masters m, generate_series(1, 7) d;

ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap;
INSERT INTO bookings (master_id, client_id, starts_at, ends_at, status, cancelled_at, cancelled_by)
SELECT m.id,
       1 + ((m.id * 7919 + s) % 100000),
       t, t + interval '1 hour',
       CASE WHEN s % 10 = 0 THEN 'cancelled' ELSE 'confirmed' END,
       CASE WHEN s % 10 = 0 THEN t - interval '1 day' END,
       CASE WHEN s % 10 = 0 THEN 'client' END
FROM masters m, generate_series(0, :slots - 1) s,
     LATERAL (SELECT timestamptz '2027-01-04 00:00Z' + s * interval '1 hour') x(t);
ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
    master_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE (status = 'confirmed');

INSERT INTO availability_blocks (master_id, starts_at, ends_at, reason)
SELECT m.id, t, t + interval '8 hours', 'day off'
FROM masters m, generate_series(0, 9) k,
     LATERAL (SELECT timestamptz '2030-01-01 00:00Z' + k * interval '1 day') x(t);
INSERT INTO processed_updates (update_id) SELECT g FROM generate_series(1, 200000) g;
INSERT INTO outbox (chat_id, method, payload, status, sent_at)
SELECT g, 'sendMessage', jsonb_build_object('chat_id', g, 'text', 'Booking #' || g || ' confirmed'), 'sent', now()
FROM generate_series(1, 200000) g;
VACUUM ANALYZE;
