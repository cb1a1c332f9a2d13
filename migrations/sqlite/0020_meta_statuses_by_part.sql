-- Meta's statuses keyed by the part they name. wagate sends each part's
-- key along with its request (`biz_opaque_callback_data`, see
-- wagate_domain::part_tag) and Meta hands it back in the part's statuses:
-- keyed by message id first (time-ordered), a status's primary key entry
-- lands beside those of the messages sent about when its own was, where a
-- key that starts with the wamid (a random string) put every status on a
-- leaf page of its own. A status is still kept once per (wamid, business
-- number, status): the insert looks for it under the other key too (with
-- or without a tag).
CREATE TABLE meta_statuses_by_part (
    -- The part the status's tag names: its message id ('' for a status
    -- without a tag, such as those of parts sent before this migration)
    -- and index.
    message_id      TEXT NOT NULL,
    message_index   INTEGER NOT NULL,
    wamid           TEXT NOT NULL,
    -- The business number it came for: a status only touches a message
    -- sent from that number (so one tenant's webhook cannot touch another's).
    phone_number_id TEXT NOT NULL,
    status          TEXT NOT NULL,
    at              BIGINT NOT NULL,
    -- NULL for a status the gateway does not know: kept, changes nothing.
    state           TEXT,
    result_code     INTEGER NOT NULL,
    description     TEXT NOT NULL,
    details         TEXT NOT NULL,
    received_at     BIGINT NOT NULL,
    applied         BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (message_id, wamid, phone_number_id, status)
);
INSERT INTO meta_statuses_by_part (rowid, message_id, message_index, wamid, phone_number_id,
                                   status, at, state, result_code, description, details,
                                   received_at, applied)
SELECT rowid, '', 0, wamid, phone_number_id, status, at, state, result_code, description, details,
       received_at, applied
FROM meta_statuses ORDER BY rowid;
DROP TABLE meta_statuses;
ALTER TABLE meta_statuses_by_part RENAME TO meta_statuses;
