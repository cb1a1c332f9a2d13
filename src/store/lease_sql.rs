//! The named leases' SQL, the same on SQLite and PostgreSQL: take (or
//! renew) a lease that is free, ran out, or is already the caller's; read
//! who holds it; give it up.

/// Takes or renews a lease: `$1` name, `$2` holder, `$3` now, `$4` until.
pub(crate) const TAKE_LEASE: &str =
    "INSERT INTO leases (name, holder, held_until) VALUES ($1, $2, $4)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until
     WHERE leases.held_until <= $3 OR leases.holder = excluded.holder
     RETURNING holder";
pub(crate) const LEASE_HOLDER: &str = "SELECT holder, held_until FROM leases WHERE name = $1";
pub(crate) const DROP_LEASE: &str = "DELETE FROM leases WHERE name = $1 AND holder = $2";
