-- The dispatcher's work: one row per (messageId, messageIndex) that still
-- has to be submitted to the Cloud API. A row is claimed by setting a lease
-- (owner and expiry); it leaves the table when its submission is settled
-- (submitted, failed or expired) and moves forward in time on a resend.
CREATE TABLE outbox (
    message_id    TEXT NOT NULL,
    message_index INTEGER NOT NULL,
    source        TEXT NOT NULL,
    -- Claim order: the due time minus the priority's lead (see dispatch).
    sort_key      BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    lease_owner   TEXT,
    lease_until   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, message_index)
);
CREATE INDEX outbox_by_source ON outbox (source, sort_key);

-- Outboxes of messages accepted before this migration.
INSERT INTO outbox (message_id, message_index, source, sort_key, due_at)
SELECT p.message_id, p.message_index, m.source, m.created_at, m.created_at
FROM message_parts p JOIN messages m ON m.message_id = p.message_id
WHERE p.state = 'QUEUED';

-- The WhatsApp message id Meta gave the part (statuses refer to it).
ALTER TABLE message_parts ADD COLUMN wamid TEXT;
CREATE INDEX message_parts_by_wamid ON message_parts (wamid);

-- The event queue: every status, in the order it was recorded, for the
-- callback workers to turn into delivery reports.
CREATE TABLE events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    message_index INTEGER NOT NULL,
    status_id     INTEGER NOT NULL REFERENCES message_statuses (id),
    created_at    BIGINT NOT NULL
);
