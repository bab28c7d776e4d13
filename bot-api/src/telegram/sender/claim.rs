//! The claim of one sending step: the SQL that picks the oldest due chat head and leases it
//! (`locked_until`) in one statement, and the row it hands to the sender.

use std::time::Duration;

use serde_json::Value;
use sqlx::PgPool;

/// A claimed outbox row: leased to this sender until its result is recorded.
#[derive(sqlx::FromRow)]
pub(super) struct Row {
    pub(super) id: i64,
    pub(super) method: String,
    pub(super) payload: Value,
    pub(super) attempts: i32,
}

/// The claim of one step (`$1`: the per-chat gap in seconds, `$2`: the overall per-second
/// limit). Only each chat's head (its oldest pending row) is a candidate, so the order of one
/// chat's rows holds and a chat's backlog costs one index probe, not a filter over every row:
/// `chats` walks the distinct chat ids of pending rows as a skip scan of `outbox_chat_pending`
/// (`(chat_id, id) WHERE status = 'pending'`), one index descent per chat, and `heads` takes
/// each chat's first row from the same index. The claim's cost grows with the number of chats
/// with pending rows, never with their backlog.
///
/// `claimed` checks again, on the row's newest version, everything another sender may have
/// changed since this statement's snapshot: a row that sender claimed, got a 429 or a 5xx for
/// and released with a later `not_before` in the meantime is re-checked by `FOR UPDATE` against
/// the conditions of `claimed` only (not those of `heads`), so `not_before` is among them.
pub const CLAIM: &str = "\
WITH RECURSIVE chats(chat_id) AS (
    (SELECT chat_id FROM outbox WHERE status = 'pending' ORDER BY chat_id LIMIT 1)
  UNION ALL
    SELECT (SELECT p.chat_id FROM outbox p
            WHERE p.status = 'pending' AND p.chat_id > c.chat_id
            ORDER BY p.chat_id LIMIT 1)
    FROM chats c WHERE c.chat_id IS NOT NULL
), heads AS (
  SELECT h.id FROM chats c
  CROSS JOIN LATERAL (
    SELECT p.id, p.chat_id, p.method, p.not_before, p.locked_until FROM outbox p
    WHERE p.status = 'pending' AND p.chat_id = c.chat_id
    ORDER BY p.id LIMIT 1) h
  WHERE h.not_before <= now() AND (h.locked_until IS NULL OR h.locked_until <= now())
    AND (h.method = 'answerCallbackQuery' OR NOT EXISTS (
          SELECT 1 FROM outbox s
          WHERE s.chat_id = h.chat_id AND s.status = 'sent' AND s.method <> 'answerCallbackQuery'
            AND s.sent_at > clock_timestamp() - make_interval(secs => $1)))
), claimed AS (
SELECT o.id FROM outbox o
WHERE o.id IN (SELECT id FROM heads) AND o.status = 'pending' AND o.not_before <= now()
  AND (o.locked_until IS NULL OR o.locked_until <= now())
  AND (o.method = 'answerCallbackQuery'
       OR (SELECT count(*) FROM outbox g
           WHERE g.status = 'sent' AND g.method <> 'answerCallbackQuery'
             AND g.sent_at > clock_timestamp() - interval '1 second') < $2)
ORDER BY o.not_before, o.id
LIMIT 1
FOR UPDATE OF o SKIP LOCKED)
UPDATE outbox u SET locked_until = clock_timestamp() + make_interval(secs => $3)
FROM claimed WHERE u.id = claimed.id
RETURNING u.id, u.method, u.payload, u.attempts";

/// Claims the next due row and leases it for `lease`, in one statement (its own
/// transaction); `None` when nothing is due.
pub(super) async fn claim(
    pool: &PgPool,
    per_chat_gap: Duration,
    per_second: u32,
    lease: Duration,
) -> Result<Option<Row>, sqlx::Error> {
    sqlx::query_as(CLAIM)
        .bind(per_chat_gap.as_secs_f64())
        .bind(i64::from(per_second))
        .bind(lease.as_secs_f64())
        .fetch_optional(pool)
        .await
}
