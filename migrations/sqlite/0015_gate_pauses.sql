-- A paused gate's callbacks wait, PENDING, until it is resumed: the claim
-- skips the gates named here. Deleting the gate ends its pause.
CREATE TABLE gate_pauses (
    gate_id   TEXT PRIMARY KEY REFERENCES gates (id) ON DELETE CASCADE,
    paused_at INTEGER NOT NULL
);
