//! Named leases on both backends ([`LeaseStore`]), the same SQL on SQLite
//! and PostgreSQL: take (or renew) a lease that is free, ran out, or is
//! already the caller's; read who holds it; give it up.

use async_trait::async_trait;

use super::{Arg, Driver, SqlBackend, write};
use crate::store::rows::StoreRow;
use crate::store::{LeaseHolder, LeaseStore, Millis, StoreResult};

/// Takes or renews a lease: `$1` name, `$2` holder, `$3` now, `$4` until.
const TAKE_LEASE: &str = "INSERT INTO leases (name, holder, held_until) VALUES ($1, $2, $4)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until
     WHERE leases.held_until <= $3 OR leases.holder = excluded.holder
     RETURNING holder";
/// Who holds the lease `$1`, until when.
const LEASE_HOLDER: &str = "SELECT holder, held_until FROM leases WHERE name = $1";
/// Gives up the lease `$1`, if `$2` holds it.
const DROP_LEASE: &str = "DELETE FROM leases WHERE name = $1 AND holder = $2";

#[async_trait]
impl<B: SqlBackend> LeaseStore for B {
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: Millis,
        until: Millis,
    ) -> StoreResult<LeaseHolder> {
        let mut tx = self.writer().begin_with(B::BEGIN_WRITE).await?;
        let take = B::Db::statement(
            TAKE_LEASE,
            [
                Arg::Text(name),
                Arg::Text(holder),
                Arg::Int(now),
                Arg::Int(until),
            ],
        );
        let taken = B::Db::fetch_optional(&mut tx, take).await?;
        let result = if taken.is_some() {
            LeaseHolder::Caller
        } else {
            let other = B::Db::statement(LEASE_HOLDER, [Arg::Text(name)]);
            let row = B::Db::fetch_one(&mut tx, other).await?;
            LeaseHolder::Other {
                holder: row.get("holder")?,
                until: row.get("held_until")?,
            }
        };
        tx.commit().await?;
        Ok(result)
    }

    async fn drop_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        write(self, DROP_LEASE, &[Arg::Text(name), Arg::Text(holder)]).await?;
        Ok(())
    }
}
