-- Statuses Meta reported, one row per (wamid, status): a repeated webhook
-- finds its row taken and changes nothing. A report waits (applied = FALSE)
-- until its wamid is known, then joins the part's history. `id` keeps the
-- order reports arrived in (SQLite's rowid).
CREATE TABLE meta_statuses (
    id          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    wamid       TEXT NOT NULL,
    -- The business number it came for: a status only touches a message
    -- sent from that number (so one tenant's webhook cannot touch another's).
    phone_number_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    -- NULL for a status the gateway does not know: kept, changes nothing.
    state       TEXT,
    result_code BIGINT NOT NULL,
    description TEXT NOT NULL,
    details     TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    applied     BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (wamid, status)
);
CREATE INDEX meta_statuses_pending ON meta_statuses (wamid) WHERE NOT applied;

-- Incoming user messages, kept as Meta sent them until they are routed
-- (once). `id` keeps the order they arrived in (SQLite's rowid).
CREATE TABLE inbound_messages (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    wamid                TEXT PRIMARY KEY,
    phone_number_id      TEXT NOT NULL,
    display_phone_number TEXT NOT NULL,
    at                   BIGINT NOT NULL,
    message              TEXT NOT NULL,
    contact              TEXT,
    received_at          BIGINT NOT NULL,
    routed               BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX inbound_messages_unrouted ON inbound_messages (received_at, id) WHERE NOT routed;

-- When each user last wrote to each business number: the 24-hour customer
-- care window, within which non-template messages may be sent. ("user" is
-- a reserved word in PostgreSQL, hence the quotes.)
CREATE TABLE care_windows (
    source          TEXT NOT NULL,
    -- The user as destinations name them: E.164 number or BSUID.
    "user"          TEXT NOT NULL,
    last_inbound_at BIGINT NOT NULL,
    PRIMARY KEY (source, "user")
);

-- The contact book: the BSUIDs each tenant's webhooks gave a phone number.
CREATE TABLE contacts (
    account_id     TEXT NOT NULL,
    phone          TEXT NOT NULL,
    user_id        TEXT,
    parent_user_id TEXT,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, phone)
);
