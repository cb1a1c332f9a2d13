-- The id wagate gave an incoming message when it routed it (the LINK
-- `messageId` its callbacks carry), so a customer can name it later, e.g.
-- to mark it read.
ALTER TABLE inbound_messages ADD COLUMN message_id TEXT;
CREATE INDEX inbound_messages_by_message_id ON inbound_messages (message_id);
