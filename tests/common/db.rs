//! The databases tests run on: a fresh one per test, on SQLite always and on
//! PostgreSQL when `WAGATE_TEST_POSTGRES_URL` names a server.
//!
//! SQLite: a file in a temporary directory, removed with it. PostgreSQL:
//! `CREATE DATABASE wagate_test_<unix seconds>_<random>` through the server
//! URL (its database name replaced), dropped `WITH (FORCE)` when the
//! [`TestDatabase`] is dropped, on a thread of its own with a deadline, so a
//! test never hangs on it. Databases that a killed test run left behind are
//! swept once per test binary when they are older than [`SWEEP_AFTER`].

use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection};
use tokio::sync::OnceCell;

/// The variable naming the PostgreSQL server the PostgreSQL variants use,
/// e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
pub const POSTGRES_URL_VAR: &str = "WAGATE_TEST_POSTGRES_URL";

/// The variable that makes PostgreSQL required (set, not blank, not `0`):
/// a PostgreSQL variant then fails instead of skipping when
/// [`POSTGRES_URL_VAR`] is unset or blank (as it does anyway when no server
/// answers at the URL). CI sets it.
pub const REQUIRE_POSTGRES_VAR: &str = "WAGATE_TEST_REQUIRE_POSTGRES";

/// The prefix of every database the harness creates.
const PREFIX: &str = "wagate_test_";

/// Leftover test databases older than this are dropped.
const SWEEP_AFTER: Duration = Duration::from_secs(6 * 3600);

/// How long creating or dropping a database may take.
const DEADLINE: Duration = Duration::from_secs(30);

/// Connections per gateway on PostgreSQL: tests run in parallel and the
/// server allows about a hundred.
pub const POSTGRES_MAX_CONNECTIONS: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Why this backend cannot run here, if it cannot (the test is then
    /// skipped). Panics, failing the test, when PostgreSQL is unavailable
    /// but required (see [`REQUIRE_POSTGRES_VAR`]).
    pub fn unavailable(self) -> Option<String> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let url = std::env::var(POSTGRES_URL_VAR).ok();
                let required = std::env::var(REQUIRE_POSTGRES_VAR).ok();
                match postgres_availability(url.as_deref(), required.as_deref()) {
                    Availability::Run => None,
                    Availability::Skip(why) => Some(why),
                    Availability::Fail(why) => panic!("{why}"),
                }
            }
        }
    }
}

/// What a PostgreSQL variant does in an environment.
#[derive(Debug, PartialEq, Eq)]
pub enum Availability {
    /// A server URL is given: run (a server that does not answer fails it).
    Run,
    /// No URL and not required: skip, for this reason.
    Skip(String),
    /// No URL but required: fail, for this reason.
    Fail(String),
}

/// The decision for the values of [`POSTGRES_URL_VAR`] and
/// [`REQUIRE_POSTGRES_VAR`]; a blank URL counts as unset.
pub fn postgres_availability(url: Option<&str>, required: Option<&str>) -> Availability {
    if url.is_some_and(|url| !url.trim().is_empty()) {
        return Availability::Run;
    }
    let why = format!(
        "{POSTGRES_URL_VAR} is not set (a PostgreSQL server URL, e.g. \
         postgres://postgres@127.0.0.1:5432/postgres)"
    );
    let required = required.is_some_and(|value| !matches!(value.trim(), "" | "0"));
    if required {
        Availability::Fail(format!("{why}, but {REQUIRE_POSTGRES_VAR} is set"))
    } else {
        Availability::Skip(why)
    }
}

/// The PostgreSQL server URL of the environment, if set and not blank.
pub fn postgres_server_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
}

/// A fresh database for one test, removed when dropped.
pub struct TestDatabase {
    backend: Backend,
    url: String,
    /// SQLite: the directory holding the file.
    dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server URL and the database's name.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// Creates an empty database on `backend`. Panics when the backend is
    /// unavailable (see [`Backend::unavailable`]) or creating it fails.
    pub async fn create(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("wagate.db").display());
                TestDatabase {
                    backend,
                    url,
                    dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let server = postgres_server_url()
                    .unwrap_or_else(|| panic!("{}", backend.unavailable().unwrap_or_default()));
                sweep_once(&server).await;
                let name = new_name();
                let url = with_database(&server, &name);
                tokio::time::timeout(DEADLINE, async {
                    let mut admin = PgConnection::connect(&server).await?;
                    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                        .execute(&mut admin)
                        .await?;
                    admin.close().await
                })
                .await
                .unwrap_or_else(|_| panic!("creating {name} took over {DEADLINE:?}"))
                .unwrap_or_else(|error| panic!("creating {name} on {server}: {error}"));
                TestDatabase {
                    backend,
                    url,
                    dir: None,
                    postgres: Some((server, name)),
                }
            }
        }
    }

    /// A SQLite database file in `dir`, which the caller owns (and removes).
    pub fn sqlite_in(dir: &std::path::Path) -> TestDatabase {
        TestDatabase {
            backend: Backend::Sqlite,
            url: format!("sqlite://{}", dir.join("wagate.db").display()),
            dir: None,
            postgres: None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL to give `--database` or `store::open`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// SQLite: the directory the database file is in.
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(|dir| dir.path())
    }

    /// The pool settings for `store::open` on this backend.
    pub fn pool_settings(&self) -> wagate::store::PoolSettings {
        match self.backend {
            Backend::Sqlite => wagate::store::PoolSettings::default(),
            Backend::Postgres => wagate::store::PoolSettings {
                max_connections: POSTGRES_MAX_CONNECTIONS,
                min_connections: 1,
            },
        }
    }

    /// The store on this database, opened as an instance opens it.
    pub async fn open_store(&self) -> std::sync::Arc<dyn wagate::store::Store> {
        wagate::store::open(self.url(), self.pool_settings())
            .await
            .expect("open the store")
    }

    /// [`Self::open_store`] with the account `acc` the store tests use.
    pub async fn store_with_account(&self) -> std::sync::Arc<dyn wagate::store::Store> {
        let store = self.open_store().await;
        store
            .insert_account(&wagate::store::Account {
                id: "acc".into(),
                platform_id: "p".into(),
                platform_partner_id: "pp".into(),
                name: None,
                default_country: None,
                created_at: 0,
            })
            .await
            .expect("account");
        store
    }

    /// The rows of a query with one parameter (`$1`, a text) whose columns
    /// are all texts (or NULL), read straight from the database: what the
    /// store keeps, not what an API shows. Cast other columns to text.
    pub async fn rows(&self, sql: &str, param: &str) -> Vec<Vec<Option<String>>> {
        rows(self.backend, &self.url, sql, param).await
    }

    /// Holds the store's named lease on `number`'s outbox for another
    /// instance, renewing it until the returned guard is dropped: the
    /// gateway cannot take the number, so its work stays queued. Once the
    /// guard is gone the lease runs out within [`HOLD_FOR`].
    pub async fn hold_number(&self, number: &str) -> HeldNumber {
        let (backend, url) = (self.backend, self.url.clone());
        let name = format!("source:{number}");
        hold_lease(backend, &url, &name).await;
        let renewal = tokio::spawn(async move {
            loop {
                tokio::time::sleep(HOLD_FOR / 10).await;
                hold_lease(backend, &url, &name).await;
            }
        });
        HeldNumber { renewal }
    }

    /// The `serve` arguments naming this database (and, on PostgreSQL,
    /// bounding the gateway's connections).
    pub fn serve_args(&self) -> Vec<String> {
        let mut args = vec!["--database".to_owned(), self.url.clone()];
        if self.backend == Backend::Postgres {
            args.extend([
                "--db-max-connections".to_owned(),
                POSTGRES_MAX_CONNECTIONS.to_string(),
            ]);
        }
        args
    }
}

/// How long each renewal of [`TestDatabase::hold_number`] holds the lease.
pub const HOLD_FOR: Duration = Duration::from_secs(2);

/// A number's lease held for another instance; dropping it stops renewing.
pub struct HeldNumber {
    renewal: tokio::task::JoinHandle<()>,
}

impl Drop for HeldNumber {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

/// Takes or renews the lease `name` for another instance for [`HOLD_FOR`].
async fn hold_lease(backend: Backend, url: &str, name: &str) {
    let until = wagate::clock::now_millis() + HOLD_FOR.as_millis() as i64;
    rows(
        backend,
        url,
        &format!(
            "INSERT INTO leases (name, holder, held_until)
             VALUES ($1, 'another-instance', {until})
             ON CONFLICT (name) DO UPDATE
             SET holder = excluded.holder, held_until = excluded.held_until"
        ),
        name,
    )
    .await;
}

/// [`TestDatabase::rows`] on the database at `url`.
async fn rows(backend: Backend, url: &str, sql: &str, param: &str) -> Vec<Vec<Option<String>>> {
    let sql = AssertSqlSafe(sql.to_owned());
    match backend {
        Backend::Sqlite => {
            let mut connection = sqlx::SqliteConnection::connect(url)
                .await
                .expect("open SQLite");
            let query = sqlx::query(sql).bind(param);
            texts(&query.fetch_all(&mut connection).await.expect("query"))
        }
        Backend::Postgres => {
            let mut connection = PgConnection::connect(url).await.expect("open PostgreSQL");
            let query = sqlx::query(sql).bind(param);
            texts(&query.fetch_all(&mut connection).await.expect("query"))
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop is sync and may run inside the test's runtime: the drop runs
        // on a thread with its own runtime, and this waits for it a bounded
        // time only.
        let (done, finished) = mpsc::channel();
        let dropping = name.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("drop {name}"))
            .spawn(move || {
                let _ = done.send(drop_database(&server, &dropping));
            });
        if let Err(error) = spawned {
            eprintln!("test database {name} not dropped: no thread: {error}");
            return;
        }
        match finished.recv_timeout(DEADLINE + Duration::from_secs(5)) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("test database {name} not dropped: {error}"),
            Err(_) => eprintln!("test database {name} not dropped in time"),
        }
    }
}

/// `DROP DATABASE … WITH (FORCE)` on a runtime of its own.
fn drop_database(server: &str, name: &str) -> Result<(), String> {
    if !safe(name) {
        return Err(format!("{name:?} is not a test database's name"));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    runtime.block_on(async {
        tokio::time::timeout(DEADLINE, async {
            let mut admin = PgConnection::connect(server).await?;
            sqlx::raw_sql(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await?;
            admin.close().await
        })
        .await
        .map_err(|_| format!("over {DEADLINE:?}"))?
        .map_err(|error| error.to_string())
    })
}

/// Whether `name` is one the harness makes (and so safe to quote in SQL).
fn safe(name: &str) -> bool {
    name.starts_with(PREFIX)
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
}

/// `wagate_test_<unix seconds>_<16 hex digits>`.
fn new_name() -> String {
    format!("{PREFIX}{}_{:016x}", unix_seconds(), rand::random::<u64>())
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or_default()
}

/// `server` with its database name replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let mut url = url::Url::parse(server)
        .unwrap_or_else(|error| panic!("{POSTGRES_URL_VAR}={server}: {error}"));
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Drops, once per test binary, the test databases that runs killed before
/// their drop left behind (the creation time is in the name).
async fn sweep_once(server: &str) {
    static SWEPT: OnceCell<()> = OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            if let Err(error) = sweep(server).await {
                eprintln!("sweeping old test databases: {error}");
            }
        })
        .await;
}

async fn sweep(server: &str) -> Result<(), String> {
    let names: Vec<String> = tokio::time::timeout(DEADLINE, async {
        let mut admin = PgConnection::connect(server).await?;
        let names = sqlx::query_scalar::<_, String>(
            "SELECT datname FROM pg_database WHERE datname LIKE 'wagate\\_test\\_%'",
        )
        .fetch_all(&mut admin)
        .await?;
        admin.close().await?;
        Ok::<_, sqlx::Error>(names)
    })
    .await
    .map_err(|_| format!("listing took over {DEADLINE:?}"))?
    .map_err(|error| error.to_string())?;
    let cutoff = unix_seconds().saturating_sub(SWEEP_AFTER.as_secs());
    for name in names {
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|seconds| seconds.parse::<u64>().ok());
        if safe(&name) && created.is_some_and(|created| created < cutoff) {
            let server = server.to_owned();
            let dropped = tokio::task::spawn_blocking(move || drop_database(&server, &name))
                .await
                .map_err(|error| error.to_string())?;
            dropped?;
        }
    }
    Ok(())
}

/// Says on the real stderr (past the test harness's capture, so it shows in
/// every run) that the test `test` (its full path, e.g.
/// `concat!(module_path!(), "::postgres")`) is skipped, and why.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
}

/// Runs a test on SQLite and on PostgreSQL: `on_backends!(name);` beside
/// `async fn name(backend: Backend) { … }` makes the module `name` with the
/// tests `name::sqlite` and `name::postgres`, each calling `name` with its
/// backend. They are `#[tokio::test]`s; other attributes replace that one
/// (`on_backends!(#[tokio::test(flavor = "multi_thread")] name);`). The
/// PostgreSQL variant says on stderr that it is skipped, and passes, when
/// `WAGATE_TEST_POSTGRES_URL` is not set, unless `WAGATE_TEST_REQUIRE_POSTGRES`
/// is: then it fails (see [`postgres_availability`]). The test itself stays an ordinary
/// fn, which rustfmt formats.
///
/// ```ignore
/// on_backends!(a_message_is_stored);
/// async fn a_message_is_stored(backend: Backend) {
///     let app = spawn_app(backend).await;
///     …
/// }
/// ```
#[macro_export]
macro_rules! on_backends {
    ($name:ident) => {
        $crate::on_backends!(#[tokio::test] $name);
    };
    ($(#[$attribute:meta])+ $name:ident) => {
        mod $name {
            $(#[$attribute])+
            async fn sqlite() {
                super::$name($crate::common::db::Backend::Sqlite).await
            }

            $(#[$attribute])+
            async fn postgres() {
                let backend = $crate::common::db::Backend::Postgres;
                if let Some(why) = backend.unavailable() {
                    $crate::common::db::skipped(concat!(module_path!(), "::postgres"), &why);
                    return;
                }
                super::$name(backend).await
            }
        }
    };
}

/// Runs a test that needs PostgreSQL (several instances on one database):
/// `on_postgres!(name);` beside `async fn name() { … }` makes the test
/// `name::postgres`, skipped or failed without a server exactly as
/// [`on_backends!`]'s PostgreSQL variant is. Attributes as for that macro.
#[macro_export]
macro_rules! on_postgres {
    ($name:ident) => {
        $crate::on_postgres!(#[tokio::test] $name);
    };
    ($(#[$attribute:meta])+ $name:ident) => {
        mod $name {
            $(#[$attribute])+
            async fn postgres() {
                if let Some(why) = $crate::common::db::Backend::Postgres.unavailable() {
                    $crate::common::db::skipped(concat!(module_path!(), "::postgres"), &why);
                    return;
                }
                super::$name().await
            }
        }
    };
}

/// Every column of every row, as text or NULL.
fn texts<'r, R>(rows: &'r [R]) -> Vec<Vec<Option<String>>>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|column| row.try_get(column).expect("a text column"))
                .collect()
        })
        .collect()
}
