//! Accepted messages on both backends ([`MessageStore`]): accepting is the
//! backend's hot write ([`SqlBackend::accept_batch`]); one message with its
//! parts' histories is read from one snapshot; the operator's search runs
//! the statement of [`crate::store::search`].

use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::{Arg, Driver, SqlBackend};
use crate::store::rows::{FromStoreRow, StoreRow};
use crate::store::search::{self, Bound};
use crate::store::{
    MessageRecord, MessageSearch, MessageStore, MessageSummary, NewRequest, PartRecord,
    StatusRecord, StoreResult,
};

impl<'a> From<&'a Bound> for Arg<'a> {
    fn from(bound: &'a Bound) -> Self {
        match bound {
            Bound::Text(text) => Arg::Text(text),
            Bound::Number(number) => Arg::Int(*number),
        }
    }
}

#[async_trait]
impl<B: SqlBackend> MessageStore for B {
    async fn accept(&self, batch: &[NewRequest]) -> StoreResult<()> {
        self.accept_batch(batch).await
    }

    async fn message(
        &self,
        account_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<MessageRecord>> {
        // One read transaction: the parts' states and their histories come
        // from the same snapshot.
        let mut snapshot = self.reader().begin_with(B::SNAPSHOT).await?;
        let statement = B::Db::statement(
            "SELECT * FROM messages WHERE message_id = $1 AND account_id = $2",
            [Arg::Text(message_id), Arg::Text(account_id)],
        );
        let Some(row) = B::Db::fetch_optional(&mut snapshot, statement).await? else {
            return Ok(None);
        };
        let mut record = MessageRecord::from_row(&row)?;
        let statement = B::Db::statement(
            "SELECT * FROM message_parts WHERE message_id = $1 ORDER BY message_index",
            [Arg::Text(message_id)],
        );
        let parts = B::Db::fetch_all(&mut snapshot, statement).await?;
        let statement = B::Db::statement(
            "SELECT * FROM message_statuses WHERE message_id = $1
             ORDER BY message_index, id",
            [Arg::Text(message_id)],
        );
        let statuses = B::Db::fetch_all(&mut snapshot, statement).await?;
        snapshot.commit().await?;
        for part_row in &parts {
            let mut part = PartRecord::from_row(part_row)?;
            for status_row in &statuses {
                let index: i64 = status_row.get("message_index")?;
                if index == i64::from(part.message_index) {
                    part.history.push(StatusRecord::from_row(status_row)?);
                }
            }
            record.parts.push(part);
        }
        Ok(Some(record))
    }

    async fn search_messages(
        &self,
        search: &MessageSearch,
        limit: u32,
    ) -> StoreResult<Vec<MessageSummary>> {
        let (sql, values) = search::statement(search, limit);
        let statement = B::Db::statement(AssertSqlSafe(sql), values.iter().map(Arg::from));
        let rows = B::Db::fetch_all(self.reader(), statement).await?;
        rows.iter().map(MessageSummary::from_row).collect()
    }
}
