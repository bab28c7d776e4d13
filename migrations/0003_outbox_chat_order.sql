-- The outbox sender sends one chat's messages in order: a pending row waits while an older
-- pending row of the same chat exists. This index answers that check without a scan.
CREATE INDEX outbox_chat_pending ON outbox (chat_id, id) WHERE status = 'pending';
