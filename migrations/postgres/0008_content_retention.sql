-- Message content is kept only as long as it is needed, unless the
-- customer asked to keep it (`ott.whatsapp.logMessageContent`; see
-- `src/retention.rs`). The content columns are the Cloud API body of a
-- part, the Meta message object of an incoming message, and the body of a
-- callback that carries an incoming message. `content_until` is when the
-- content may go at the latest once it is no longer needed (a part once it
-- has left the outbox, an incoming message once routed, a callback once
-- delivered or given up); NULL when there is nothing to erase (erased
-- already, or a delivery report, which carries no content). Erased content
-- is the empty text: ids, states, history and codes stay.
ALTER TABLE message_parts ADD COLUMN content_until BIGINT;
ALTER TABLE inbound_messages ADD COLUMN content_until BIGINT;
ALTER TABLE deliveries ADD COLUMN content_until BIGINT;

-- What was kept before: erased by the next clean-up, unless its request
-- asked to keep it (then for the default retention, 30 days).
UPDATE message_parts p SET content_until = p.updated_at + CASE
    WHEN lower(m.custom_parameters::jsonb ->> 'ott.whatsapp.logMessageContent') = 'true'
    THEN 2592000000 ELSE 0 END
FROM messages m WHERE m.message_id = p.message_id;
UPDATE inbound_messages SET content_until = received_at WHERE routed;
UPDATE deliveries SET content_until = created_at WHERE payload::jsonb ? 'content';

CREATE INDEX message_parts_content ON message_parts (content_until) WHERE content_until IS NOT NULL;
CREATE INDEX inbound_messages_content ON inbound_messages (content_until) WHERE content_until IS NOT NULL;
CREATE INDEX deliveries_content ON deliveries (content_until) WHERE content_until IS NOT NULL;
