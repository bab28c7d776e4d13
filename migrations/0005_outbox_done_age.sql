-- The retention prune deletes sent and failed outbox rows older than BOT_RETAIN_OUTBOX_DAYS in
-- small batches; this index finds each batch without scanning the table.
CREATE INDEX outbox_done_age ON outbox (created_at) WHERE status IN ('sent', 'failed');
