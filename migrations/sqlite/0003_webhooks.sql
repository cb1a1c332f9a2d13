-- Statuses Meta reported, one row per (wamid, status): a repeated webhook
-- finds its row taken and changes nothing. A report waits (applied = 0)
-- until its wamid is known, then joins the part's history.
CREATE TABLE meta_statuses (
    wamid       TEXT NOT NULL,
    -- The business number it came for: a status only touches a message
    -- sent from that number (so one tenant's webhook cannot touch another's).
    phone_number_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    -- NULL for a status the gateway does not know: kept, changes nothing.
    state       TEXT,
    result_code INTEGER NOT NULL,
    description TEXT NOT NULL,
    details     TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    applied     BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (wamid, status)
);
CREATE INDEX meta_statuses_pending ON meta_statuses (wamid) WHERE NOT applied;

-- Incoming user messages, kept as Meta sent them until they are routed.
CREATE TABLE inbound_messages (
    wamid                TEXT PRIMARY KEY,
    phone_number_id      TEXT NOT NULL,
    display_phone_number TEXT NOT NULL,
    at                   BIGINT NOT NULL,
    message              TEXT NOT NULL,
    contact              TEXT,
    received_at          BIGINT NOT NULL,
    routed               BOOLEAN NOT NULL DEFAULT FALSE
);
