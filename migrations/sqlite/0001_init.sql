-- Tenants and what they own. Times are Unix milliseconds; JSON is text.
CREATE TABLE accounts (
    id                  TEXT PRIMARY KEY,
    platform_id         TEXT NOT NULL,
    platform_partner_id TEXT NOT NULL,
    name                TEXT,
    created_at          BIGINT NOT NULL,
    UNIQUE (platform_id, platform_partner_id)
);

CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    password_hash TEXT NOT NULL,
    api_key_hash  TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sources (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    number            TEXT NOT NULL UNIQUE,
    phone_number_id   TEXT UNIQUE,
    waba_id           TEXT,
    access_token      TEXT,
    level             TEXT NOT NULL,
    throughput        INTEGER,
    care_window_check BOOLEAN NOT NULL,
    created_at        BIGINT NOT NULL
);

CREATE TABLE gates (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    url               TEXT NOT NULL,
    format            TEXT NOT NULL,
    custom_parameters TEXT NOT NULL,
    signing_secret    TEXT,
    created_at        BIGINT NOT NULL
);

CREATE TABLE routes (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    number            TEXT NOT NULL,
    keyword           TEXT NOT NULL,
    gate_ids          TEXT NOT NULL,
    ref_id            TEXT,
    custom_parameters TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    UNIQUE (number, keyword)
);

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

-- The outbox: one row per (messageId, messageIndex), holding the Cloud API
-- request body that will be sent.
CREATE TABLE message_parts (
    message_id    TEXT NOT NULL REFERENCES messages (message_id),
    message_index INTEGER NOT NULL,
    message_type  TEXT NOT NULL,
    cloud_body    TEXT NOT NULL,
    state         TEXT NOT NULL,
    result_code   INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (message_id, message_index)
);

-- Everything that happened to a part, in order.
CREATE TABLE message_statuses (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id    TEXT NOT NULL,
    message_index INTEGER NOT NULL,
    state         TEXT NOT NULL,
    result_code   INTEGER NOT NULL,
    description   TEXT NOT NULL,
    details       TEXT,
    at            BIGINT NOT NULL
);
CREATE INDEX message_statuses_by_message ON message_statuses (message_id, message_index, id);
