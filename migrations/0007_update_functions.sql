-- The last round trip of every update: one function call that records the update's id, makes
-- its writes, and enqueues the replies of the outcome it reached, in one statement (so one
-- transaction). The bot decides and words everything beforehand from what it read; the
-- functions re-check, under the locks that make it true, what a concurrent update could have
-- changed since, and either pick the outcome whose replies were prepared ('taken', 'limit'…)
-- or, when what was read no longer holds in a way no prepared reply covers, raise
-- serialization_failure (40001): nothing is written and the bot reads and decides again.
--
-- Inside a VOLATILE plpgsql function each statement takes a new snapshot under READ
-- COMMITTED, so a check that follows a lock sees every transaction that held the lock before.

-- Bumped by every write that changes what a booking is judged by (hours, time zone,
-- (re)activation): a booking decided on an older version is decided again.
ALTER TABLE masters ADD COLUMN schedule_version BIGINT NOT NULL DEFAULT 0;

-- Records an update as processed; false when it already was (a duplicate: no effects).
CREATE FUNCTION bot_claim(p_update bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO processed_updates (update_id) VALUES (p_update) ON CONFLICT DO NOTHING;
    RETURN FOUND;
END $$;

-- Enqueues the prepared Bot API calls that belong to `p_outcome`: `p_out` is a JSON array of
-- {chat_id, method, payload, tag}; a call whose tag is null is made whatever the outcome. A
-- chat that already has `p_cap` pending calls gets no more (0: no cap). Returns how many
-- calls of the outcome were dropped by the cap. Calls keep their order (outbox ids ascend).
CREATE FUNCTION bot_enqueue(p_outcome text, p_out jsonb, p_cap integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    wanted integer;
    added integer;
BEGIN
    SELECT count(*) INTO wanted FROM jsonb_array_elements(p_out) AS e(v)
     WHERE e.v->>'tag' IS NULL OR e.v->>'tag' = p_outcome;
    INSERT INTO outbox (chat_id, method, payload)
    SELECT (e.v->>'chat_id')::bigint, e.v->>'method', e.v->'payload'
      FROM jsonb_array_elements(p_out) WITH ORDINALITY AS e(v, n)
     WHERE (e.v->>'tag' IS NULL OR e.v->>'tag' = p_outcome)
       AND (p_cap = 0 OR (SELECT count(*) FROM (SELECT 1 FROM outbox o
             WHERE o.status = 'pending' AND o.chat_id = (e.v->>'chat_id')::bigint
             LIMIT p_cap) AS p) < p_cap)
     ORDER BY e.n;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN wanted - added;
END $$;

-- An update that writes nothing but its replies (views, refusals, help).
CREATE FUNCTION bot_finish(p_update bigint, p_out jsonb, p_cap integer,
                           OUT o_outcome text, OUT o_dropped integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT bot_claim(p_update) THEN
        o_outcome := 'duplicate'; o_dropped := 0; RETURN;
    END IF;
    o_outcome := 'done';
    o_dropped := bot_enqueue(o_outcome, p_out, p_cap);
END $$;

-- /book: 'booked', or 'blocked', 'taken', 'limit' (checked in that order). The master's row
-- is held in share mode, so schedule writes (which take it for update) and bookings of that
-- master exclude each other while bookings run side by side; the client's row for update, so
-- one client's bookings run one at a time and the count sees the ones before. The exclusion
-- constraint stays the safety net: an insert it refuses is 'taken'.
CREATE FUNCTION bot_book(p_update bigint, p_master bigint, p_version bigint, p_client bigint,
                         p_booking bigint, p_starts timestamptz, p_ends timestamptz,
                         p_max_active integer, p_out jsonb, p_cap integer,
                         OUT o_outcome text, OUT o_dropped integer)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM masters
     WHERE id = p_master AND active AND schedule_version = p_version FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'master #% changed while the booking was decided', p_master
              USING ERRCODE = 'serialization_failure';
    END IF;
    IF NOT bot_claim(p_update) THEN
        o_outcome := 'duplicate'; o_dropped := 0; RETURN;
    END IF;
    PERFORM 1 FROM users WHERE id = p_client FOR UPDATE;
    IF EXISTS (SELECT 1 FROM availability_blocks WHERE master_id = p_master
                AND starts_at < p_ends AND ends_at > p_starts) THEN
        o_outcome := 'blocked';
    ELSIF EXISTS (SELECT 1 FROM bookings WHERE master_id = p_master AND status = 'confirmed'
                   AND starts_at < p_ends AND ends_at > p_starts) THEN
        o_outcome := 'taken';
    ELSIF (SELECT count(*) FROM bookings WHERE client_id = p_client AND status = 'confirmed'
            AND starts_at > now()) >= p_max_active THEN
        o_outcome := 'limit';
    ELSE
        INSERT INTO bookings (id, master_id, client_id, starts_at, ends_at)
        VALUES (p_booking, p_master, p_client, p_starts, p_ends) ON CONFLICT DO NOTHING;
        o_outcome := CASE WHEN FOUND THEN 'booked' ELSE 'taken' END;
    END IF;
    o_dropped := bot_enqueue(o_outcome, p_out, p_cap);
END $$;

-- /cancel, after the bot checked who may: 'cancelled', 'already' (cancelled meanwhile) or
-- 'late' (closer to its start than `p_lead` allows by now).
CREATE FUNCTION bot_cancel(p_update bigint, p_booking bigint, p_by text, p_lead interval,
                           p_out jsonb, p_cap integer,
                           OUT o_outcome text, OUT o_dropped integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT bot_claim(p_update) THEN
        o_outcome := 'duplicate'; o_dropped := 0; RETURN;
    END IF;
    UPDATE bookings SET status = 'cancelled', cancelled_at = now(), cancelled_by = p_by
     WHERE id = p_booking AND status = 'confirmed' AND starts_at > now() + p_lead;
    IF FOUND THEN
        o_outcome := 'cancelled';
    ELSIF EXISTS (SELECT 1 FROM bookings WHERE id = p_booking AND status = 'confirmed') THEN
        o_outcome := 'late';
    ELSE
        o_outcome := 'already';
    END IF;
    o_dropped := bot_enqueue(o_outcome, p_out, p_cap);
END $$;

-- /hours: sets (or with null times clears) the hours of `p_days`; 'done' or 'inactive'.
CREATE FUNCTION bot_hours(p_update bigint, p_master bigint, p_days smallint[],
                          p_from time, p_to time, p_out jsonb, p_cap integer,
                          OUT o_outcome text, OUT o_dropped integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT bot_claim(p_update) THEN
        o_outcome := 'duplicate'; o_dropped := 0; RETURN;
    END IF;
    UPDATE masters SET schedule_version = schedule_version + 1, updated_at = now()
     WHERE id = p_master AND active;
    IF NOT FOUND THEN
        o_outcome := 'inactive';
    ELSIF p_from IS NULL THEN
        DELETE FROM working_hours WHERE master_id = p_master AND weekday = ANY (p_days);
        o_outcome := 'done';
    ELSE
        INSERT INTO working_hours (master_id, weekday, starts_local, ends_local)
        SELECT p_master, d, p_from, p_to FROM unnest(p_days) AS d
        ON CONFLICT (master_id, weekday) DO UPDATE
           SET starts_local = EXCLUDED.starts_local, ends_local = EXCLUDED.ends_local;
        o_outcome := 'done';
    END IF;
    o_dropped := bot_enqueue(o_outcome, p_out, p_cap);
END $$;

-- /timezone: 'done' or 'inactive'.
CREATE FUNCTION bot_timezone(p_update bigint, p_master bigint, p_tz text,
                             p_out jsonb, p_cap integer,
                             OUT o_outcome text, OUT o_dropped integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT bot_claim(p_update) THEN
        o_outcome := 'duplicate'; o_dropped := 0; RETURN;
    END IF;
    UPDATE masters SET time_zone = p_tz, schedule_version = schedule_version + 1,
                       updated_at = now()
     WHERE id = p_master AND active;
    o_outcome := CASE WHEN FOUND THEN 'done' ELSE 'inactive' END;
    o_dropped := bot_enqueue(o_outcome, p_out, p_cap);
END $$;

-- /block: 'added', 'conflict' (the confirmed bookings it overlaps are exactly `p_expected`,
-- which the refusal lists) or 'inactive'. Holding the master's row for update waits for the
-- bookings in flight, and the list read after it includes them: a list that differs from
-- what the bot read and worded is serialization_failure.
CREATE FUNCTION bot_block(p_update bigint, p_master bigint, p_block bigint,
                          p_from timestamptz, p_to timestamptz, p_expected bigint[],
                          p_out jsonb, p_cap integer,
                          OUT o_outcome text, OUT o_dropped integer)
LANGUAGE plpgsql AS $$
DECLARE
    overlapping bigint[];
BEGIN
    PERFORM 1 FROM masters WHERE id = p_master AND active FOR UPDATE;
    IF FOUND THEN
        SELECT coalesce(array_agg(id ORDER BY starts_at, id), '{}') INTO overlapping
          FROM bookings WHERE master_id = p_master AND status = 'confirmed'
           AND starts_at < p_to AND ends_at > p_from;
        IF overlapping IS DISTINCT FROM p_expected THEN
            RAISE EXCEPTION 'the bookings of master #% changed while the block was decided',
                  p_master USING ERRCODE = 'serialization_failure';
        END IF;
    END IF;
    IF NOT bot_claim(p_update) THEN
        o_outcome := 'duplicate'; o_dropped := 0; RETURN;
    END IF;
    IF overlapping IS NULL THEN
        o_outcome := 'inactive';
    ELSIF cardinality(overlapping) > 0 THEN
        o_outcome := 'conflict';
    ELSE
        INSERT INTO availability_blocks (id, master_id, starts_at, ends_at)
        VALUES (p_block, p_master, p_from, p_to);
        o_outcome := 'added';
    END IF;
    o_dropped := bot_enqueue(o_outcome, p_out, p_cap);
END $$;

-- /unblock of a block the bot found to be the caller's: 'removed' or 'gone'.
CREATE FUNCTION bot_unblock(p_update bigint, p_master bigint, p_block bigint,
                            p_out jsonb, p_cap integer,
                            OUT o_outcome text, OUT o_dropped integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT bot_claim(p_update) THEN
        o_outcome := 'duplicate'; o_dropped := 0; RETURN;
    END IF;
    DELETE FROM availability_blocks WHERE id = p_block AND master_id = p_master;
    o_outcome := CASE WHEN FOUND THEN 'removed' ELSE 'gone' END;
    o_dropped := bot_enqueue(o_outcome, p_out, p_cap);
END $$;

-- /addmaster: reactivates `p_existing` (an inactive master of that user) or inserts master
-- `p_new`; 'added'. The user having become a master meanwhile is serialization_failure.
CREATE FUNCTION bot_add_master(p_update bigint, p_user bigint, p_existing bigint,
                               p_new bigint, p_name text, p_tz text, p_slot integer,
                               p_out jsonb, p_cap integer,
                               OUT o_outcome text, OUT o_dropped integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT bot_claim(p_update) THEN
        o_outcome := 'duplicate'; o_dropped := 0; RETURN;
    END IF;
    IF p_existing IS NOT NULL THEN
        UPDATE masters SET active = TRUE, display_name = p_name, updated_at = now(),
                           schedule_version = schedule_version + 1
         WHERE id = p_existing AND NOT active;
    ELSE
        INSERT INTO masters (id, user_id, display_name, time_zone, slot_minutes)
        VALUES (p_new, p_user, p_name, p_tz, p_slot) ON CONFLICT (user_id) DO NOTHING;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user #% became a master meanwhile', p_user
              USING ERRCODE = 'serialization_failure';
    END IF;
    o_outcome := 'added';
    o_dropped := bot_enqueue(o_outcome, p_out, p_cap);
END $$;

-- /removemaster (confirmed, or with nothing to cancel): deactivates the master and cancels
-- exactly `p_expected`, its future confirmed bookings as the bot read and worded them;
-- 'removed'. A master gone or a list changed meanwhile is serialization_failure.
CREATE FUNCTION bot_remove_master(p_update bigint, p_master bigint, p_expected bigint[],
                                  p_out jsonb, p_cap integer,
                                  OUT o_outcome text, OUT o_dropped integer)
LANGUAGE plpgsql AS $$
DECLARE
    future bigint[];
BEGIN
    PERFORM 1 FROM masters WHERE id = p_master AND active FOR UPDATE;
    IF FOUND THEN
        SELECT coalesce(array_agg(id ORDER BY starts_at, id), '{}') INTO future
          FROM bookings WHERE master_id = p_master AND status = 'confirmed'
           AND starts_at > now();
    END IF;
    IF future IS DISTINCT FROM p_expected THEN
        RAISE EXCEPTION 'master #% changed while its removal was decided', p_master
              USING ERRCODE = 'serialization_failure';
    END IF;
    IF NOT bot_claim(p_update) THEN
        o_outcome := 'duplicate'; o_dropped := 0; RETURN;
    END IF;
    UPDATE masters SET active = FALSE, schedule_version = schedule_version + 1,
                       updated_at = now()
     WHERE id = p_master;
    UPDATE bookings SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'admin'
     WHERE id = ANY (future);
    o_outcome := 'removed';
    o_dropped := bot_enqueue(o_outcome, p_out, p_cap);
END $$;
