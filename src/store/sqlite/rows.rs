//! Rows that a statement on the writer or the reader thread
//! ([`super::writer`], [`super::reader`]) reads, for the shared decoders
//! ([`FromStoreRow`], [`ReportPlan`](crate::store::batch::ReportPlan)),
//! which read them as they read sqlx's rows: decoded into their models as
//! the statement steps ([`decode_rows`]), or kept after it moves on
//! ([`query_rows`]).

use std::sync::Arc;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{CachedStatement, Params};

use crate::store::rows::{FromStoreRow, StoreRow, StoreValue};
use crate::store::{StoreError, StoreResult};

/// One row: its values, and the column names its statement gave (shared by
/// the statement's rows).
pub struct OwnedRow {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

/// The models of every row `statement` returns for `params`, each decoded
/// from SQLite's row as it is read (no copy of its values between).
pub fn decode_rows<T: FromStoreRow>(
    statement: &mut CachedStatement<'_>,
    params: impl Params,
) -> StoreResult<Vec<T>> {
    let mut rows = statement.query(params)?;
    let mut models = Vec::new();
    while let Some(row) = rows.next()? {
        models.push(T::from_row(row)?);
    }
    Ok(models)
}

/// Every row `statement` returns for `params`.
pub fn query_rows(
    statement: &mut CachedStatement<'_>,
    params: impl Params,
) -> rusqlite::Result<Vec<OwnedRow>> {
    let columns: Arc<[String]> = statement
        .column_names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut rows = statement.query(params)?;
    let mut owned = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..columns.len())
            .map(|index| row.get::<_, Value>(index))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        owned.push(OwnedRow {
            columns: columns.clone(),
            values,
        });
    }
    Ok(owned)
}

impl StoreRow for rusqlite::Row<'_> {
    fn get<T: StoreValue>(&self, column: &str) -> StoreResult<T> {
        Ok(rusqlite::Row::get(self, column)?)
    }
}

impl StoreRow for OwnedRow {
    fn get<T: StoreValue>(&self, column: &str) -> StoreResult<T> {
        let (index, value) = self
            .columns
            .iter()
            .zip(&self.values)
            .enumerate()
            .find_map(|(index, (name, value))| (name == column).then_some((index, value)))
            .ok_or_else(|| rusqlite::Error::InvalidColumnName(column.to_owned()))?;
        let value = ValueRef::from(value);
        T::column_result(value).map_err(|error| {
            StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
                index,
                value.data_type(),
                Box::new(error),
            ))
        })
    }
}
