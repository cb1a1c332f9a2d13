-- The contact book: the BSUIDs each tenant's webhooks gave a phone number.
CREATE TABLE contacts (
    account_id     TEXT NOT NULL,
    phone          TEXT NOT NULL,
    user_id        TEXT,
    parent_user_id TEXT,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, phone)
);
