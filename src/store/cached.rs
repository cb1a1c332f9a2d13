//! The tenant rows every request reads (a login's user and account, a
//! source by number, a gate, an account), kept in memory in front of the
//! store so that the hot path does not pay a database round trip for each.
//!
//! [`CachedTenants`] is itself a [`TenantStore`]: reads of those rows go
//! through the cache, every write goes to the store and then empties the
//! cache. Whoever writes tenants through it (the admin API) therefore
//! invalidates without a second step, and a new kind of write added to the
//! trait must say how it invalidates. Emptying everything on a write is
//! coarse, but tenants change rarely and a write may touch rows the cache
//! keys otherwise (deleting an account ends its users' logins).
//!
//! Other instances sharing a PostgreSQL database learn of a change through
//! the store's wake-ups ([`crate::store::Wake::Tenants`], sent by triggers
//! on the tenant tables) and call [`CachedTenants::forget_all`]. A wake-up
//! can be lost with its connection, so the listener also reports a
//! reconnection as a change, and every entry lives at most the configured
//! TTL whatever happens. The entry count is bounded too.
//!
//! A read that raced a change must not bring the old row back: each entry
//! carries the generation it was read under (taken before the read), and
//! only entries of the current generation are served. Only rows found are
//! kept: an unknown username or number costs a read each time, so traffic
//! with made-up names cannot fill the cache. The rows hold what the store
//! holds (password hashes, never passwords); keys are the store's own
//! unique keys, and callers still check that a row belongs to their tenant.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use super::{
    Account, Gate, Route, Source, SourceLevel, Store, StoreResult, TenantKind, TenantStore, User,
};

/// How long rows are kept and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantCacheSettings {
    /// The longest an entry is served; zero turns the cache off.
    pub ttl: Duration,
    /// The most entries kept.
    pub max_entries: u64,
}

/// What an entry is looked up by: one variant per cached read, so that
/// keys of different kinds never meet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Login(String),
    /// A login by the digest of its API key.
    LoginByDigest(String),
    SourceByNumber(String),
    Gate(String),
    Account(String),
}

/// A cached row.
#[derive(Clone)]
enum Row {
    Login(Arc<(User, Account)>),
    Source(Arc<Source>),
    Gate(Arc<Gate>),
    Account(Arc<Account>),
}

#[derive(Clone)]
struct Entry {
    generation: u64,
    row: Row,
}

/// The store with its per-request tenant reads cached; cheap to clone.
#[derive(Clone)]
pub struct CachedTenants {
    store: Arc<dyn Store>,
    inner: Arc<Inner>,
}

struct Inner {
    entries: moka::sync::Cache<Key, Entry>,
    /// Bumped by every change; entries of an older generation are dead.
    generation: AtomicU64,
    enabled: bool,
}

impl CachedTenants {
    pub fn new(store: Arc<dyn Store>, settings: TenantCacheSettings) -> Self {
        let enabled = !settings.ttl.is_zero() && settings.max_entries > 0;
        let entries = moka::sync::Cache::builder()
            .max_capacity(settings.max_entries)
            .time_to_live(settings.ttl.max(Duration::from_millis(1)))
            .build();
        Self {
            store,
            inner: Arc::new(Inner {
                entries,
                generation: AtomicU64::new(0),
                enabled,
            }),
        }
    }

    /// Drops every cached row (tenants changed, here or elsewhere, or may
    /// have while nobody was listening).
    pub fn forget_all(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        self.inner.entries.invalidate_all();
    }

    /// The cached row for `key`, or what `read` finds (kept if found).
    async fn cached<T>(
        &self,
        key: Key,
        read: impl Future<Output = StoreResult<Option<T>>>,
        wrap: impl FnOnce(T) -> Row,
        unwrap: impl Fn(&Row) -> Option<T>,
    ) -> StoreResult<Option<T>> {
        if !self.inner.enabled {
            return read.await;
        }
        // Taken before the read: a change committed meanwhile bumps it, and
        // the row read before that change is then never served.
        let generation = self.inner.generation.load(Ordering::Acquire);
        if let Some(entry) = self.inner.entries.get(&key)
            && entry.generation == generation
            && let Some(row) = unwrap(&entry.row)
        {
            return Ok(Some(row));
        }
        let Some(found) = read.await? else {
            return Ok(None);
        };
        let row = wrap(found);
        let value = unwrap(&row);
        self.inner.entries.insert(key, Entry { generation, row });
        Ok(value)
    }

    /// A write, then every cached row dropped (also when the write failed:
    /// it may have committed before failing to answer).
    async fn changed<T>(&self, write: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let result = write.await;
        self.forget_all();
        result
    }
}

#[async_trait]
impl TenantStore for CachedTenants {
    async fn insert_account(&self, account: &Account) -> StoreResult<()> {
        self.changed(self.store.insert_account(account)).await
    }

    async fn account(&self, id: &str) -> StoreResult<Option<Account>> {
        self.cached(
            Key::Account(id.to_owned()),
            self.store.account(id),
            |account| Row::Account(Arc::new(account)),
            |row| match row {
                Row::Account(account) => Some(Account::clone(account)),
                _ => None,
            },
        )
        .await
    }

    async fn account_by_platform(
        &self,
        platform_id: &str,
        platform_partner_id: &str,
    ) -> StoreResult<Option<Account>> {
        self.store
            .account_by_platform(platform_id, platform_partner_id)
            .await
    }

    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        self.store.accounts().await
    }

    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        self.changed(self.store.insert_user(user)).await
    }

    async fn user(&self, username: &str) -> StoreResult<Option<User>> {
        self.store.user(username).await
    }

    async fn user_with_account(&self, username: &str) -> StoreResult<Option<(User, Account)>> {
        self.cached(
            Key::Login(username.to_owned()),
            self.store.user_with_account(username),
            |login| Row::Login(Arc::new(login)),
            |row| match row {
                Row::Login(login) => Some(<(User, Account)>::clone(login)),
                _ => None,
            },
        )
        .await
    }

    async fn user_by_api_key(&self, api_key_digest: &str) -> StoreResult<Option<(User, Account)>> {
        self.cached(
            Key::LoginByDigest(api_key_digest.to_owned()),
            self.store.user_by_api_key(api_key_digest),
            |login| Row::Login(Arc::new(login)),
            |row| match row {
                Row::Login(login) => Some(<(User, Account)>::clone(login)),
                _ => None,
            },
        )
        .await
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        self.store.users().await
    }

    async fn insert_source(&self, source: &Source) -> StoreResult<()> {
        self.changed(self.store.insert_source(source)).await
    }

    async fn source(&self, id: &str) -> StoreResult<Option<Source>> {
        self.store.source(id).await
    }

    async fn source_by_number(&self, number: &str) -> StoreResult<Option<Source>> {
        self.cached(
            Key::SourceByNumber(number.to_owned()),
            self.store.source_by_number(number),
            |source| Row::Source(Arc::new(source)),
            |row| match row {
                Row::Source(source) => Some(Source::clone(source)),
                _ => None,
            },
        )
        .await
    }

    async fn source_by_phone_number_id(
        &self,
        phone_number_id: &str,
    ) -> StoreResult<Option<Source>> {
        self.store.source_by_phone_number_id(phone_number_id).await
    }

    async fn sources(&self) -> StoreResult<Vec<Source>> {
        self.store.sources().await
    }

    async fn set_source_level(&self, id: &str, level: SourceLevel) -> StoreResult<bool> {
        self.changed(self.store.set_source_level(id, level)).await
    }

    async fn insert_gate(&self, gate: &Gate) -> StoreResult<()> {
        self.changed(self.store.insert_gate(gate)).await
    }

    async fn gate(&self, id: &str) -> StoreResult<Option<Gate>> {
        self.cached(
            Key::Gate(id.to_owned()),
            self.store.gate(id),
            |gate| Row::Gate(Arc::new(gate)),
            |row| match row {
                Row::Gate(gate) => Some(Gate::clone(gate)),
                _ => None,
            },
        )
        .await
    }

    async fn gates(&self) -> StoreResult<Vec<Gate>> {
        self.store.gates().await
    }

    async fn ensure_gate(&self, gate: &Gate) -> StoreResult<Gate> {
        // A gate already cached is already stored: no write, no forgetting.
        if let Some(stored) = self.gate(&gate.id).await? {
            return Ok(stored);
        }
        self.changed(self.store.ensure_gate(gate)).await
    }

    async fn insert_route(&self, route: &Route) -> StoreResult<()> {
        self.changed(self.store.insert_route(route)).await
    }

    async fn route(&self, id: &str) -> StoreResult<Option<Route>> {
        self.store.route(id).await
    }

    async fn routes(&self) -> StoreResult<Vec<Route>> {
        self.store.routes().await
    }

    async fn setting(&self, name: &str, generated: &str) -> StoreResult<String> {
        self.store.setting(name, generated).await
    }

    async fn reserve_numbers(&self, name: &str, count: u32) -> StoreResult<i64> {
        self.store.reserve_numbers(name, count).await
    }

    async fn delete(&self, kind: TenantKind, id: &str) -> StoreResult<bool> {
        self.changed(self.store.delete(kind, id)).await
    }
}
