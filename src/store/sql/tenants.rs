//! Tenants: the [`TenantStore`] trait, its models (accounts, users, sources,
//! gates, routes) and its implementation on both backends, with the settings
//! and number blocks and deleting any tenant row; the SQL is the same on
//! SQLite and PostgreSQL.

use async_trait::async_trait;
use serde::Serialize;
use sqlx::AssertSqlSafe;
use wagate_domain::Country;

use super::{Arg, Driver, SqlBackend, Statement, read_all, read_optional, write};
use crate::clock::now_millis;
use crate::store::rows::{self, FromStoreRow, StoreRow, map_write_error};
use crate::store::{KeyValues, Millis, StoreError, StoreResult};

/// Accounts, users, sources, gates and routes.
#[async_trait]
pub trait TenantStore: Send + Sync {
    async fn insert_account(&self, account: &Account) -> StoreResult<()>;
    async fn account(&self, id: &str) -> StoreResult<Option<Account>>;
    async fn account_by_platform(
        &self,
        platform_id: &str,
        platform_partner_id: &str,
    ) -> StoreResult<Option<Account>>;
    async fn accounts(&self) -> StoreResult<Vec<Account>>;

    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    async fn user(&self, username: &str) -> StoreResult<Option<User>>;
    /// A user together with its account, in one read (the login path).
    async fn user_with_account(&self, username: &str) -> StoreResult<Option<(User, Account)>>;
    /// The user whose API key has this digest (see
    /// [`crate::auth::api_key_digest`]), with its account.
    async fn user_by_api_key(&self, api_key_digest: &str) -> StoreResult<Option<(User, Account)>>;
    async fn users(&self) -> StoreResult<Vec<User>>;

    async fn insert_source(&self, source: &Source) -> StoreResult<()>;
    async fn source(&self, id: &str) -> StoreResult<Option<Source>>;
    async fn source_by_number(&self, number: &str) -> StoreResult<Option<Source>>;
    async fn source_by_phone_number_id(&self, phone_number_id: &str)
    -> StoreResult<Option<Source>>;
    async fn sources(&self) -> StoreResult<Vec<Source>>;
    /// Sets a source's throughput level (as Meta reports it); `false` when
    /// there is no such source.
    async fn set_source_level(&self, id: &str, level: SourceLevel) -> StoreResult<bool>;

    async fn insert_gate(&self, gate: &Gate) -> StoreResult<()>;
    async fn gate(&self, id: &str) -> StoreResult<Option<Gate>>;
    async fn gates(&self) -> StoreResult<Vec<Gate>>;
    /// The gate with `gate.id`: the stored one, or `gate` (stored now) when
    /// there is none yet.
    async fn ensure_gate(&self, gate: &Gate) -> StoreResult<Gate>;

    async fn insert_route(&self, route: &Route) -> StoreResult<()>;
    async fn route(&self, id: &str) -> StoreResult<Option<Route>>;
    async fn routes(&self) -> StoreResult<Vec<Route>>;

    /// A value the gateway generates once and keeps: the stored one, or
    /// `generated` (stored now) when there is none yet.
    async fn setting(&self, name: &str, generated: &str) -> StoreResult<String>;
    /// Takes the next `count` numbers of the sequence `name` (which starts
    /// at 1) for the caller alone, across every instance: returns the
    /// first; the caller owns it and the `count - 1` after it.
    async fn reserve_numbers(&self, name: &str, count: u32) -> StoreResult<i64>;

    /// Deletes one row of `kind`; `false` when there was none.
    async fn delete(&self, kind: TenantKind, id: &str) -> StoreResult<bool>;
}

/// The kinds of tenant rows the admin API manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantKind {
    Account,
    User,
    Source,
    Gate,
    Route,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    pub platform_id: String,
    pub platform_partner_id: String,
    pub name: Option<String>,
    /// The country numbers in local form are read in (LINK allows "local or
    /// international format"); without one they are refused.
    pub default_country: Option<Country>,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: String,
    pub account_id: String,
    /// PHC string of the argon2 hash.
    pub password_hash: String,
    /// SHA-256 (hex) of the API key; the key itself is shown once.
    pub api_key_hash: String,
    pub created_at: Millis,
}

/// Meta's messaging limit tier of a business number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SourceLevel {
    Standard,
    High,
}

impl SourceLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "STANDARD",
            Self::High => "HIGH",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "STANDARD" => Some(Self::Standard),
            "HIGH" => Some(Self::High),
            _ => None,
        }
    }

    /// Messages per second Meta allows at this level.
    pub fn default_throughput(self) -> u32 {
        match self {
            Self::Standard => 80,
            Self::High => 1000,
        }
    }
}

/// A business phone number the tenant sends from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: String,
    pub account_id: String,
    /// E.164, e.g. `+46701234567`.
    pub number: String,
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    pub access_token: Option<String>,
    pub level: SourceLevel,
    /// Messages per second; `None` follows `level`.
    pub throughput: Option<u32>,
    /// Fail non-template messages outside the 24-hour window before sending.
    pub care_window_check: bool,
    pub created_at: Millis,
}

impl Source {
    /// Messages per second its submissions are paced at: its own
    /// `throughput` when set, else its level's.
    pub fn per_second(&self) -> u32 {
        self.throughput.unwrap_or(self.level.default_throughput())
    }
}

/// The payload format a gate receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GateFormat {
    Link,
    Devino,
}

impl GateFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Devino => "devino",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "link" => Some(Self::Link),
            "devino" => Some(Self::Devino),
            _ => None,
        }
    }
}

/// A callback endpoint (LINK's "event report gate").
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    pub id: String,
    pub account_id: String,
    pub url: String,
    pub format: GateFormat,
    pub custom_parameters: KeyValues,
    pub signing_secret: Option<String>,
    pub created_at: Millis,
}

/// Where incoming messages to a number go; `keyword` empty is the number's
/// default route.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub id: String,
    pub account_id: String,
    pub number: String,
    pub keyword: String,
    pub gate_ids: Vec<String>,
    pub ref_id: Option<String>,
    pub custom_parameters: KeyValues,
    pub created_at: Millis,
}

/// A row that belongs to one account.
pub trait Owned {
    fn account_id(&self) -> &str;
}

impl Owned for Source {
    fn account_id(&self) -> &str {
        &self.account_id
    }
}

impl Owned for Gate {
    fn account_id(&self) -> &str {
        &self.account_id
    }
}

impl Owned for Route {
    fn account_id(&self) -> &str {
        &self.account_id
    }
}

/// The row if it exists and belongs to `account_id`: another tenant's row is
/// treated exactly like a missing one.
pub fn owned_by<T: Owned>(row: Option<T>, account_id: &str) -> Option<T> {
    row.filter(|row| row.account_id() == account_id)
}

/// The INSERT of `gate`'s row, followed by `on_conflict` (one of the
/// callers' constants).
fn gate_insert<B: SqlBackend>(
    gate: &Gate,
    on_conflict: &'static str,
) -> StoreResult<Statement<B::Db>> {
    let sql = format!(
        "INSERT INTO gates (id, account_id, url, format, custom_parameters, signing_secret, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) {on_conflict}"
    );
    let custom_parameters = serde_json::to_string(&gate.custom_parameters)?;
    Ok(B::Db::statement(
        AssertSqlSafe(sql),
        [
            Arg::Text(&gate.id),
            Arg::Text(&gate.account_id),
            Arg::Text(&gate.url),
            Arg::Text(gate.format.as_str()),
            Arg::Text(&custom_parameters),
            Arg::OptionalText(gate.signing_secret.as_deref()),
            Arg::Int(gate.created_at),
        ],
    ))
}

/// A user with its account, found by one of the users' unique columns
/// (`column` is one of the callers' constants).
async fn login_where<B: SqlBackend>(
    store: &B,
    column: &'static str,
    value: &str,
) -> StoreResult<Option<(User, Account)>> {
    let sql = format!(
        "SELECT users.*, accounts.id, accounts.platform_id, accounts.platform_partner_id,
                accounts.name, accounts.default_country,
                accounts.created_at AS account_created_at
         FROM users JOIN accounts ON accounts.id = users.account_id
         WHERE users.{column} = $1"
    );
    let statement = B::Db::statement(AssertSqlSafe(sql), [Arg::Text(value)]);
    let Some(row) = B::Db::fetch_optional(store.reader(), statement).await? else {
        return Ok(None);
    };
    let user = User::from_row(&row)?;
    let account = Account {
        id: row.get("id")?,
        platform_id: row.get("platform_id")?,
        platform_partner_id: row.get("platform_partner_id")?,
        name: row.get("name")?,
        default_country: rows::default_country(&row)?,
        created_at: row.get("account_created_at")?,
    };
    Ok(Some((user, account)))
}

/// Runs an INSERT on the writer pool; a taken unique key is a
/// [`StoreError::Conflict`] naming `what`.
async fn insert<B: SqlBackend>(
    store: &B,
    what: &str,
    statement: Statement<B::Db>,
) -> StoreResult<()> {
    let turn = store.write_turn().await?;
    B::Db::execute(&*turn, statement)
        .await
        .map(drop)
        .map_err(|error| map_write_error(error, what))
}

#[async_trait]
impl<B: SqlBackend> TenantStore for B {
    async fn insert_account(&self, account: &Account) -> StoreResult<()> {
        let statement = B::Db::statement(
            "INSERT INTO accounts (id, platform_id, platform_partner_id, name, default_country, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            [
                Arg::Text(&account.id),
                Arg::Text(&account.platform_id),
                Arg::Text(&account.platform_partner_id),
                Arg::OptionalText(account.name.as_deref()),
                Arg::OptionalText(account.default_country.map(Country::code)),
                Arg::Int(account.created_at),
            ],
        );
        insert(
            self,
            "account with this platformId and platformPartnerId",
            statement,
        )
        .await
    }

    async fn account(&self, id: &str) -> StoreResult<Option<Account>> {
        read_optional(
            self,
            "SELECT * FROM accounts WHERE id = $1",
            &[Arg::Text(id)],
        )
        .await
    }

    async fn account_by_platform(
        &self,
        platform_id: &str,
        platform_partner_id: &str,
    ) -> StoreResult<Option<Account>> {
        read_optional(
            self,
            "SELECT * FROM accounts WHERE platform_id = $1 AND platform_partner_id = $2",
            &[Arg::Text(platform_id), Arg::Text(platform_partner_id)],
        )
        .await
    }

    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        read_all(self, "SELECT * FROM accounts ORDER BY created_at, id", &[]).await
    }

    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        let statement = B::Db::statement(
            "INSERT INTO users (username, account_id, password_hash, api_key_hash, created_at)
             VALUES ($1, $2, $3, $4, $5)",
            [
                Arg::Text(&user.username),
                Arg::Text(&user.account_id),
                Arg::Text(&user.password_hash),
                Arg::Text(&user.api_key_hash),
                Arg::Int(user.created_at),
            ],
        );
        insert(self, "user with this username", statement).await
    }

    async fn user(&self, username: &str) -> StoreResult<Option<User>> {
        read_optional(
            self,
            "SELECT * FROM users WHERE username = $1",
            &[Arg::Text(username)],
        )
        .await
    }

    async fn user_with_account(&self, username: &str) -> StoreResult<Option<(User, Account)>> {
        login_where(self, "username", username).await
    }

    async fn user_by_api_key(&self, api_key_digest: &str) -> StoreResult<Option<(User, Account)>> {
        login_where(self, "api_key_hash", api_key_digest).await
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        read_all(
            self,
            "SELECT * FROM users ORDER BY created_at, username",
            &[],
        )
        .await
    }

    async fn insert_source(&self, source: &Source) -> StoreResult<()> {
        let statement = B::Db::statement(
            "INSERT INTO sources (id, account_id, number, phone_number_id, waba_id, access_token,
                                  level, throughput, care_window_check, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [
                Arg::Text(&source.id),
                Arg::Text(&source.account_id),
                Arg::Text(&source.number),
                Arg::OptionalText(source.phone_number_id.as_deref()),
                Arg::OptionalText(source.waba_id.as_deref()),
                Arg::OptionalText(source.access_token.as_deref()),
                Arg::Text(source.level.as_str()),
                Arg::OptionalInt(source.throughput.map(i64::from)),
                Arg::Bool(source.care_window_check),
                Arg::Int(source.created_at),
            ],
        );
        insert(self, "source with this number or phoneNumberId", statement).await
    }

    async fn source(&self, id: &str) -> StoreResult<Option<Source>> {
        read_optional(
            self,
            "SELECT * FROM sources WHERE id = $1",
            &[Arg::Text(id)],
        )
        .await
    }

    async fn source_by_number(&self, number: &str) -> StoreResult<Option<Source>> {
        read_optional(
            self,
            "SELECT * FROM sources WHERE number = $1",
            &[Arg::Text(number)],
        )
        .await
    }

    async fn source_by_phone_number_id(
        &self,
        phone_number_id: &str,
    ) -> StoreResult<Option<Source>> {
        read_optional(
            self,
            "SELECT * FROM sources WHERE phone_number_id = $1",
            &[Arg::Text(phone_number_id)],
        )
        .await
    }

    async fn sources(&self) -> StoreResult<Vec<Source>> {
        read_all(self, "SELECT * FROM sources ORDER BY created_at, id", &[]).await
    }

    async fn set_source_level(&self, id: &str, level: SourceLevel) -> StoreResult<bool> {
        let changed = write(
            self,
            "UPDATE sources SET level = $1 WHERE id = $2",
            &[Arg::Text(level.as_str()), Arg::Text(id)],
        )
        .await?;
        Ok(changed > 0)
    }

    async fn insert_gate(&self, gate: &Gate) -> StoreResult<()> {
        let statement = gate_insert::<B>(gate, "")?;
        insert(self, "gate with this id", statement).await
    }

    async fn gate(&self, id: &str) -> StoreResult<Option<Gate>> {
        read_optional(self, "SELECT * FROM gates WHERE id = $1", &[Arg::Text(id)]).await
    }

    async fn gates(&self) -> StoreResult<Vec<Gate>> {
        read_all(self, "SELECT * FROM gates ORDER BY created_at, id", &[]).await
    }

    async fn insert_route(&self, route: &Route) -> StoreResult<()> {
        let gate_ids = serde_json::to_string(&route.gate_ids)?;
        let custom_parameters = serde_json::to_string(&route.custom_parameters)?;
        let statement = B::Db::statement(
            "INSERT INTO routes (id, account_id, number, keyword, gate_ids, ref_id, custom_parameters, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                Arg::Text(&route.id),
                Arg::Text(&route.account_id),
                Arg::Text(&route.number),
                Arg::Text(&route.keyword),
                Arg::Text(&gate_ids),
                Arg::OptionalText(route.ref_id.as_deref()),
                Arg::Text(&custom_parameters),
                Arg::Int(route.created_at),
            ],
        );
        insert(
            self,
            "route with this id, or for this number and keyword",
            statement,
        )
        .await
    }

    async fn route(&self, id: &str) -> StoreResult<Option<Route>> {
        read_optional(self, "SELECT * FROM routes WHERE id = $1", &[Arg::Text(id)]).await
    }

    async fn routes(&self) -> StoreResult<Vec<Route>> {
        read_all(self, "SELECT * FROM routes ORDER BY created_at, id", &[]).await
    }

    async fn ensure_gate(&self, gate: &Gate) -> StoreResult<Gate> {
        let statement = gate_insert::<B>(gate, "ON CONFLICT (id) DO NOTHING")?;
        let turn = self.write_turn().await?;
        B::Db::execute(&*turn, statement).await?;
        let statement =
            B::Db::statement("SELECT * FROM gates WHERE id = $1", [Arg::Text(&gate.id)]);
        let row = B::Db::fetch_one(&*turn, statement).await?;
        Gate::from_row(&row)
    }

    async fn reserve_numbers(&self, name: &str, count: u32) -> StoreResult<i64> {
        let count = i64::from(count.max(1));
        let statement = B::Db::statement(
            "INSERT INTO number_blocks (name, next) VALUES ($1, 1 + $2)
             ON CONFLICT (name) DO UPDATE SET next = number_blocks.next + $2
             RETURNING next",
            [Arg::Text(name), Arg::Int(count)],
        );
        let turn = self.write_turn().await?;
        let next: i64 = B::Db::fetch_one(&*turn, statement).await?.get("next")?;
        Ok(next - count)
    }

    async fn setting(&self, name: &str, generated: &str) -> StoreResult<String> {
        write(
            self,
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[Arg::Text(name), Arg::Text(generated)],
        )
        .await?;
        let statement = B::Db::statement(
            "SELECT value FROM settings WHERE name = $1",
            [Arg::Text(name)],
        );
        let turn = self.write_turn().await?;
        B::Db::fetch_one(&*turn, statement).await?.get("value")
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
        let turn = self.write_turn().await?;
        let mut tx = turn.begin_with(B::BEGIN_WRITE).await?;
        let statement = B::Db::statement(AssertSqlSafe(sql), [Arg::Text(id)]);
        let deleted = B::Db::execute(&mut tx, statement)
            .await
            .map_err(|error| match error {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::InUse(format!("{table} {id} is still referenced"))
                }
                other => StoreError::Database(other),
            })?;
        if kind == TenantKind::Gate {
            // Its queued callbacks go nowhere now; they stay listed. After
            // the delete: on PostgreSQL, a feed that was queueing callbacks
            // for the gate holds the gate's row (see INSERT_DELIVERIES), so
            // the delete waited for it, and this statement sees what it
            // queued.
            let statement = B::Db::statement(
                "UPDATE deliveries SET state = 'GAVE_UP',
                     payload = CASE WHEN content_until <= $2 THEN '' ELSE payload END,
                     content_until = CASE WHEN content_until <= $2 THEN NULL
                                          ELSE content_until END
                 WHERE gate_id = $1 AND state = 'PENDING'",
                [Arg::Text(id), Arg::Int(now_millis())],
            );
            B::Db::execute(&mut tx, statement).await?;
            let statement = B::Db::statement(
                "DELETE FROM delivery_leases WHERE gate_id = $1",
                [Arg::Text(id)],
            );
            B::Db::execute(&mut tx, statement).await?;
        }
        tx.commit().await?;
        Ok(deleted > 0)
    }
}
