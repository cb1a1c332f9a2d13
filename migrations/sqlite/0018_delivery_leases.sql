-- A callback's lease lives in a table of its own, one narrow row per leased
-- callback, instead of two columns of the callback's row (as on
-- PostgreSQL). Leasing a callback then writes a row of four short fields
-- (dozens to a page) and an index entry, where an update of `deliveries`
-- rewrote the page of the callback's row (four or five bodies to a page)
-- and an entry of the gate's index of leases.
--
-- Claims and records run on the writer thread, one at a time, and a claim
-- replaces only an expired lease, so a callback has at most one live lease.
-- The row goes when a try is recorded or the gate is deleted; an expired
-- one may stay until its callback is leased again. Nothing deletes
-- callbacks, so no foreign key is needed to keep the rows matched.
CREATE TABLE delivery_leases (
    delivery_id INTEGER PRIMARY KEY,
    gate_id     TEXT NOT NULL,
    lease_owner TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);
-- What each gate has leased now (its share of --callback-gate-concurrency).
CREATE INDEX delivery_leases_by_gate ON delivery_leases (gate_id, lease_until);

INSERT INTO delivery_leases (delivery_id, gate_id, lease_owner, lease_until)
    SELECT id, gate_id, lease_owner, lease_until FROM deliveries
    WHERE state = 'PENDING' AND lease_owner IS NOT NULL AND lease_until > 0;

DROP INDEX deliveries_gate_leased;
ALTER TABLE deliveries DROP COLUMN lease_owner;
ALTER TABLE deliveries DROP COLUMN lease_until;
