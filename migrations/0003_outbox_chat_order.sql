-- The outbox sender sends one chat's messages in order: a pending row waits while an older
-- pending row of the same chat exists. This index answers that check without a scan.
CREATE INDEX outbox_chat_pending ON outbox (chat_id, id) WHERE status = 'pending';

-- The overall limit (messages per second, shared by every sender process) counts the rows
-- sent in the last second; this index keeps that count a short range scan.
CREATE INDEX outbox_sent_recent ON outbox (sent_at) WHERE status = 'sent';
