//! The SQLite store: one file, WAL journal, `synchronous=FULL`, embedded
//! migrations (`migrations/sqlite`).
//!
//! SQLite allows one writer at a time, so writes go through a pool of exactly
//! one connection and reads through a separate read-only pool; the accept
//! path batches many requests per transaction, which is where SQLite's write
//! throughput comes from (one commit, one fsync, for the whole batch).

mod accept;
mod callbacks;
mod history;
mod leases;
mod outbox;
mod rows;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row};

use super::{
    Account, Gate, MessageRecord, MessageStore, NewRequest, Route, Source, StoreError, StoreResult,
    TenantKind, TenantStore, User,
};
use rows::{FromSqliteRow, map_write_error};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite://PATH` URL and
    /// brings its schema up to date.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self { writer, reader })
    }

    async fn fetch_optional<T: FromSqliteRow>(
        &self,
        sql: &'static str,
        key: &str,
    ) -> StoreResult<Option<T>> {
        let row = sqlx::query(sql)
            .bind(key)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(T::from_row).transpose()
    }

    async fn fetch_all<T: FromSqliteRow>(&self, sql: &'static str) -> StoreResult<Vec<T>> {
        let rows = sqlx::query(sql).fetch_all(&self.reader).await?;
        rows.iter().map(T::from_row).collect()
    }

    async fn execute_insert(&self, what: &str, query: SqliteQuery<'_>) -> StoreResult<()> {
        query
            .execute(&self.writer)
            .await
            .map(drop)
            .map_err(|error| map_write_error(error, what))
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

#[async_trait]
impl TenantStore for SqliteStore {
    async fn insert_account(&self, account: &Account) -> StoreResult<()> {
        let query = sqlx::query(
            "INSERT INTO accounts (id, platform_id, platform_partner_id, name, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&account.id)
        .bind(&account.platform_id)
        .bind(&account.platform_partner_id)
        .bind(&account.name)
        .bind(account.created_at);
        self.execute_insert("account with this platformId and platformPartnerId", query)
            .await
    }

    async fn account(&self, id: &str) -> StoreResult<Option<Account>> {
        self.fetch_optional("SELECT * FROM accounts WHERE id = $1", id)
            .await
    }

    async fn account_by_platform(
        &self,
        platform_id: &str,
        platform_partner_id: &str,
    ) -> StoreResult<Option<Account>> {
        let row = sqlx::query(
            "SELECT * FROM accounts WHERE platform_id = $1 AND platform_partner_id = $2",
        )
        .bind(platform_id)
        .bind(platform_partner_id)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(Account::from_row).transpose()
    }

    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        self.fetch_all("SELECT * FROM accounts ORDER BY created_at, id")
            .await
    }

    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        let query = sqlx::query(
            "INSERT INTO users (username, account_id, password_hash, api_key_hash, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&user.username)
        .bind(&user.account_id)
        .bind(&user.password_hash)
        .bind(&user.api_key_hash)
        .bind(user.created_at);
        self.execute_insert("user with this username", query).await
    }

    async fn user(&self, username: &str) -> StoreResult<Option<User>> {
        self.fetch_optional("SELECT * FROM users WHERE username = $1", username)
            .await
    }

    async fn user_with_account(&self, username: &str) -> StoreResult<Option<(User, Account)>> {
        let row = sqlx::query(
            "SELECT users.*, accounts.id, accounts.platform_id, accounts.platform_partner_id,
                    accounts.name, accounts.created_at AS account_created_at
             FROM users JOIN accounts ON accounts.id = users.account_id
             WHERE users.username = $1",
        )
        .bind(username)
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user = User::from_row(&row)?;
        let account = Account {
            id: row.try_get("id")?,
            platform_id: row.try_get("platform_id")?,
            platform_partner_id: row.try_get("platform_partner_id")?,
            name: row.try_get("name")?,
            created_at: row.try_get("account_created_at")?,
        };
        Ok(Some((user, account)))
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        self.fetch_all("SELECT * FROM users ORDER BY created_at, username")
            .await
    }

    async fn insert_source(&self, source: &Source) -> StoreResult<()> {
        let query = sqlx::query(
            "INSERT INTO sources (id, account_id, number, phone_number_id, waba_id, access_token,
                                  level, throughput, care_window_check, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&source.id)
        .bind(&source.account_id)
        .bind(&source.number)
        .bind(&source.phone_number_id)
        .bind(&source.waba_id)
        .bind(&source.access_token)
        .bind(source.level.as_str())
        .bind(source.throughput.map(i64::from))
        .bind(source.care_window_check)
        .bind(source.created_at);
        self.execute_insert("source with this number or phoneNumberId", query)
            .await
    }

    async fn source(&self, id: &str) -> StoreResult<Option<Source>> {
        self.fetch_optional("SELECT * FROM sources WHERE id = $1", id)
            .await
    }

    async fn source_by_number(&self, number: &str) -> StoreResult<Option<Source>> {
        self.fetch_optional("SELECT * FROM sources WHERE number = $1", number)
            .await
    }

    async fn source_by_phone_number_id(
        &self,
        phone_number_id: &str,
    ) -> StoreResult<Option<Source>> {
        self.fetch_optional(
            "SELECT * FROM sources WHERE phone_number_id = $1",
            phone_number_id,
        )
        .await
    }

    async fn sources(&self) -> StoreResult<Vec<Source>> {
        self.fetch_all("SELECT * FROM sources ORDER BY created_at, id")
            .await
    }

    async fn insert_gate(&self, gate: &Gate) -> StoreResult<()> {
        let query = sqlx::query(
            "INSERT INTO gates (id, account_id, url, format, custom_parameters, signing_secret, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&gate.id)
        .bind(&gate.account_id)
        .bind(&gate.url)
        .bind(gate.format.as_str())
        .bind(serde_json::to_string(&gate.custom_parameters)?)
        .bind(&gate.signing_secret)
        .bind(gate.created_at);
        self.execute_insert("gate with this id", query).await
    }

    async fn gate(&self, id: &str) -> StoreResult<Option<Gate>> {
        self.fetch_optional("SELECT * FROM gates WHERE id = $1", id)
            .await
    }

    async fn gates(&self) -> StoreResult<Vec<Gate>> {
        self.fetch_all("SELECT * FROM gates ORDER BY created_at, id")
            .await
    }

    async fn insert_route(&self, route: &Route) -> StoreResult<()> {
        let query = sqlx::query(
            "INSERT INTO routes (id, account_id, number, keyword, gate_ids, ref_id, custom_parameters, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&route.id)
        .bind(&route.account_id)
        .bind(&route.number)
        .bind(&route.keyword)
        .bind(serde_json::to_string(&route.gate_ids)?)
        .bind(&route.ref_id)
        .bind(serde_json::to_string(&route.custom_parameters)?)
        .bind(route.created_at);
        self.execute_insert("route with this id, or for this number and keyword", query)
            .await
    }

    async fn route(&self, id: &str) -> StoreResult<Option<Route>> {
        self.fetch_optional("SELECT * FROM routes WHERE id = $1", id)
            .await
    }

    async fn routes(&self) -> StoreResult<Vec<Route>> {
        self.fetch_all("SELECT * FROM routes ORDER BY created_at, id")
            .await
    }

    async fn setting(&self, name: &str, generated: &str) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(generated)
        .execute(&self.writer)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_one(&self.writer)
                .await?,
        )
    }

    async fn delete(&self, kind: TenantKind, id: &str) -> StoreResult<bool> {
        let (table, key) = match kind {
            TenantKind::Account => ("accounts", "id"),
            TenantKind::User => ("users", "username"),
            TenantKind::Source => ("sources", "id"),
            TenantKind::Gate => ("gates", "id"),
            TenantKind::Route => ("routes", "id"),
        };
        let sql = format!("DELETE FROM {table} WHERE {key} = $1");
        let mut tx = self.writer.begin().await?;
        if kind == TenantKind::Gate {
            // Its queued callbacks go nowhere now; they stay listed.
            sqlx::query(
                "UPDATE deliveries SET state = 'GAVE_UP', lease_owner = NULL, lease_until = 0
                 WHERE gate_id = $1 AND state = 'PENDING'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let result = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|error| match error {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::InUse(format!("{table} {id} is still referenced"))
                }
                other => StoreError::Database(other),
            })?;
        tx.commit().await?;
        Ok(result.rows_affected() > 0)
    }
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn accept(&self, batch: &[NewRequest]) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        accept::insert_batch(&mut tx, batch).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn message(
        &self,
        account_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<MessageRecord>> {
        // One read transaction: the parts' states and their histories come
        // from the same snapshot.
        let mut snapshot = self.reader.begin().await?;
        let Some(row) =
            sqlx::query("SELECT * FROM messages WHERE message_id = $1 AND account_id = $2")
                .bind(message_id)
                .bind(account_id)
                .fetch_optional(&mut *snapshot)
                .await?
        else {
            return Ok(None);
        };
        let mut record = MessageRecord::from_row(&row)?;
        let parts =
            sqlx::query("SELECT * FROM message_parts WHERE message_id = $1 ORDER BY message_index")
                .bind(message_id)
                .fetch_all(&mut *snapshot)
                .await?;
        let statuses = sqlx::query(
            "SELECT * FROM message_statuses WHERE message_id = $1 ORDER BY message_index, id",
        )
        .bind(message_id)
        .fetch_all(&mut *snapshot)
        .await?;
        snapshot.commit().await?;
        for part_row in &parts {
            let mut part = super::PartRecord::from_row(part_row)?;
            for status_row in &statuses {
                let index: i64 = status_row.try_get("message_index")?;
                if index == i64::from(part.message_index) {
                    part.history
                        .push(super::StatusRecord::from_row(status_row)?);
                }
            }
            record.parts.push(part);
        }
        Ok(Some(record))
    }
}
