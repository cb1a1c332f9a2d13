//! Named leases: the [`LeaseStore`] trait and its implementation on both
//! backends, the same SQL on SQLite and PostgreSQL: take (or renew) a lease
//! that is free, ran out, or is already the caller's; read who holds it;
//! give it up.

use async_trait::async_trait;

use super::{Arg, Driver, SqlBackend, write};
use crate::store::rows::StoreRow;
use crate::store::{Millis, StoreResult};

/// Who holds a named lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseHolder {
    /// The caller holds it now.
    Caller,
    /// Another holder does, until `until` (unless it renews).
    Other { holder: String, until: Millis },
}

/// Named leases that let one instance at a time do a job: work off one
/// business number's outbox (so its throughput is paced in one place), feed
/// the callback queues. A holder renews its lease well before it runs out;
/// a lease that ran out (its holder died) is anybody's.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes `name` for `holder` until `until`, or renews it if `holder`
    /// already has it; succeeds when nobody holds it or its lease ran out
    /// by `now`.
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: Millis,
        until: Millis,
    ) -> StoreResult<LeaseHolder>;
    /// Gives `name` up, if `holder` still holds it.
    async fn drop_lease(&self, name: &str, holder: &str) -> StoreResult<()>;
}

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
        let turn = self.write_turn().await?;
        let mut tx = turn.begin_with(B::BEGIN_WRITE).await?;
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
