-- The operator's message search (the console), newest first: by time. A
-- search by refId or destination reads a time window through this index
-- (the last day unless it says otherwise): indexes of their own would cost
-- every accepted message two more B-tree inserts, a third of the accept
-- rate on SQLite (measured: see the README).
CREATE INDEX messages_by_created_at ON messages (created_at, message_id);
