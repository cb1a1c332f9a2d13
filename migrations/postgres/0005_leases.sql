-- Named leases: which instance does a job (works off a business number's
-- outbox, feeds the callback queues) until when.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    held_until BIGINT NOT NULL
);
