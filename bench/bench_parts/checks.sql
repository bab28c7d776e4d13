-- The check queries of ops-agent/src/restore/checks.rs, as plain SQL: the raw baseline of
-- bench/run part 4 runs them after pg_restore, as restore --verify does.
SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(ARRAY['users','masters','bookings','availability_blocks']) ORDER BY 1;
SELECT count(*) FROM public.users;
SELECT count(*) FROM public.masters;
SELECT count(*) FROM public.bookings;
SELECT count(*) FROM public.availability_blocks;
SELECT count(*) FROM public.masters c WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.users p WHERE p.id = c.user_id);
SELECT count(*) FROM public.bookings c WHERE c.master_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.masters p WHERE p.id = c.master_id);
SELECT count(*) FROM public.bookings c WHERE c.client_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.users p WHERE p.id = c.client_id);
SELECT count(*) FROM public.availability_blocks c WHERE c.master_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.masters p WHERE p.id = c.master_id);
SELECT count(*) FROM public.working_hours c WHERE c.master_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.masters p WHERE p.id = c.master_id);
SELECT count(*) FROM (SELECT starts_at, max(ends_at) OVER (PARTITION BY master_id ORDER BY starts_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end FROM public.bookings WHERE status = 'confirmed') s WHERE starts_at < prev_end;
SELECT count(*) FROM pg_constraint WHERE conname = 'bookings_no_overlap' AND contype = 'x';
SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public';
SELECT (SELECT coalesce(max(id), 0) FROM public.users), (SELECT coalesce(s.last_value, 0) FROM pg_sequences s WHERE format('%I.%I', s.schemaname, s.sequencename)::regclass = pg_get_serial_sequence('public.users', 'id')::regclass);
SELECT (SELECT coalesce(max(id), 0) FROM public.masters), (SELECT coalesce(s.last_value, 0) FROM pg_sequences s WHERE format('%I.%I', s.schemaname, s.sequencename)::regclass = pg_get_serial_sequence('public.masters', 'id')::regclass);
SELECT (SELECT coalesce(max(id), 0) FROM public.bookings), (SELECT coalesce(s.last_value, 0) FROM pg_sequences s WHERE format('%I.%I', s.schemaname, s.sequencename)::regclass = pg_get_serial_sequence('public.bookings', 'id')::regclass);
SELECT (SELECT coalesce(max(id), 0) FROM public.availability_blocks), (SELECT coalesce(s.last_value, 0) FROM pg_sequences s WHERE format('%I.%I', s.schemaname, s.sequencename)::regclass = pg_get_serial_sequence('public.availability_blocks', 'id')::regclass);
SELECT (SELECT coalesce(max(id), 0) FROM public.outbox), (SELECT coalesce(s.last_value, 0) FROM pg_sequences s WHERE format('%I.%I', s.schemaname, s.sequencename)::regclass = pg_get_serial_sequence('public.outbox', 'id')::regclass);
BEGIN;
INSERT INTO public.users (telegram_id, chat_id, first_name) VALUES (-9223372036854775000, -9223372036854775000, 'restore-verify') RETURNING id;
ROLLBACK;
