//! The rows the store keeps, as plain Rust values shared by every backend:
//! the units of time and key/value pairs here, each concern's models next
//! to its store trait (`store::sql::*`), re-exported here.

use std::collections::BTreeMap;

/// Unix time in milliseconds.
pub type Millis = i64;

/// String key/value pairs (LINK's `KeyValue`), kept in key order.
pub type KeyValues = BTreeMap<String, String>;

pub use super::sql::callbacks::{
    AttemptRecord, ClaimedDelivery, DeliveryAttempt, DeliveryRecord, FollowOn, NewDelivery,
    RecordedAttempt, ReportBatch, RoutedInbound, UnroutedInbound,
};
pub use super::sql::messages::{
    MessageCallback, MessageRecord, MessageSearch, MessageSummary, NewMessage, NewPart, NewRequest,
    PartRecord, PlatformFields, StatusRecord,
};
pub use super::sql::outbox::{ClaimedPart, EventRecord, NewStatus, Outcome, OutcomeChange};
pub use super::sql::retention::ErasedContent;
pub use super::sql::tenants::{
    Account, Gate, GateFormat, Owned, Route, Source, SourceLevel, TenantKind, User, owned_by,
};
pub use super::sql::webhooks::{
    Contact, ContactIds, InboundReport, StatusReport, WebhookBatch, WebhookReceipt, e164,
};
