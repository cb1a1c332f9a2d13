//! Credentials: argon2 password hashes, API keys, and the cache that keeps
//! Basic auth from running argon2 on every request.
//!
//! An argon2 verification costs tens of milliseconds by design, so a
//! successful check is remembered for [`CACHE_TTL`] under a key derived with
//! HMAC-SHA256 (a per-process random key) from the username, the *stored
//! hash* and the presented password. A wrong password derives another key and
//! misses; a changed password changes the stored hash and misses too. The
//! cache holds no password, and its keys are useless outside this process.
//!
//! Failed checks are counted per username and client address
//! ([`crate::login_throttle`]); a login over either limit is refused
//! without running argon2, unless its credentials are in the cache.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};
use tokio::sync::{OnceCell, Semaphore};

use crate::login_throttle::{LoginThrottle, ThrottleLimits};

/// How long a successful password check is remembered.
pub const CACHE_TTL: Duration = Duration::from_secs(60);
/// The cache is emptied of expired entries once it grows past this.
const CACHE_SWEEP_AT: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("hashing the password failed: {0}")]
    Hash(String),
    #[error("the password check was interrupted")]
    Interrupted,
}

/// Hashes a new password (argon2id, random salt) into a PHC string.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| AuthError::Hash(error.to_string()))
}

/// [`hash_password`] on a blocking thread, for async callers.
pub async fn hash_password_off_thread(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| AuthError::Interrupted)?
}

/// A new random secret of `len` base62 characters (passwords, API keys,
/// ids).
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// SHA-256 of an API key, hex; API keys are long random tokens, so a fast
/// hash is enough to keep them out of the database.
pub fn api_key_digest(api_key: &str) -> String {
    Sha256::digest(api_key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Checks passwords against stored hashes, remembering recent successes.
#[derive(Clone)]
pub struct PasswordChecker {
    inner: Arc<Inner>,
}

struct Inner {
    cache_key: [u8; 32],
    verified: Mutex<HashMap<[u8; 32], Instant>>,
    /// Checks under way, by cache key: concurrent requests with the same
    /// credentials (a client opening many connections at once) wait for one
    /// argon2 run instead of each paying for their own.
    in_flight: Mutex<HashMap<[u8; 32], Arc<OnceCell<bool>>>>,
    /// argon2 verifications run so far.
    argon2_runs: AtomicU64,
    /// argon2 runs on blocking threads; this bounds how many at once (each
    /// takes ~19 MiB and a core).
    permits: Semaphore,
    /// Verified against when the user does not exist, so that an unknown
    /// user costs as much time as a wrong password.
    dummy_hash: String,
    throttle: LoginThrottle,
}

impl PasswordChecker {
    pub fn new(throttle: ThrottleLimits) -> Result<Self, AuthError> {
        let mut cache_key = [0u8; 32];
        rand::rng().fill(&mut cache_key);
        let parallel = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Self {
            inner: Arc::new(Inner {
                cache_key,
                verified: Mutex::new(HashMap::new()),
                in_flight: Mutex::new(HashMap::new()),
                argon2_runs: AtomicU64::new(0),
                permits: Semaphore::new(parallel),
                dummy_hash: hash_password(&random_token(24))?,
                throttle: LoginThrottle::new(throttle),
            }),
        })
    }

    /// `true` when `password` matches `stored_hash` (the user's PHC string);
    /// `None` for the hash means the user does not exist (always `false`,
    /// after the same work). `client` is the address the login came from.
    /// A login that the throttle refuses is `false` at once; a failed one
    /// is counted.
    pub async fn verify(
        &self,
        username: &str,
        client: Option<IpAddr>,
        stored_hash: Option<&str>,
        password: &str,
    ) -> Result<bool, AuthError> {
        let key = stored_hash.map(|hash| self.cache_key(username, hash, password));
        if key.as_ref().is_some_and(|key| self.recently_verified(key)) {
            return Ok(true);
        }
        let user = self.keyed_digest(&["login-throttle", username]);
        let throttle = &self.inner.throttle;
        if throttle.refuses(&user, client, Instant::now()) {
            return Ok(false);
        }
        let ok = match (stored_hash, key) {
            (Some(stored_hash), Some(key)) => self.check(key, stored_hash, password).await?,
            _ => {
                self.run_argon2(self.inner.dummy_hash.clone(), password.to_owned())
                    .await?;
                false
            }
        };
        if !ok {
            throttle.failed(user, client, Instant::now());
        }
        Ok(ok)
    }

    /// `true` when `given` is `expected` (compared in constant time): the
    /// console's sign-in with the admin token. Failures count per client
    /// address under the same limits as logins; a client over them is
    /// refused without a comparison.
    pub fn verify_token(&self, client: Option<IpAddr>, expected: &[u8], given: &[u8]) -> bool {
        let origin = client
            .map(|address| address.to_string())
            .unwrap_or_default();
        let key = self.keyed_digest(&["token-sign-in", &origin]);
        let throttle = &self.inner.throttle;
        if throttle.refuses(&key, client, Instant::now()) {
            return false;
        }
        let ok = bool::from(subtle::ConstantTimeEq::ct_eq(expected, given));
        if !ok {
            throttle.failed(key, client, Instant::now());
        }
        ok
    }

    /// One argon2 check shared by concurrent requests with the same
    /// credentials; a success is remembered.
    async fn check(
        &self,
        key: [u8; 32],
        stored_hash: &str,
        password: &str,
    ) -> Result<bool, AuthError> {
        let check = {
            let mut in_flight = self
                .inner
                .in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            in_flight.entry(key).or_default().clone()
        };
        let ok = check
            .get_or_try_init(|| self.run_argon2(stored_hash.to_owned(), password.to_owned()))
            .await
            .copied();
        {
            let mut in_flight = self
                .inner
                .in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if in_flight
                .get(&key)
                .is_some_and(|current| Arc::ptr_eq(current, &check))
            {
                in_flight.remove(&key);
            }
        }
        let ok = ok?;
        if ok {
            self.remember(key);
        }
        Ok(ok)
    }

    fn cache_key(&self, username: &str, stored_hash: &str, password: &str) -> [u8; 32] {
        self.keyed_digest(&[username, stored_hash, password])
    }

    /// HMAC-SHA256 under the per-process key of `parts`, each
    /// length-prefixed.
    fn keyed_digest(&self, parts: &[&str]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.inner.cache_key)
            .expect("HMAC takes keys of any length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    fn recently_verified(&self, key: &[u8; 32]) -> bool {
        let verified = self
            .inner
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        verified.get(key).is_some_and(|at| at.elapsed() < CACHE_TTL)
    }

    fn remember(&self, key: [u8; 32]) {
        let mut verified = self
            .inner
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if verified.len() >= CACHE_SWEEP_AT {
            verified.retain(|_, at| at.elapsed() < CACHE_TTL);
        }
        verified.insert(key, Instant::now());
    }

    /// How many argon2 verifications have run (cache misses).
    pub fn argon2_runs(&self) -> u64 {
        self.inner.argon2_runs.load(Ordering::Relaxed)
    }

    async fn run_argon2(&self, stored_hash: String, password: String) -> Result<bool, AuthError> {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| AuthError::Interrupted)?;
        self.inner.argon2_runs.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&stored_hash).is_ok_and(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
        })
        .await
        .map_err(|_| AuthError::Interrupted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Limits no test here reaches unless it means to.
    const GENEROUS: ThrottleLimits = ThrottleLimits {
        per_user: 1_000,
        per_address: 1_000,
        window: Duration::from_secs(600),
    };

    #[tokio::test]
    async fn right_password_passes_and_is_cached_wrong_or_changed_ones_fail() {
        let checker = PasswordChecker::new(GENEROUS).expect("checker");
        let hash = hash_password("correct horse").expect("hash");
        assert!(
            checker
                .verify("ann", None, Some(&hash), "correct horse")
                .await
                .expect("verify")
        );
        let key = checker.cache_key("ann", &hash, "correct horse");
        assert!(checker.recently_verified(&key));

        assert!(
            !checker
                .verify("ann", None, Some(&hash), "wrong")
                .await
                .expect("verify")
        );
        // A changed password: the stored hash differs, so the cached success
        // for the old one does not apply.
        let new_hash = hash_password("battery staple").expect("hash");
        assert!(
            !checker
                .verify("ann", None, Some(&new_hash), "correct horse")
                .await
                .expect("verify")
        );
        assert!(
            checker
                .verify("ann", None, Some(&new_hash), "battery staple")
                .await
                .expect("verify")
        );
        // Another user with the same hash text and password does not share the entry.
        assert!(!checker.recently_verified(&checker.cache_key("bob", &hash, "correct horse")));
        assert!(
            !checker
                .verify("ghost", None, None, "correct horse")
                .await
                .expect("verify")
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_checks_of_the_same_credentials_run_argon2_once() {
        let checker = PasswordChecker::new(GENEROUS).expect("checker");
        let hash = hash_password("correct horse").expect("hash");
        let check = |password: &'static str| {
            let checker = checker.clone();
            let hash = hash.clone();
            tokio::spawn(async move { checker.verify("ann", None, Some(&hash), password).await })
        };
        let right: Vec<_> = (0..16).map(|_| check("correct horse")).collect();
        let wrong: Vec<_> = (0..16).map(|_| check("wrong")).collect();
        for task in right {
            assert!(task.await.expect("join").expect("verify"));
        }
        for task in wrong {
            assert!(!task.await.expect("join").expect("verify"));
        }
        // One run for the right password, one for the wrong one; later
        // requests that arrived after a run finished may have started
        // another, but never one each.
        assert!(checker.argon2_runs() < 8, "{} runs", checker.argon2_runs());
        assert!(
            checker
                .verify("ann", None, Some(&hash), "correct horse")
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn a_throttled_login_is_refused_without_argon2_but_cached_credentials_pass() {
        let checker = PasswordChecker::new(ThrottleLimits {
            per_user: 2,
            per_address: 100,
            window: Duration::from_secs(600),
        })
        .expect("checker");
        let hash = hash_password("correct horse").expect("hash");
        let client = Some(IpAddr::from([127, 0, 0, 1]));
        let verify = |user: &'static str, password: &'static str| {
            let (checker, hash) = (checker.clone(), hash.clone());
            async move {
                checker
                    .verify(user, client, Some(&hash), password)
                    .await
                    .expect("verify")
            }
        };
        // Ann's client logged in before the attack on her name.
        assert!(verify("ann", "correct horse").await);
        for user in ["ann", "ann", "dave", "dave"] {
            assert!(!verify(user, "guess").await);
        }
        let runs = checker.argon2_runs();
        // Over the limit: even the right password is refused, without
        // running argon2...
        assert!(!verify("dave", "correct horse").await);
        assert!(!verify("ann", "another guess").await);
        assert_eq!(checker.argon2_runs(), runs);
        // ...except credentials checked a moment ago (the cache).
        assert!(verify("ann", "correct horse").await);
        // Other users are not affected.
        assert!(verify("carol", "correct horse").await);
        assert_eq!(checker.argon2_runs(), runs + 1);
    }

    #[test]
    fn api_key_digests_are_stable_hex() {
        assert_eq!(api_key_digest("abc").len(), 64);
        assert_eq!(api_key_digest("abc"), api_key_digest("abc"));
        assert_ne!(api_key_digest("abc"), api_key_digest("abd"));
        assert_eq!(random_token(30).len(), 30);
    }
}
