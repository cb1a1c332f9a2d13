-- One row per destination of an accepted request.
CREATE TABLE messages (
    message_id              TEXT PRIMARY KEY,
    account_id              TEXT NOT NULL,
    username                TEXT NOT NULL,
    source                  TEXT NOT NULL,
    destination             TEXT NOT NULL,
    ref_id                  TEXT NOT NULL,
    priority                TEXT NOT NULL,
    expires_at              BIGINT NOT NULL,
    created_at              BIGINT NOT NULL,
    platform_service_id     TEXT,
    platform_service_type   TEXT,
    platform_transaction_id TEXT,
    custom_parameters       TEXT NOT NULL,
    gate_ids                TEXT NOT NULL
);

-- One row per (messageId, messageIndex), holding the Cloud API request body
-- that will be sent, its current state, and the WhatsApp message id Meta
-- gave it (statuses refer to it).
CREATE TABLE message_parts (
    message_id    TEXT NOT NULL REFERENCES messages (message_id),
    message_index BIGINT NOT NULL,
    message_type  TEXT NOT NULL,
    cloud_body    TEXT NOT NULL,
    state         TEXT NOT NULL,
    result_code   BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    updated_at    BIGINT NOT NULL,
    wamid         TEXT,
    PRIMARY KEY (message_id, message_index)
);
CREATE INDEX message_parts_by_wamid ON message_parts (wamid);

-- Everything that happened to a part, in order. A `silent` entry is kept in
-- the history without a callback: Meta reported it after a later one (a
-- `sent` after `delivered`), so it would only move the customer's view
-- backwards.
CREATE TABLE message_statuses (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    TEXT NOT NULL,
    message_index BIGINT NOT NULL,
    state         TEXT NOT NULL,
    result_code   BIGINT NOT NULL,
    description   TEXT NOT NULL,
    details       TEXT,
    at            BIGINT NOT NULL,
    silent        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX message_statuses_by_message ON message_statuses (message_id, message_index, id);

-- The dispatcher's work: one row per (messageId, messageIndex) that still
-- has to be submitted to the Cloud API. A row is claimed by setting a lease
-- (owner and expiry); it leaves the table when its submission is settled
-- (submitted, failed or expired) and moves forward in time on a resend.
-- `id` keeps the order rows were queued in (SQLite's rowid): claims break
-- ties of `sort_key` by it.
CREATE TABLE outbox (
    id            BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    message_id    TEXT NOT NULL,
    message_index BIGINT NOT NULL,
    source        TEXT NOT NULL,
    -- Claim order: the due time minus the priority's lead (see dispatch).
    sort_key      BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    lease_owner   TEXT,
    lease_until   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, message_index)
);
CREATE INDEX outbox_by_source ON outbox (source, sort_key, id);

-- The event queue: every status, in the order it was recorded, for the
-- callback workers to turn into delivery reports. Ids become visible in id
-- order (see the store's module doc: an advisory lock around the insert).
CREATE TABLE events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    message_index BIGINT NOT NULL,
    status_id     BIGINT NOT NULL REFERENCES message_statuses (id),
    created_at    BIGINT NOT NULL
);
