-- A status is kept once per (wamid, business number, status): a status
-- that names another business number than the message was sent from is
-- never applied, and must not take the place of the genuine one that
-- follows. SQLite cannot change a primary key: the table is rebuilt, its
-- rows keeping their rowids (the order they arrived in).
CREATE TABLE meta_statuses_by_number (
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
    PRIMARY KEY (wamid, phone_number_id, status)
);
INSERT INTO meta_statuses_by_number (rowid, wamid, phone_number_id, status, at, state, result_code,
                                     description, details, received_at, applied)
SELECT rowid, wamid, phone_number_id, status, at, state, result_code, description, details,
       received_at, applied
FROM meta_statuses ORDER BY rowid;
DROP TABLE meta_statuses;
ALTER TABLE meta_statuses_by_number RENAME TO meta_statuses;
CREATE INDEX meta_statuses_pending ON meta_statuses (wamid) WHERE NOT applied;
