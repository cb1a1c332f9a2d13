//! Rows that a statement on the writer thread ([`super::writer`]) read,
//! kept after the statement moves on, so that the shared decoders
//! ([`FromStoreRow`](crate::store::rows::FromStoreRow),
//! [`ReportPlan`](crate::store::batch::ReportPlan)) read them as they read
//! sqlx's rows.

use std::sync::Arc;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{CachedStatement, Params};

use crate::store::rows::{StoreRow, StoreValue};
use crate::store::{StoreError, StoreResult};

/// One row: its values, and the column names its statement gave (shared by
/// the statement's rows).
pub struct OwnedRow {
    columns: Arc<[String]>,
    values: Vec<Value>,
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
