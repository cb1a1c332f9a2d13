-- A callback's lease lives in a table of its own, one narrow row per leased
-- callback, instead of two columns of the callback's row. Leasing a
-- callback then writes a row of four short fields and two index entries,
-- where an update of `deliveries` wrote a new version of the whole row
-- (its body included) with an entry in each of its indexes: measured on
-- 500 pending callbacks, 10 to 18 times less work (the README's benchmark
-- notes).
--
-- A lease row changes only while its callback's row is locked (a claim
-- locks it `FOR UPDATE SKIP LOCKED`, a record `FOR UPDATE`), and a claim
-- replaces only an expired lease (`ON CONFLICT ... WHERE`), so a callback
-- has at most one live lease. The row goes when a try is recorded or the
-- gate is deleted; an expired one may stay until its callback is leased
-- again. Nothing deletes callbacks, so no foreign key (whose check would
-- cost a lookup per lease) is needed to keep the rows matched.
CREATE TABLE delivery_leases (
    delivery_id BIGINT PRIMARY KEY,
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
ALTER TABLE deliveries DROP COLUMN lease_owner, DROP COLUMN lease_until;
