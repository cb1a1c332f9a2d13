//! Throttling of failed logins, per username and per client address.
//!
//! Each key counts its failed logins in a window that opens at its first
//! failure; once a key reaches its limit, every login it takes part in is
//! refused (without checking the password) until the window ends. Only
//! failures are counted: a successful login neither counts nor clears the
//! count. An IPv6 client counts by its /64, which one host usually owns
//! whole. Each table holds at most [`MAX_KEYS`] keys: past that, expired
//! ones are dropped, and while it is still full new keys go uncounted
//! (the other table still counts them).
//!
//! governor's keyed limiters would fit the counting, but they have no way
//! to ask "is this key over?" without spending a cell, so a successful
//! login would count; hence this small table.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys each table tracks at most.
const MAX_KEYS: usize = 100_000;
/// Expired keys are swept at most this often when a table is full.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The limits, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    /// Failures of one username per window.
    pub per_user: u32,
    /// Failures from one client address per window.
    pub per_address: u32,
    pub window: Duration,
}

/// Both tables.
pub struct LoginThrottle {
    users: FailureTable<[u8; 32]>,
    addresses: FailureTable<IpAddr>,
}

impl LoginThrottle {
    pub fn new(limits: ThrottleLimits) -> Self {
        Self {
            users: FailureTable::new(limits.per_user, limits.window),
            addresses: FailureTable::new(limits.per_address, limits.window),
        }
    }

    /// Whether a login by `user` (a digest of the username) from `client`
    /// is refused now.
    pub fn refuses(&self, user: &[u8; 32], client: Option<IpAddr>, now: Instant) -> bool {
        self.users.over(user, now)
            || client.is_some_and(|client| self.addresses.over(&address_key(client), now))
    }

    /// Counts a failed login.
    pub fn failed(&self, user: [u8; 32], client: Option<IpAddr>, now: Instant) {
        if self.users.count(user, now) {
            tracing::warn!("a username reached its limit of failed logins; refusing it for now");
        }
        if let Some(client) = client
            && self.addresses.count(address_key(client), now)
        {
            tracing::warn!(%client, "a client reached its limit of failed logins; refusing it for now");
        }
    }
}

/// The address a client is counted under: IPv4 as it is (also when mapped
/// into IPv6), IPv6 by its /64.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

/// Failures per key, each in a window from its first failure.
struct FailureTable<K> {
    limit: u32,
    window: Duration,
    table: Mutex<Table<K>>,
}

struct Table<K> {
    entries: HashMap<K, Failures>,
    swept_at: Option<Instant>,
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
}

impl<K: Hash + Eq> FailureTable<K> {
    fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            table: Mutex::new(Table {
                entries: HashMap::new(),
                swept_at: None,
            }),
        }
    }

    fn live(&self, failures: Failures, now: Instant) -> bool {
        now.saturating_duration_since(failures.since) < self.window
    }

    fn over(&self, key: &K, now: Instant) -> bool {
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        table
            .entries
            .get(key)
            .is_some_and(|failures| self.live(*failures, now) && failures.count >= self.limit)
    }

    /// Counts one failure; `true` when it brought the key to its limit.
    fn count(&self, key: K, now: Instant) -> bool {
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        if !table.entries.contains_key(&key) && table.entries.len() >= MAX_KEYS {
            if table
                .swept_at
                .is_none_or(|at| now.saturating_duration_since(at) >= SWEEP_EVERY)
            {
                table.swept_at = Some(now);
                table
                    .entries
                    .retain(|_, failures| self.live(*failures, now));
            }
            if table.entries.len() >= MAX_KEYS {
                return false;
            }
        }
        let failures = table.entries.entry(key).or_insert(Failures {
            count: 0,
            since: now,
        });
        if !self.live(*failures, now) {
            *failures = Failures {
                count: 0,
                since: now,
            };
        }
        failures.count = failures.count.saturating_add(1);
        failures.count == self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ThrottleLimits = ThrottleLimits {
        per_user: 3,
        per_address: 5,
        window: Duration::from_secs(60),
    };

    #[test]
    fn a_user_is_refused_after_its_failures_until_the_window_ends() {
        let throttle = LoginThrottle::new(LIMITS);
        let start = Instant::now();
        let (ann, bob) = ([1; 32], [2; 32]);
        let client = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..2 {
            throttle.failed(ann, client, start);
        }
        assert!(!throttle.refuses(&ann, client, start));
        throttle.failed(ann, client, start);
        assert!(throttle.refuses(&ann, client, start));
        // Another user from the same address is not refused.
        assert!(!throttle.refuses(&bob, client, start));
        let later = start + LIMITS.window - Duration::from_millis(1);
        assert!(throttle.refuses(&ann, client, later));
        assert!(!throttle.refuses(&ann, client, start + LIMITS.window));
        // A new window counts from zero.
        throttle.failed(ann, client, start + LIMITS.window);
        assert!(!throttle.refuses(&ann, None, start + LIMITS.window));
    }

    #[test]
    fn an_address_is_refused_after_failures_of_many_users() {
        let throttle = LoginThrottle::new(LIMITS);
        let now = Instant::now();
        let attacker = Some(IpAddr::from([127, 0, 0, 2]));
        for user in 0..5u8 {
            throttle.failed([user; 32], attacker, now);
        }
        let fresh = [99; 32];
        assert!(throttle.refuses(&fresh, attacker, now));
        assert!(!throttle.refuses(&fresh, Some(IpAddr::from([127, 0, 0, 3])), now));
        assert!(!throttle.refuses(&fresh, None, now));
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let key = |text: &str| address_key(text.parse().expect("address"));
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:127.0.0.1"), key("127.0.0.1"));
        assert_ne!(key("127.0.0.1"), key("127.0.0.2"));
    }

    #[test]
    fn a_full_table_drops_expired_keys_and_then_stops_counting_new_ones() {
        let table = FailureTable::new(1, Duration::from_secs(60));
        let start = Instant::now();
        for key in 0..MAX_KEYS {
            table.count(key, start);
        }
        // Full of live keys: a new key is not counted.
        assert!(!table.count(MAX_KEYS, start));
        assert!(!table.over(&MAX_KEYS, start));
        assert!(table.over(&0, start));
        // Once they expire, a sweep makes room.
        let later = start + Duration::from_secs(61);
        assert!(table.count(MAX_KEYS, later));
        assert!(table.over(&MAX_KEYS, later));
        assert_eq!(
            table.table.lock().expect("lock").entries.len(),
            1,
            "expired keys were dropped"
        );
    }
}
