-- The contact book: the BSUIDs each tenant's webhooks gave a phone number.
CREATE TABLE contacts (
    account_id     TEXT NOT NULL,
    phone          TEXT NOT NULL,
    user_id        TEXT,
    parent_user_id TEXT,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, phone)
);

-- A status entry kept in the history without a callback: Meta reported it
-- after a later one (a `sent` after `delivered`), so it would only move the
-- customer's view backwards.
ALTER TABLE message_statuses ADD COLUMN silent BOOLEAN NOT NULL DEFAULT FALSE;
