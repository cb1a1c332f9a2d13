-- A claim takes each gate's due callbacks from that gate's own queue (at
-- most its cap, less what is leased for it now: --callback-gate-concurrency)
-- and takes turns between gates, instead of reading one queue in time order
-- where a slow gate's backlog stands before everyone else's.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_gate_due ON deliveries (gate_id, next_attempt_at, id) WHERE state = 'PENDING';
CREATE INDEX deliveries_gate_leased ON deliveries (gate_id, lease_until) WHERE state = 'PENDING';
