-- The operator's message search (the console): by refId, by destination,
-- and by time, newest first.
CREATE INDEX messages_by_ref_id ON messages (ref_id, created_at);
CREATE INDEX messages_by_destination ON messages (destination, created_at);
CREATE INDEX messages_by_created_at ON messages (created_at, message_id);
