-- When each user last wrote to each business number: the 24-hour customer
-- care window, within which non-template messages may be sent.
CREATE TABLE care_windows (
    source          TEXT NOT NULL,
    -- The user as destinations name them: E.164 number or BSUID.
    user            TEXT NOT NULL,
    last_inbound_at BIGINT NOT NULL,
    PRIMARY KEY (source, user)
);
