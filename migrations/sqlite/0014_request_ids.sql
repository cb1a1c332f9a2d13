-- The X-Request-Id of the request that accepted a message, so the work it
-- queued (its submissions, its delivery reports) logs under the same id.
ALTER TABLE messages ADD COLUMN request_id TEXT;
ALTER TABLE deliveries ADD COLUMN request_id TEXT;
