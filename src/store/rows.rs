//! Reading rows into the store's models, whichever backend they come from,
//! and naming write errors.
//!
//! Both schemas use the same column names and types that decode to the same
//! Rust types (`BIGINT` ↔ `i64`, `BOOLEAN` ↔ `bool`, JSON as `TEXT`), so
//! every model has one decoder, written against [`StoreRow`].

use sqlx::Row;
use sqlx::postgres::{PgRow, Postgres};
use sqlx::sqlite::{Sqlite, SqliteRow};
use wagate_domain::{Country, MessageState, Priority};

use super::{
    Account, AttemptRecord, ClaimedDelivery, ClaimedPart, Contact, DeliveryRecord, EventRecord,
    Gate, GateFormat, MessageCallback, MessageRecord, MessageSummary, PartRecord, PlatformFields,
    Route, Source, SourceLevel, StatusRecord, StoreError, StoreResult, TenantStore,
    UnroutedInbound, User,
};

/// A value that decodes from a column of either backend, read through sqlx
/// or (on SQLite's writer and reader threads) rusqlite.
pub trait StoreValue:
    for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
    + rusqlite::types::FromSql
{
}

impl<T> StoreValue for T where
    T: for<'r> sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
        + rusqlite::types::FromSql
{
}

/// A row of either backend, read by column name.
pub trait StoreRow {
    fn get<T: StoreValue>(&self, column: &str) -> StoreResult<T>;
}

impl StoreRow for SqliteRow {
    fn get<T: StoreValue>(&self, column: &str) -> StoreResult<T> {
        Ok(self.try_get(column)?)
    }
}

impl StoreRow for PgRow {
    fn get<T: StoreValue>(&self, column: &str) -> StoreResult<T> {
        Ok(self.try_get(column)?)
    }
}

/// A model read from one row.
pub trait FromStoreRow: Sized {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self>;
}

/// Turns a unique-key or foreign-key failure into the store's own error.
pub fn map_write_error(error: sqlx::Error, what: &str) -> StoreError {
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(what.to_owned())
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::NotFound("the referenced account".to_owned())
        }
        other => StoreError::Database(other),
    }
}

pub fn corrupt(column: &str, value: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("column {column} holds an unknown value {value:?}").into(),
    ))
}

fn json<T: serde::de::DeserializeOwned>(row: &impl StoreRow, column: &str) -> StoreResult<T> {
    let text: String = row.get(column)?;
    Ok(serde_json::from_str(&text)?)
}

fn optional_json(row: &impl StoreRow, column: &str) -> StoreResult<Option<serde_json::Value>> {
    let text: Option<String> = row.get(column)?;
    Ok(text.as_deref().map(serde_json::from_str).transpose()?)
}

/// A content column: `None` once the content was erased (the empty text,
/// see the `content_retention` migration).
fn kept_content(row: &impl StoreRow, column: &str) -> StoreResult<Option<String>> {
    let text: String = row.get(column)?;
    Ok((!text.is_empty()).then_some(text))
}

/// A column that holds a `u32` (an index, a code).
pub fn small(row: &impl StoreRow, column: &str) -> StoreResult<u32> {
    let value: i64 = row.get(column)?;
    u32::try_from(value).map_err(|_| corrupt(column, &value.to_string()))
}

/// A counter that saturates rather than fails (attempts).
fn count(row: &impl StoreRow, column: &str) -> StoreResult<u32> {
    let value: i64 = row.get(column)?;
    Ok(u32::try_from(value).unwrap_or(u32::MAX))
}

pub fn state(row: &impl StoreRow, column: &str) -> StoreResult<MessageState> {
    let state: String = row.get(column)?;
    MessageState::parse(&state).ok_or_else(|| corrupt(column, &state))
}

/// An account's default country (an ISO code the admin API checked).
pub fn default_country(row: &impl StoreRow) -> StoreResult<Option<Country>> {
    let code: Option<String> = row.get("default_country")?;
    code.map(|code| Country::parse(&code).ok_or_else(|| corrupt("default_country", &code)))
        .transpose()
}

fn priority(row: &impl StoreRow) -> StoreResult<Priority> {
    let priority: String = row.get("priority")?;
    Priority::parse(&priority).ok_or_else(|| corrupt("priority", &priority))
}

impl FromStoreRow for Account {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.get("id")?,
            platform_id: row.get("platform_id")?,
            platform_partner_id: row.get("platform_partner_id")?,
            name: row.get("name")?,
            default_country: default_country(row)?,
            created_at: row.get("created_at")?,
        })
    }
}

impl FromStoreRow for User {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            username: row.get("username")?,
            account_id: row.get("account_id")?,
            password_hash: row.get("password_hash")?,
            api_key_hash: row.get("api_key_hash")?,
            created_at: row.get("created_at")?,
        })
    }
}

impl FromStoreRow for Source {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        let level: String = row.get("level")?;
        let throughput: Option<i64> = row.get("throughput")?;
        Ok(Self {
            id: row.get("id")?,
            account_id: row.get("account_id")?,
            number: row.get("number")?,
            phone_number_id: row.get("phone_number_id")?,
            waba_id: row.get("waba_id")?,
            access_token: row.get("access_token")?,
            level: SourceLevel::parse(&level).ok_or_else(|| corrupt("level", &level))?,
            throughput: throughput.and_then(|value| u32::try_from(value).ok()),
            care_window_check: row.get("care_window_check")?,
            created_at: row.get("created_at")?,
        })
    }
}

impl FromStoreRow for Gate {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        let format: String = row.get("format")?;
        Ok(Self {
            id: row.get("id")?,
            account_id: row.get("account_id")?,
            url: row.get("url")?,
            format: GateFormat::parse(&format).ok_or_else(|| corrupt("format", &format))?,
            custom_parameters: json(row, "custom_parameters")?,
            signing_secret: row.get("signing_secret")?,
            created_at: row.get("created_at")?,
        })
    }
}

impl FromStoreRow for Route {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.get("id")?,
            account_id: row.get("account_id")?,
            number: row.get("number")?,
            keyword: row.get("keyword")?,
            gate_ids: json(row, "gate_ids")?,
            ref_id: row.get("ref_id")?,
            custom_parameters: json(row, "custom_parameters")?,
            created_at: row.get("created_at")?,
        })
    }
}

impl FromStoreRow for MessageRecord {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            message_id: row.get("message_id")?,
            account_id: row.get("account_id")?,
            username: row.get("username")?,
            source: row.get("source")?,
            destination: row.get("destination")?,
            ref_id: row.get("ref_id")?,
            priority: priority(row)?,
            expires_at: row.get("expires_at")?,
            created_at: row.get("created_at")?,
            platform: PlatformFields {
                platform_service_id: row.get("platform_service_id")?,
                platform_service_type: row.get("platform_service_type")?,
                platform_transaction_id: row.get("platform_transaction_id")?,
            },
            custom_parameters: json(row, "custom_parameters")?,
            gate_ids: json(row, "gate_ids")?,
            callback: row
                .get::<Option<String>>("callback_url")?
                .map(|url| -> StoreResult<MessageCallback> {
                    Ok(MessageCallback {
                        url,
                        data: row.get("callback_data")?,
                    })
                })
                .transpose()?,
            request_id: row.get("request_id")?,
            parts: Vec::new(),
        })
    }
}

impl FromStoreRow for MessageSummary {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        let first_state: Option<String> = row.get("state")?;
        Ok(Self {
            message_id: row.get("message_id")?,
            account_id: row.get("account_id")?,
            ref_id: row.get("ref_id")?,
            source: row.get("source")?,
            destination: row.get("destination")?,
            created_at: row.get("created_at")?,
            parts: row.get("parts")?,
            state: first_state
                .map(|text| MessageState::parse(&text).ok_or_else(|| corrupt("state", &text)))
                .transpose()?,
        })
    }
}

impl FromStoreRow for PartRecord {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            message_index: small(row, "message_index")?,
            message_type: row.get("message_type")?,
            state: state(row, "state")?,
            result_code: small(row, "result_code")?,
            cloud_body: kept_content(row, "cloud_body")?,
            history: Vec::new(),
        })
    }
}

impl FromStoreRow for StatusRecord {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            state: state(row, "state")?,
            result_code: small(row, "result_code")?,
            description: row.get("description")?,
            details: optional_json(row, "details")?,
            at: row.get("at")?,
        })
    }
}

/// A claimed part, with the claim's `lease`.
impl FromStoreRow for ClaimedPart {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            message_id: row.get("message_id")?,
            message_index: small(row, "message_index")?,
            account_id: row.get("account_id")?,
            destination: row.get("destination")?,
            priority: priority(row)?,
            message_type: row.get("message_type")?,
            cloud_body: row.get("cloud_body")?,
            expires_at: row.get("expires_at")?,
            attempts: count(row, "attempts")?,
            lease: row.get("lease")?,
            last_inbound_at: row.get("last_inbound_at")?,
            request_id: row.get("request_id")?,
        })
    }
}

/// An event joined with its status (`event_id` names the event).
impl FromStoreRow for EventRecord {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.get("event_id")?,
            account_id: row.get("account_id")?,
            message_id: row.get("message_id")?,
            message_index: small(row, "message_index")?,
            status: StatusRecord::from_row(row)?,
        })
    }
}

impl FromStoreRow for Contact {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            account_id: row.get("account_id")?,
            phone: row.get("phone")?,
            user_id: row.get("user_id")?,
            parent_user_id: row.get("parent_user_id")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// A claimed delivery, with the claim's `lease`.
impl FromStoreRow for ClaimedDelivery {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.get("id")?,
            gate_id: row.get("gate_id")?,
            url: row.get("url")?,
            signing_secret: row.get("signing_secret")?,
            payload: row.get("payload")?,
            attempts: count(row, "attempts")?,
            lease: row.get("lease")?,
            request_id: row.get("request_id")?,
            origin: row.get("origin")?,
            queued_at: row.get("queued_at")?,
        })
    }
}

/// A delivery without its tries (the caller adds them).
impl FromStoreRow for DeliveryRecord {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.get("id")?,
            origin: row.get("origin")?,
            gate_id: row.get("gate_id")?,
            url: row.get("url")?,
            ordering: row.get("ordering")?,
            state: row.get("state")?,
            payload: kept_content(row, "payload")?,
            next_attempt_at: row.get("next_attempt_at")?,
            created_at: row.get("created_at")?,
            finished_at: row.get("finished_at")?,
            attempts: Vec::new(),
        })
    }
}

impl FromStoreRow for AttemptRecord {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        let status: Option<i64> = row.get("http_status")?;
        Ok(Self {
            at: row.get("at")?,
            http_status: status.and_then(|status| u16::try_from(status).ok()),
            error: row.get("error")?,
            duration_ms: row.get("duration_ms")?,
        })
    }
}

/// An unrouted incoming message without its source (the caller looks it up
/// by the row's `source_id`).
impl FromStoreRow for UnroutedInbound {
    fn from_row(row: &impl StoreRow) -> StoreResult<Self> {
        let message: String = row.get("message")?;
        Ok(Self {
            wamid: row.get("wamid")?,
            phone_number_id: row.get("phone_number_id")?,
            at: row.get("at")?,
            received_at: row.get("received_at")?,
            message: serde_json::from_str(&message)?,
            contact: optional_json(row, "contact")?,
            source: None,
        })
    }
}

/// Unrouted incoming messages (rows with a `source_id`), each with the
/// source it came to.
pub async fn with_sources<R: StoreRow + Sync>(
    store: &(impl TenantStore + ?Sized),
    rows: &[R],
) -> StoreResult<Vec<UnroutedInbound>> {
    let mut unrouted = Vec::with_capacity(rows.len());
    for row in rows {
        let source_id: Option<String> = row.get("source_id")?;
        let source = match source_id {
            Some(id) => store.source(&id).await?,
            None => None,
        };
        unrouted.push(UnroutedInbound {
            source,
            ..UnroutedInbound::from_row(row)?
        });
    }
    Ok(unrouted)
}
