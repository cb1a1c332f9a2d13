//! Reading SQLite rows into the store's models, and naming write errors.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use wagate_domain::{MessageState, Priority};

use crate::store::{
    Account, Gate, GateFormat, MessageRecord, PartRecord, PlatformFields, Route, Source,
    SourceLevel, StatusRecord, StoreError, StoreResult, User,
};

pub trait FromSqliteRow: Sized {
    fn from_row(row: &SqliteRow) -> StoreResult<Self>;
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

fn json<T: serde::de::DeserializeOwned>(row: &SqliteRow, column: &str) -> StoreResult<T> {
    let text: String = row.try_get(column)?;
    Ok(serde_json::from_str(&text)?)
}

impl FromSqliteRow for Account {
    fn from_row(row: &SqliteRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            platform_id: row.try_get("platform_id")?,
            platform_partner_id: row.try_get("platform_partner_id")?,
            name: row.try_get("name")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl FromSqliteRow for User {
    fn from_row(row: &SqliteRow) -> StoreResult<Self> {
        Ok(Self {
            username: row.try_get("username")?,
            account_id: row.try_get("account_id")?,
            password_hash: row.try_get("password_hash")?,
            api_key_hash: row.try_get("api_key_hash")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl FromSqliteRow for Source {
    fn from_row(row: &SqliteRow) -> StoreResult<Self> {
        let level: String = row.try_get("level")?;
        let throughput: Option<i64> = row.try_get("throughput")?;
        Ok(Self {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            number: row.try_get("number")?,
            phone_number_id: row.try_get("phone_number_id")?,
            waba_id: row.try_get("waba_id")?,
            access_token: row.try_get("access_token")?,
            level: SourceLevel::parse(&level).ok_or_else(|| corrupt("level", &level))?,
            throughput: throughput.and_then(|value| u32::try_from(value).ok()),
            care_window_check: row.try_get("care_window_check")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl FromSqliteRow for Gate {
    fn from_row(row: &SqliteRow) -> StoreResult<Self> {
        let format: String = row.try_get("format")?;
        Ok(Self {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            url: row.try_get("url")?,
            format: GateFormat::parse(&format).ok_or_else(|| corrupt("format", &format))?,
            custom_parameters: json(row, "custom_parameters")?,
            signing_secret: row.try_get("signing_secret")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl FromSqliteRow for Route {
    fn from_row(row: &SqliteRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            number: row.try_get("number")?,
            keyword: row.try_get("keyword")?,
            gate_ids: json(row, "gate_ids")?,
            ref_id: row.try_get("ref_id")?,
            custom_parameters: json(row, "custom_parameters")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl FromSqliteRow for MessageRecord {
    fn from_row(row: &SqliteRow) -> StoreResult<Self> {
        let priority: String = row.try_get("priority")?;
        Ok(Self {
            message_id: row.try_get("message_id")?,
            account_id: row.try_get("account_id")?,
            username: row.try_get("username")?,
            source: row.try_get("source")?,
            destination: row.try_get("destination")?,
            ref_id: row.try_get("ref_id")?,
            priority: Priority::parse(&priority).ok_or_else(|| corrupt("priority", &priority))?,
            expires_at: row.try_get("expires_at")?,
            created_at: row.try_get("created_at")?,
            platform: PlatformFields {
                platform_service_id: row.try_get("platform_service_id")?,
                platform_service_type: row.try_get("platform_service_type")?,
                platform_transaction_id: row.try_get("platform_transaction_id")?,
            },
            custom_parameters: json(row, "custom_parameters")?,
            gate_ids: json(row, "gate_ids")?,
            parts: Vec::new(),
        })
    }
}

fn state(row: &SqliteRow) -> StoreResult<MessageState> {
    let state: String = row.try_get("state")?;
    MessageState::parse(&state).ok_or_else(|| corrupt("state", &state))
}

fn result_code(row: &SqliteRow) -> StoreResult<u32> {
    let code: i64 = row.try_get("result_code")?;
    u32::try_from(code).map_err(|_| corrupt("result_code", &code.to_string()))
}

impl FromSqliteRow for PartRecord {
    fn from_row(row: &SqliteRow) -> StoreResult<Self> {
        let index: i64 = row.try_get("message_index")?;
        Ok(Self {
            message_index: u32::try_from(index)
                .map_err(|_| corrupt("message_index", &index.to_string()))?,
            message_type: row.try_get("message_type")?,
            state: state(row)?,
            result_code: result_code(row)?,
            cloud_body: row.try_get("cloud_body")?,
            history: Vec::new(),
        })
    }
}

impl FromSqliteRow for StatusRecord {
    fn from_row(row: &SqliteRow) -> StoreResult<Self> {
        let details: Option<String> = row.try_get("details")?;
        Ok(Self {
            state: state(row)?,
            result_code: result_code(row)?,
            description: row.try_get("description")?,
            details: details.as_deref().map(serde_json::from_str).transpose()?,
            at: row.try_get("at")?,
        })
    }
}
