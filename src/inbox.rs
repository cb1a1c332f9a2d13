//! The sandbox's callback inbox: with `--upstream sandbox`, an endpoint a
//! gate can point at (`POST /sandbox/v1/inbox`) that keeps the last
//! callbacks it received, so the console's playground (and anyone trying
//! the gateway) can see the delivery reports and incoming messages exactly
//! as a business's own endpoint would get them. Bounded: at most
//! `--sandbox-inbox-limit` callbacks, each at most [`MAX_BODY_BYTES`].

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use crate::store::Millis;

/// The largest callback body kept; callbacks are a few kilobytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// One callback received.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxEntry {
    /// Counts up from 1 in the order callbacks arrived.
    pub seq: u64,
    /// Unix milliseconds when it arrived.
    pub at: Millis,
    /// The callback's JSON body, any JSON value (a string holding the text
    /// if not JSON).
    #[schema(value_type = Value)]
    pub body: Value,
}

impl InboxEntry {
    /// What the callback is, in a few words: a LINK delivery report or
    /// incoming message, a Devino status or incoming message.
    pub fn kind(&self) -> &'static str {
        let looks_like = |body: &Value| {
            if body.get("resultCode").is_some() && body.get("messageId").is_some() {
                "delivery report"
            } else if body.get("content").is_some() && body.get("route").is_some() {
                "incoming message"
            } else if body.get("status").is_some() {
                "status"
            } else if body.get("incomingMessage").is_some() || body.get("from").is_some() {
                "incoming message"
            } else {
                "callback"
            }
        };
        match &self.body {
            Value::Array(items) => items.first().map_or("callback", looks_like),
            body => looks_like(body),
        }
    }
}

/// The last callbacks received, oldest first.
pub struct Inbox {
    limit: usize,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    kept: VecDeque<InboxEntry>,
    last_seq: u64,
}

impl Inbox {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            entries: Mutex::new(Entries::default()),
        }
    }

    /// Keeps a callback's body, dropping the oldest past the limit;
    /// returns its sequence number.
    pub fn record(&self, at: Millis, raw: &[u8]) -> u64 {
        let body = serde_json::from_slice(raw)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(raw).into_owned()));
        let mut entries = self.lock();
        entries.last_seq += 1;
        let seq = entries.last_seq;
        entries.kept.push_back(InboxEntry { seq, at, body });
        while entries.kept.len() > self.limit {
            entries.kept.pop_front();
        }
        seq
    }

    /// The kept callbacks after `since`, oldest first.
    pub fn since(&self, since: u64) -> Vec<InboxEntry> {
        self.lock()
            .kept
            .iter()
            .filter(|entry| entry.seq > since)
            .cloned()
            .collect()
    }

    /// The last `count` callbacks, newest first.
    pub fn latest(&self, count: usize) -> Vec<InboxEntry> {
        self.lock().kept.iter().rev().take(count).cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves whole entries behind.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_callbacks_up_to_the_limit() {
        let inbox = Inbox::new(2);
        assert_eq!(inbox.record(1, br#"{"a":1}"#), 1);
        assert_eq!(inbox.record(2, b"not json"), 2);
        assert_eq!(inbox.record(3, br#"{"a":3}"#), 3);
        let kept = inbox.since(0);
        assert_eq!(
            kept.iter().map(|entry| entry.seq).collect::<Vec<_>>(),
            [2, 3]
        );
        assert_eq!(kept[0].body, Value::String("not json".into()));
        assert_eq!(inbox.since(2).len(), 1);
        assert_eq!(inbox.latest(1)[0].seq, 3);
    }

    #[test]
    fn tells_reports_from_incoming_messages() {
        let entry = |body: Value| InboxEntry {
            seq: 1,
            at: 0,
            body,
        };
        let dlr = serde_json::json!({"messageId": "m", "resultCode": 1001, "refId": "r"});
        assert_eq!(entry(dlr).kind(), "delivery report");
        let mo = serde_json::json!({"content": {}, "route": {}, "source": "+4670"});
        assert_eq!(entry(mo).kind(), "incoming message");
        let devino = serde_json::json!([{"messageId": 1, "status": "DELIVERED"}]);
        assert_eq!(entry(devino).kind(), "status");
        assert_eq!(entry(Value::Null).kind(), "callback");
    }
}
