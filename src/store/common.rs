//! What the SQLite and PostgreSQL stores share: every trait of the store is
//! implemented once, here, by [`sql_store_common!`], for each store type.
//! Where the backends differ (the SQL dialect, how a claim is made, what
//! a concurrent writer must lock) the shared code calls a piece that each
//! backend defines under the same name:
//!
//! - SQL text, as associated constants: `INSERT_DELIVERIES`,
//!   `MESSAGES_TO_REPORT`, `PARTS_TO_REPORT`, `CONTACTS_OF`,
//!   `UNROUTED_INBOUND`, `MARK_ROUTED`;
//! - `Self::list(items)`, a list as the backend's SQL binds it (a JSON
//!   array on SQLite, an array on PostgreSQL);
//! - the hot writes, whole: `self.accept_batch(batch)` (accepting),
//!   `self.record_outcomes(outcomes)` and `self.release_parts(lease, parts)`
//!   (the dispatcher's outcomes, and the parts it gives back),
//!   `self.receive_webhooks(batches)` (Meta's webhooks),
//!   `self.record_delivery_attempts(attempts, follow)` (callback tries). On SQLite each is
//!   one job on the writer thread, on PostgreSQL one sqlx transaction;
//! - `self.lease_due_parts(…)` and `self.lease_due_deliveries(…)` (claims).
//!
//! A macro rather than generic functions: the code is the same, but sqlx's
//! executors, argument buffers and query results are per-driver types whose
//! generic bounds would outweigh the code. A store that invokes the macro
//! has `writer` and `reader` pools (the same pool on PostgreSQL).

/// Implements the shared parts of a store for `$store`, whose pools are of
/// the sqlx database `$db`; `$snapshot` begins a read transaction whose
/// statements all see one snapshot, and `$write_begin` a transaction on the
/// writer pool.
macro_rules! sql_store_common {
    ($store:ty, $db:ty, $snapshot:literal, $write_begin:expr) => {
        const _: () = {
            use async_trait::async_trait;
            use sqlx::AssertSqlSafe;
            use $crate::clock::now_millis;
            use $crate::store::batch::delivery_rows;
            use $crate::store::rows::{self, FromStoreRow, StoreRow, map_write_error, with_sources};
            use wagate_domain::Country;
            use $crate::store::{
                Account, AttemptRecord, CallbackStore, ClaimedDelivery, ClaimedPart, Contact,
                DeliveryAttempt, DeliveryRecord, EventRecord, Gate, LeaseHolder, LeaseStore,
                ErasedContent, MessageRecord, MessageStore, Millis, NewDelivery, NewRequest,
                OutboxStore, Outcome, PartRecord, RetentionStore, Route, RoutedInbound,
                Source, SourceLevel, StatusRecord, StoreError, StoreResult, TenantKind, TenantStore,
                UnroutedInbound, User, WebhookBatch, WebhookReceipt, WebhookStore, lease_sql,
            };

            type Query<'q> = sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>;

            impl $store {
                async fn fetch_optional<T: FromStoreRow>(
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

                /// The INSERT of `gate`'s row, followed by `on_conflict` (one of
                /// the callers' constants).
                fn gate_insert<'q>(gate: &'q Gate, on_conflict: &'static str) -> StoreResult<Query<'q>> {
                    let sql = format!(
                        "INSERT INTO gates (id, account_id, url, format, custom_parameters, signing_secret, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) {on_conflict}"
                    );
                    Ok(sqlx::query(AssertSqlSafe(sql))
                        .bind(&gate.id)
                        .bind(&gate.account_id)
                        .bind(&gate.url)
                        .bind(gate.format.as_str())
                        .bind(serde_json::to_string(&gate.custom_parameters)?)
                        .bind(&gate.signing_secret)
                        .bind(gate.created_at))
                }

                /// A user with its account, found by one of the users' unique
                /// columns (`column` is one of the callers' constants).
                async fn login_where(
                    &self,
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
                    let row = sqlx::query(AssertSqlSafe(sql))
                        .bind(value)
                        .fetch_optional(&self.reader)
                        .await?;
                    let Some(row) = row else {
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

                async fn fetch_all<T: FromStoreRow>(
                    &self,
                    sql: &'static str,
                ) -> StoreResult<Vec<T>> {
                    let rows = sqlx::query(sql).fetch_all(&self.reader).await?;
                    rows.iter().map(T::from_row).collect()
                }

                async fn execute_insert(&self, what: &str, query: Query<'_>) -> StoreResult<()> {
                    query
                        .execute(&self.writer)
                        .await
                        .map(drop)
                        .map_err(|error| map_write_error(error, what))
                }

                /// Moves the event cursor `cursor` from `from` to `to` in
                /// the caller's transaction; `false` when it is no longer
                /// at `from`. The `UPDATE` locks the cursor's row, so a
                /// concurrent mover waits for this transaction and then
                /// finds the cursor moved.
                async fn move_cursor(
                    connection: &mut <$db as sqlx::Database>::Connection,
                    cursor: &str,
                    from: i64,
                    to: i64,
                ) -> StoreResult<bool> {
                    sqlx::query(
                        "INSERT INTO cursors (name, position) VALUES ($1, 0) ON CONFLICT DO NOTHING",
                    )
                    .bind(cursor)
                    .execute(&mut *connection)
                    .await?;
                    let moved = sqlx::query(
                        "UPDATE cursors SET position = $3 WHERE name = $1 AND position = $2",
                    )
                    .bind(cursor)
                    .bind(from)
                    .bind(to)
                    .execute(&mut *connection)
                    .await?
                    .rows_affected();
                    Ok(moved == 1)
                }

                /// Queues deliveries, in order (`INSERT_DELIVERIES`); an
                /// (origin, gate) already queued is not queued again.
                async fn insert_deliveries(
                    connection: &mut <$db as sqlx::Database>::Connection,
                    deliveries: &[NewDelivery],
                ) -> StoreResult<()> {
                    let Some(rows) = delivery_rows(deliveries)? else {
                        return Ok(());
                    };
                    sqlx::query(Self::INSERT_DELIVERIES)
                        .bind(rows)
                        .bind(now_millis())
                        .execute(&mut *connection)
                        .await?;
                    Ok(())
                }

                /// The deliveries a query selects, each with its tries, from
                /// one snapshot.
                async fn deliveries_with_attempts(
                    &self,
                    query: Query<'_>,
                ) -> StoreResult<Vec<DeliveryRecord>> {
                    let mut snapshot = self.reader.begin_with($snapshot).await?;
                    let rows = query.fetch_all(&mut *snapshot).await?;
                    let mut deliveries = Vec::with_capacity(rows.len());
                    for row in &rows {
                        let mut delivery = DeliveryRecord::from_row(row)?;
                        delivery.attempts = sqlx::query(
                            "SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id",
                        )
                        .bind(delivery.id)
                        .fetch_all(&mut *snapshot)
                        .await?
                        .iter()
                        .map(AttemptRecord::from_row)
                        .collect::<StoreResult<Vec<_>>>()?;
                        deliveries.push(delivery);
                    }
                    snapshot.commit().await?;
                    Ok(deliveries)
                }
            }

            #[async_trait]
            impl MessageStore for $store {
                async fn accept(&self, batch: &[NewRequest]) -> StoreResult<()> {
                    self.accept_batch(batch).await
                }

                async fn message(
                    &self,
                    account_id: &str,
                    message_id: &str,
                ) -> StoreResult<Option<MessageRecord>> {
                    // One read transaction: the parts' states and their
                    // histories come from the same snapshot.
                    let mut snapshot = self.reader.begin_with($snapshot).await?;
                    let Some(row) = sqlx::query(
                        "SELECT * FROM messages WHERE message_id = $1 AND account_id = $2",
                    )
                    .bind(message_id)
                    .bind(account_id)
                    .fetch_optional(&mut *snapshot)
                    .await?
                    else {
                        return Ok(None);
                    };
                    let mut record = MessageRecord::from_row(&row)?;
                    let parts = sqlx::query(
                        "SELECT * FROM message_parts WHERE message_id = $1 ORDER BY message_index",
                    )
                    .bind(message_id)
                    .fetch_all(&mut *snapshot)
                    .await?;
                    let statuses = sqlx::query(
                        "SELECT * FROM message_statuses WHERE message_id = $1
                         ORDER BY message_index, id",
                    )
                    .bind(message_id)
                    .fetch_all(&mut *snapshot)
                    .await?;
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
                    search: &crate::store::MessageSearch,
                    limit: u32,
                ) -> StoreResult<Vec<crate::store::MessageSummary>> {
                    let (sql, values) = crate::store::search::statement(search, limit);
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for value in values {
                        query = match value {
                            crate::store::search::Bound::Text(text) => query.bind(text),
                            crate::store::search::Bound::Number(number) => query.bind(number),
                        };
                    }
                    let rows = query.fetch_all(&self.reader).await?;
                    rows.iter()
                        .map(crate::store::MessageSummary::from_row)
                        .collect()
                }
            }

            #[async_trait]
            impl OutboxStore for $store {
                async fn claim(
                    &self,
                    source: &str,
                    lease: &str,
                    now: Millis,
                    lease_until: Millis,
                    limit: u32,
                ) -> StoreResult<Vec<ClaimedPart>> {
                    self.lease_due_parts(source, lease, now, lease_until, limit)
                        .await
                }

                async fn record(&self, outcomes: &[Outcome]) -> StoreResult<Vec<bool>> {
                    self.record_outcomes(outcomes).await
                }

                async fn release(&self, lease: &str, parts: &[(String, u32)]) -> StoreResult<()> {
                    self.release_parts(lease, parts).await
                }

                async fn outbox_sources(&self) -> StoreResult<Vec<String>> {
                    Ok(sqlx::query_scalar("SELECT DISTINCT source FROM outbox")
                        .fetch_all(&self.reader)
                        .await?)
                }

                async fn events_after(
                    &self,
                    after_id: i64,
                    limit: u32,
                ) -> StoreResult<Vec<EventRecord>> {
                    let rows = sqlx::query(
                        "SELECT e.id AS event_id, e.account_id, e.message_id, e.message_index,
                                s.state, s.result_code, s.description, s.details, s.at
                         FROM events e JOIN message_statuses s ON s.id = e.status_id
                         WHERE e.id > $1 ORDER BY e.id LIMIT $2",
                    )
                    .bind(after_id)
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?;
                    rows.iter().map(EventRecord::from_row).collect()
                }
            }

            #[async_trait]
            impl WebhookStore for $store {
                async fn receive(
                    &self,
                    batches: &[WebhookBatch],
                ) -> StoreResult<Vec<WebhookReceipt>> {
                    self.receive_webhooks(batches).await
                }

                async fn contact(
                    &self,
                    account_id: &str,
                    phone: &str,
                ) -> StoreResult<Option<Contact>> {
                    let row =
                        sqlx::query("SELECT * FROM contacts WHERE account_id = $1 AND phone = $2")
                            .bind(account_id)
                            .bind(phone)
                            .fetch_optional(&self.reader)
                            .await?;
                    row.as_ref().map(Contact::from_row).transpose()
                }

                async fn received_wamid(
                    &self,
                    phone_number_id: &str,
                    id: &str,
                ) -> StoreResult<Option<String>> {
                    Ok(sqlx::query_scalar(
                        "SELECT wamid FROM inbound_messages
                         WHERE phone_number_id = $1 AND (message_id = $2 OR wamid = $2)
                         LIMIT 1",
                    )
                    .bind(phone_number_id)
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?)
                }

                async fn forget_old_statuses(&self, received_before: Millis) -> StoreResult<u64> {
                    let result = sqlx::query("DELETE FROM meta_statuses WHERE received_at < $1")
                        .bind(received_before)
                        .execute(&self.writer)
                        .await?;
                    Ok(result.rows_affected())
                }
            }

            #[async_trait]
            impl CallbackStore for $store {
                async fn cursor(&self, name: &str) -> StoreResult<i64> {
                    let position: Option<i64> =
                        sqlx::query_scalar("SELECT position FROM cursors WHERE name = $1")
                            .bind(name)
                            .fetch_optional(&self.reader)
                            .await?;
                    Ok(position.unwrap_or(0))
                }

                async fn enqueue_deliveries(
                    &self,
                    cursor: &str,
                    from: i64,
                    to: i64,
                    deliveries: &[NewDelivery],
                ) -> StoreResult<bool> {
                    let mut tx = self.writer.begin_with($write_begin).await?;
                    // The cursor moves first: that locks its row, so another
                    // instance moving it from the same place (PostgreSQL; on
                    // SQLite the single writer already keeps them apart)
                    // waits here until this commits, then finds it moved and
                    // queues nothing.
                    if !Self::move_cursor(&mut tx, cursor, from, to).await? {
                        return Ok(false);
                    }
                    Self::insert_deliveries(&mut tx, deliveries).await?;
                    tx.commit().await?;
                    Ok(true)
                }

                async fn messages_to_report(
                    &self,
                    message_ids: &[&str],
                ) -> StoreResult<Vec<MessageRecord>> {
                    if message_ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let list = Self::list(message_ids)?;
                    let mut snapshot = self.reader.begin_with($snapshot).await?;
                    let rows = sqlx::query(Self::MESSAGES_TO_REPORT)
                        .bind(&list)
                        .fetch_all(&mut *snapshot)
                        .await?;
                    let mut messages = rows
                        .iter()
                        .map(MessageRecord::from_row)
                        .collect::<StoreResult<Vec<_>>>()?;
                    let reported: Vec<&str> = messages
                        .iter()
                        .map(|message| message.message_id.as_str())
                        .collect();
                    let part_rows = sqlx::query(Self::PARTS_TO_REPORT)
                        .bind(Self::list(&reported)?)
                        .fetch_all(&mut *snapshot)
                        .await?;
                    snapshot.commit().await?;
                    let mut parts: std::collections::HashMap<String, Vec<PartRecord>> =
                        std::collections::HashMap::new();
                    for row in &part_rows {
                        let message_id: String = row.get("message_id")?;
                        parts
                            .entry(message_id)
                            .or_default()
                            .push(PartRecord::from_row(row)?);
                    }
                    for message in &mut messages {
                        message.parts = parts.remove(&message.message_id).unwrap_or_default();
                    }
                    Ok(messages)
                }

                async fn contacts_of(&self, phones: &[&str]) -> StoreResult<Vec<Contact>> {
                    if phones.is_empty() {
                        return Ok(Vec::new());
                    }
                    let rows = sqlx::query(Self::CONTACTS_OF)
                        .bind(Self::list(phones)?)
                        .fetch_all(&self.reader)
                        .await?;
                    rows.iter().map(Contact::from_row).collect()
                }

                async fn unrouted_inbound(&self, limit: u32) -> StoreResult<Vec<UnroutedInbound>> {
                    let rows = sqlx::query(Self::UNROUTED_INBOUND)
                        .bind(i64::from(limit))
                        .fetch_all(&self.reader)
                        .await?;
                    with_sources(self, &rows).await
                }

                async fn enqueue_routed(
                    &self,
                    routed: &[RoutedInbound],
                    deliveries: &[NewDelivery],
                ) -> StoreResult<()> {
                    let mut tx = self.writer.begin_with($write_begin).await?;
                    Self::insert_deliveries(&mut tx, deliveries).await?;
                    sqlx::query(Self::MARK_ROUTED)
                        .bind(serde_json::to_string(routed)?)
                        .bind(now_millis())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn claim_deliveries(
                    &self,
                    lease: &str,
                    now: Millis,
                    lease_until: Millis,
                    limit: u32,
                    per_gate: u32,
                ) -> StoreResult<Vec<ClaimedDelivery>> {
                    self.lease_due_deliveries(lease, now, lease_until, limit, per_gate)
                        .await
                }

                async fn record_attempts(
                    &self,
                    attempts: &[DeliveryAttempt],
                    follow: Option<$crate::store::FollowOn>,
                ) -> StoreResult<Vec<$crate::store::RecordedAttempt>> {
                    if attempts.is_empty() {
                        return Ok(Vec::new());
                    }
                    self.record_delivery_attempts(attempts, follow).await
                }

                async fn message_deliveries(
                    &self,
                    message_id: &str,
                ) -> StoreResult<Vec<DeliveryRecord>> {
                    let query =
                        sqlx::query("SELECT * FROM deliveries WHERE ordering = $1 ORDER BY id")
                            .bind(message_id);
                    self.deliveries_with_attempts(query).await
                }

                async fn gate_deliveries(
                    &self,
                    gate_id: &str,
                    limit: u32,
                ) -> StoreResult<Vec<DeliveryRecord>> {
                    let query = sqlx::query(
                        "SELECT * FROM deliveries WHERE gate_id = $1 ORDER BY id DESC LIMIT $2",
                    )
                    .bind(gate_id)
                    .bind(i64::from(limit));
                    self.deliveries_with_attempts(query).await
                }

                async fn redeliver(
                    &self,
                    gate_id: &str,
                    delivery_id: i64,
                    now: Millis,
                ) -> StoreResult<bool> {
                    // A copy at the end of the queue: it waits behind
                    // whatever of the same message is still pending, so the
                    // order holds. One whose content is no longer kept
                    // cannot be sent again.
                    let result = sqlx::query(
                        "INSERT INTO deliveries (origin, gate_id, account_id, ordering, url, payload,
                                                 content_until, request_id, state, next_attempt_at, created_at)
                         SELECT 'redeliver:' || id || ':' || $1, gate_id, account_id, ordering, url,
                                payload, content_until, request_id, 'PENDING', $1, $1
                         FROM deliveries WHERE id = $2 AND gate_id = $3 AND payload <> ''
                         ON CONFLICT (origin, gate_id) DO NOTHING",
                    )
                    .bind(now)
                    .bind(delivery_id)
                    .bind(gate_id)
                    .execute(&self.writer)
                    .await?;
                    Ok(result.rows_affected() == 1)
                }

                async fn set_gate_paused(
                    &self,
                    gate_id: &str,
                    paused_at: Option<Millis>,
                ) -> StoreResult<bool> {
                    let mut tx = self.writer.begin_with($write_begin).await?;
                    let exists = sqlx::query("SELECT 1 FROM gates WHERE id = $1")
                        .bind(gate_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .is_some();
                    if exists {
                        let statement = match paused_at {
                            Some(_) => {
                                "INSERT INTO gate_pauses (gate_id, paused_at) VALUES ($1, $2)
                                 ON CONFLICT (gate_id) DO NOTHING"
                            }
                            None => "DELETE FROM gate_pauses WHERE gate_id = $1",
                        };
                        sqlx::query(statement)
                            .bind(gate_id)
                            .bind(paused_at)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(exists)
                }

                async fn paused_gates(&self) -> StoreResult<Vec<(String, Millis)>> {
                    let rows = sqlx::query(
                        "SELECT gate_id, paused_at FROM gate_pauses ORDER BY paused_at, gate_id",
                    )
                    .fetch_all(&self.reader)
                    .await?;
                    rows.iter()
                        .map(|row| Ok((row.get("gate_id")?, row.get("paused_at")?)))
                        .collect()
                }
            }

            #[async_trait]
            impl RetentionStore for $store {
                async fn erase_content(&self, now: Millis) -> StoreResult<ErasedContent> {
                    // Each erases the content kept until `now` or earlier
                    // that is no longer needed: parts out of the outbox,
                    // routed incoming messages, callbacks that ended.
                    const ERASE: [&str; 3] = [
                        "UPDATE message_parts SET cloud_body = '', content_until = NULL
                         WHERE content_until <= $1
                           AND NOT EXISTS (SELECT 1 FROM outbox o
                                           WHERE o.message_id = message_parts.message_id
                                             AND o.message_index = message_parts.message_index)",
                        "UPDATE inbound_messages SET message = '', content_until = NULL
                         WHERE content_until <= $1 AND routed",
                        "UPDATE deliveries SET payload = '', content_until = NULL
                         WHERE content_until <= $1 AND state <> 'PENDING'",
                    ];
                    let mut tx = self.writer.begin_with($write_begin).await?;
                    let mut erased = [0; ERASE.len()];
                    for (count, sql) in erased.iter_mut().zip(ERASE) {
                        *count = sqlx::query(sql)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    }
                    tx.commit().await?;
                    let [parts, inbound, callbacks] = erased;
                    Ok(ErasedContent {
                        parts,
                        inbound,
                        callbacks,
                    })
                }
            }

            #[async_trait]
            impl LeaseStore for $store {
                async fn take_lease(
                    &self,
                    name: &str,
                    holder: &str,
                    now: Millis,
                    until: Millis,
                ) -> StoreResult<LeaseHolder> {
                    let mut tx = self.writer.begin_with($write_begin).await?;
                    let taken: Option<String> = sqlx::query_scalar(lease_sql::TAKE_LEASE)
                        .bind(name)
                        .bind(holder)
                        .bind(now)
                        .bind(until)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let result = if taken.is_some() {
                        LeaseHolder::Caller
                    } else {
                        let (holder, until): (String, Millis) =
                            sqlx::query_as(lease_sql::LEASE_HOLDER)
                                .bind(name)
                                .fetch_one(&mut *tx)
                                .await?;
                        LeaseHolder::Other { holder, until }
                    };
                    tx.commit().await?;
                    Ok(result)
                }

                async fn drop_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
                    sqlx::query(lease_sql::DROP_LEASE)
                        .bind(name)
                        .bind(holder)
                        .execute(&self.writer)
                        .await?;
                    Ok(())
                }
            }

            #[async_trait]
            impl TenantStore for $store {
                async fn insert_account(&self, account: &Account) -> StoreResult<()> {
                    let query = sqlx::query(
                        "INSERT INTO accounts (id, platform_id, platform_partner_id, name, default_country, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&account.id)
                    .bind(&account.platform_id)
                    .bind(&account.platform_partner_id)
                    .bind(&account.name)
                    .bind(account.default_country.map(Country::code))
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

                async fn user_with_account(
                    &self,
                    username: &str,
                ) -> StoreResult<Option<(User, Account)>> {
                    self.login_where("username", username).await
                }

                async fn user_by_api_key(
                    &self,
                    api_key_digest: &str,
                ) -> StoreResult<Option<(User, Account)>> {
                    self.login_where("api_key_hash", api_key_digest).await
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

                async fn set_source_level(&self, id: &str, level: SourceLevel) -> StoreResult<bool> {
                    let result = sqlx::query("UPDATE sources SET level = $1 WHERE id = $2")
                        .bind(level.as_str())
                        .bind(id)
                        .execute(&self.writer)
                        .await?;
                    Ok(result.rows_affected() > 0)
                }

                async fn insert_gate(&self, gate: &Gate) -> StoreResult<()> {
                    let query = Self::gate_insert(gate, "")?;
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

                async fn ensure_gate(&self, gate: &Gate) -> StoreResult<Gate> {
                    Self::gate_insert(gate, "ON CONFLICT (id) DO NOTHING")?
                        .execute(&self.writer)
                        .await?;
                    let row = sqlx::query("SELECT * FROM gates WHERE id = $1")
                        .bind(&gate.id)
                        .fetch_one(&self.writer)
                        .await?;
                    Gate::from_row(&row)
                }

                async fn reserve_numbers(&self, name: &str, count: u32) -> StoreResult<i64> {
                    let count = i64::from(count.max(1));
                    let next: i64 = sqlx::query_scalar(
                        "INSERT INTO number_blocks (name, next) VALUES ($1, 1 + $2)
                         ON CONFLICT (name) DO UPDATE SET next = number_blocks.next + $2
                         RETURNING next",
                    )
                    .bind(name)
                    .bind(count)
                    .fetch_one(&self.writer)
                    .await?;
                    Ok(next - count)
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
                    let mut tx = self.writer.begin_with($write_begin).await?;
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
                    if kind == TenantKind::Gate {
                        // Its queued callbacks go nowhere now; they stay
                        // listed. After the delete: on PostgreSQL, a feed
                        // that was queueing callbacks for the gate holds
                        // the gate's row (see INSERT_DELIVERIES), so the
                        // delete waited for it, and this statement sees
                        // what it queued.
                        sqlx::query(
                            "UPDATE deliveries SET state = 'GAVE_UP', lease_owner = NULL, lease_until = 0,
                                 payload = CASE WHEN content_until <= $2 THEN '' ELSE payload END,
                                 content_until = CASE WHEN content_until <= $2 THEN NULL
                                                      ELSE content_until END
                             WHERE gate_id = $1 AND state = 'PENDING'",
                        )
                        .bind(id)
                        .bind(now_millis())
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(result.rows_affected() > 0)
                }
            }
        };
    };
}

pub(crate) use sql_store_common;
