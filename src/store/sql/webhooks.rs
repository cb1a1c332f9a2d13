//! Meta's webhooks on both backends ([`WebhookStore`]): storing them is the
//! backend's hot write ([`SqlBackend::receive_webhooks`]); the contact
//! book, the wamids of incoming messages and forgetting old statuses are
//! here.

use async_trait::async_trait;

use super::{Arg, Driver, SqlBackend, read_optional, write};
use crate::store::rows::StoreRow;
use crate::store::{Contact, Millis, StoreResult, WebhookBatch, WebhookReceipt, WebhookStore};

#[async_trait]
impl<B: SqlBackend> WebhookStore for B {
    async fn receive(&self, batches: &[WebhookBatch]) -> StoreResult<Vec<WebhookReceipt>> {
        self.receive_webhooks(batches).await
    }

    async fn contact(&self, account_id: &str, phone: &str) -> StoreResult<Option<Contact>> {
        read_optional(
            self,
            "SELECT * FROM contacts WHERE account_id = $1 AND phone = $2",
            &[Arg::Text(account_id), Arg::Text(phone)],
        )
        .await
    }

    async fn received_wamid(&self, phone_number_id: &str, id: &str) -> StoreResult<Option<String>> {
        let statement = B::Db::statement(
            "SELECT wamid FROM inbound_messages
             WHERE phone_number_id = $1 AND (message_id = $2 OR wamid = $2)
             LIMIT 1",
            [Arg::Text(phone_number_id), Arg::Text(id)],
        );
        let row = B::Db::fetch_optional(self.reader(), statement).await?;
        row.map(|row| row.get("wamid")).transpose()
    }

    async fn forget_old_statuses(&self, received_before: Millis) -> StoreResult<u64> {
        write(
            self,
            "DELETE FROM meta_statuses WHERE received_at < $1",
            &[Arg::Int(received_before)],
        )
        .await
    }
}
