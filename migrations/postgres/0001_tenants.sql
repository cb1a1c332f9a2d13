-- Tenants and what they own. Times are Unix milliseconds; JSON is text.
-- Every integer is BIGINT, so that it decodes as i64 as on SQLite.
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
    throughput        BIGINT,
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

-- Values the gateway generates once and keeps (the media URL secret).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
