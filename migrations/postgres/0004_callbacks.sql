-- Callbacks to gates: one delivery per (origin, gate), tried until a 2xx or
-- until the retry schedule runs out; every try is an attempt row. The
-- origin is what it reports: `event:<id>` for a status of the event queue,
-- `mo:<wamid>` for an incoming message. Deliveries with the same `ordering`
-- key (a message id, or a sender for incoming messages) reach a gate one
-- after the other.
CREATE TABLE deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    origin          TEXT NOT NULL,
    gate_id         TEXT NOT NULL,
    -- The tenant the callback is for: a gate id reused by another tenant
    -- after a delete never receives it.
    account_id      TEXT NOT NULL,
    ordering        TEXT NOT NULL,
    payload         TEXT NOT NULL,
    -- PENDING, DELIVERED or GAVE_UP
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    UNIQUE (origin, gate_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE state = 'PENDING';
CREATE INDEX deliveries_in_order ON deliveries (ordering, gate_id, id) WHERE state = 'PENDING';
CREATE INDEX deliveries_by_gate ON deliveries (gate_id, id);
CREATE INDEX deliveries_by_ordering ON deliveries (ordering, id);

CREATE TABLE delivery_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES deliveries (id),
    at          BIGINT NOT NULL,
    http_status BIGINT,
    error       TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, id);

-- How far a reader of the event queue has got.
CREATE TABLE cursors (
    name     TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
