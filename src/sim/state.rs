//! What the simulator remembers: the sends it received and the webhooks it
//! posted (both capped, oldest dropped first), the media ids and upload
//! sessions (capped the same way), the counters, the 24-hour care
//! windows, the attempt counts of the sandbox numbers, the business numbers
//! and the phone ↔ BSUID contact book learnt from inbound messages.
//!
//! Kept behind one `std::sync::Mutex`; nothing here awaits.

use std::collections::{HashMap, VecDeque};

use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::{ReceivedSend, SimStats, WebhookRecord};
use crate::store::Millis;

/// How long an inbound message keeps the care window open.
pub const CARE_WINDOW_MS: Millis = 24 * 60 * 60 * 1000;

#[derive(Debug)]
pub struct State {
    limit: usize,
    sends: VecDeque<ReceivedSend>,
    last_send_seq: u64,
    webhooks: VecDeque<WebhookRecord>,
    last_webhook_seq: u64,
    stats: SimStats,
    /// (phone_number_id, user digits or BSUID) → last inbound message.
    windows: HashMap<(String, String), Millis>,
    /// sha256(phone_number_id, body) → sends so far.
    attempts: HashMap<[u8; 32], u32>,
    /// phone_number_id → display phone number (digits).
    display_numbers: HashMap<String, String>,
    /// Phone digits → BSUID and back.
    user_of_phone: HashMap<String, String>,
    phone_of_user: HashMap<String, String>,
    /// Media ids (uploaded, or sent by users) → what is known of them;
    /// at most `limit`, the oldest forgotten first.
    media: HashMap<String, MediaRecord>,
    media_order: VecDeque<String>,
    /// Resumable upload sessions in progress, at most `limit`.
    upload_sessions: HashMap<String, UploadSession>,
    upload_session_order: VecDeque<String>,
    /// Every WABA's message templates.
    pub templates: super::templates::Templates,
    /// phone_number_id → its WABA and details (at most [`MAX_NUMBERS`]).
    numbers: HashMap<String, NumberEntry>,
    /// Business profiles and delivery analytics of the numbers.
    pub business: super::business::BusinessState,
}

/// A registered phone number: its WABA, its digits, its throughput level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberEntry {
    pub waba_id: String,
    /// The number's digits (without `+`), when registration gave them.
    pub digits: Option<String>,
    /// Meta's throughput level: `STANDARD`, `HIGH` or `NOT_APPLICABLE`.
    pub level: String,
}

/// A media object: what `GET /{version}/{media-id}` tells (the bytes of
/// uploaded media are not kept).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MediaRecord {
    pub id: String,
    /// The business number it belongs to (uploaded by it, or sent to it);
    /// for a resumable upload's handle, the app whose session made it.
    pub phone_number_id: String,
    pub mime_type: String,
    pub file_size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Uploaded by the business (else sent by a user).
    pub uploaded: bool,
}

/// A resumable upload session: what was announced and what came so far.
#[derive(Debug, Clone)]
pub struct UploadSession {
    pub app_id: String,
    pub file_type: String,
    pub file_length: u64,
    pub offset: u64,
    pub hasher: Sha256,
}

/// Phone numbers whose WABA the simulator remembers.
pub const MAX_NUMBERS: usize = 100_000;

/// A recorded request or webhook body: its JSON text as it was. The records
/// are many (see [`State::new`]'s limit), and a few hundred bytes of text
/// cost far less than the parsed tree, which takes kilobytes.
pub type RecordedBody = Box<RawValue>;

/// `raw` as a recorded body: the JSON as it came, or a JSON string holding
/// the text when it is not JSON.
pub fn recorded_body(raw: &[u8]) -> RecordedBody {
    serde_json::from_slice(raw).unwrap_or_else(|_| {
        serde_json::value::to_raw_value(&String::from_utf8_lossy(raw))
            .unwrap_or_else(|_| RawValue::NULL.to_owned())
    })
}

/// A send as it is recorded.
pub struct SendRecord {
    pub at: Millis,
    pub phone_number_id: String,
    pub body: RecordedBody,
    pub status: u16,
    pub wamid: Option<String>,
    pub error_code: Option<i64>,
}

impl State {
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            sends: VecDeque::new(),
            last_send_seq: 0,
            webhooks: VecDeque::new(),
            last_webhook_seq: 0,
            stats: SimStats::default(),
            windows: HashMap::new(),
            attempts: HashMap::new(),
            display_numbers: HashMap::new(),
            user_of_phone: HashMap::new(),
            phone_of_user: HashMap::new(),
            media: HashMap::new(),
            templates: super::templates::Templates::default(),
            numbers: HashMap::new(),
            business: super::business::BusinessState::default(),
            media_order: VecDeque::new(),
            upload_sessions: HashMap::new(),
            upload_session_order: VecDeque::new(),
        }
    }

    /// Remembers that `phone_number_id` belongs to `waba_id`, with its
    /// digits and level when given (else those known stay, or none and
    /// STANDARD); false when the table is full.
    pub fn register_number(
        &mut self,
        phone_number_id: &str,
        waba_id: &str,
        digits: Option<&str>,
        level: Option<&str>,
    ) -> bool {
        let known = self.numbers.get(phone_number_id);
        if known.is_none() && self.numbers.len() >= MAX_NUMBERS {
            return false;
        }
        let entry = NumberEntry {
            waba_id: waba_id.to_owned(),
            digits: digits
                .map(str::to_owned)
                .or_else(|| known.and_then(|known| known.digits.clone())),
            level: level
                .map(str::to_owned)
                .or_else(|| known.map(|known| known.level.clone()))
                .unwrap_or_else(|| "STANDARD".to_owned()),
        };
        self.numbers.insert(phone_number_id.to_owned(), entry);
        true
    }

    /// The WABA of a registered phone number id.
    pub fn waba_of(&self, phone_number_id: &str) -> Option<String> {
        self.numbers
            .get(phone_number_id)
            .map(|entry| entry.waba_id.clone())
    }

    /// A registered phone number.
    pub fn number(&self, phone_number_id: &str) -> Option<&NumberEntry> {
        self.numbers.get(phone_number_id)
    }

    /// The registered numbers of a WABA.
    pub fn numbers_of_waba<'a>(
        &'a self,
        waba_id: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a NumberEntry)> + 'a {
        self.numbers
            .iter()
            .filter(move |(_, entry)| entry.waba_id == waba_id)
    }

    /// Records a send and counts it; returns its sequence number.
    pub fn record_send(&mut self, send: SendRecord) -> u64 {
        let stats = &mut self.stats;
        stats.received += 1;
        if (200..300).contains(&send.status) {
            stats.accepted += 1;
        } else {
            stats.rejected += 1;
        }
        stats.first_at.get_or_insert(send.at);
        stats.last_at = Some(send.at);
        self.keep(send)
    }

    /// Counts a Graph call about a number's profile, node or analytics.
    pub fn count_business_call(&mut self) {
        self.stats.business_calls += 1;
    }

    /// Records a mark-as-read request with the sends, without counting it
    /// as one (it sends no message); returns its sequence number.
    pub fn record_mark_read(&mut self, request: SendRecord) -> u64 {
        self.keep(request)
    }

    /// Keeps a request in the bounded list of what was received.
    fn keep(&mut self, send: SendRecord) -> u64 {
        self.last_send_seq += 1;
        if self.sends.len() >= self.limit {
            self.sends.pop_front();
        }
        self.sends.push_back(ReceivedSend {
            seq: self.last_send_seq,
            at: send.at,
            phone_number_id: send.phone_number_id,
            body: send.body,
            status: send.status,
            wamid: send.wamid,
            error_code: send.error_code,
        });
        self.last_send_seq
    }

    /// Records a webhook after its last delivery attempt.
    pub fn record_webhook(
        &mut self,
        at: Millis,
        body: RecordedBody,
        delivered: bool,
        http_status: Option<u16>,
        attempted: bool,
    ) -> u64 {
        self.last_webhook_seq += 1;
        if delivered {
            self.stats.webhooks_sent += 1;
        } else if attempted {
            self.stats.webhooks_failed += 1;
        }
        if self.webhooks.len() >= self.limit {
            self.webhooks.pop_front();
        }
        self.webhooks.push_back(WebhookRecord {
            seq: self.last_webhook_seq,
            at,
            body,
            delivered,
            http_status,
        });
        self.last_webhook_seq
    }

    /// Remembers a media object, forgetting the oldest beyond the limit.
    pub fn remember_media(&mut self, record: MediaRecord) {
        keep_bounded(
            &mut self.media,
            &mut self.media_order,
            self.limit,
            record.id.clone(),
            record,
        );
    }

    /// What is known of a media id.
    pub fn media(&self, id: &str) -> Option<MediaRecord> {
        self.media.get(id).cloned()
    }

    /// Counts bytes of uploaded files as they arrive.
    pub fn count_upload_bytes(&mut self, bytes: u64) {
        self.stats.upload_bytes_received = self.stats.upload_bytes_received.saturating_add(bytes);
    }

    /// Opens a resumable upload session, forgetting the oldest beyond the
    /// limit.
    pub fn open_upload_session(&mut self, id: String, session: UploadSession) {
        keep_bounded(
            &mut self.upload_sessions,
            &mut self.upload_session_order,
            self.limit,
            id,
            session,
        );
    }

    /// Takes a session out while its bytes arrive (put it back with
    /// [`State::open_upload_session`] unless it completed).
    pub fn take_upload_session(&mut self, id: &str) -> Option<UploadSession> {
        let session = self.upload_sessions.remove(id)?;
        self.upload_session_order.retain(|kept| kept != id);
        Some(session)
    }

    /// A session's progress.
    pub fn upload_session_offset(&self, id: &str) -> Option<u64> {
        self.upload_sessions.get(id).map(|session| session.offset)
    }

    pub fn sends_since(&self, since: u64) -> Vec<ReceivedSend> {
        let start = self.sends.partition_point(|send| send.seq <= since);
        self.sends.range(start..).cloned().collect()
    }

    pub fn webhooks_since(&self, since: u64) -> Vec<WebhookRecord> {
        let start = self
            .webhooks
            .partition_point(|webhook| webhook.seq <= since);
        self.webhooks.range(start..).cloned().collect()
    }

    pub fn stats(&self) -> SimStats {
        self.stats
    }

    /// The user wrote to the business at `at`: opens the window for each of
    /// the user's identifiers, and learns the phone ↔ BSUID pair.
    pub fn inbound(
        &mut self,
        phone_number_id: &str,
        display_phone_number: &str,
        phone: Option<&str>,
        user_id: Option<&str>,
        at: Millis,
    ) {
        if !display_phone_number.is_empty() {
            self.display_numbers
                .insert(phone_number_id.to_owned(), display_phone_number.to_owned());
        }
        if let (Some(phone), Some(user_id)) = (phone, user_id) {
            self.user_of_phone
                .insert(phone.to_owned(), user_id.to_owned());
            self.phone_of_user
                .insert(user_id.to_owned(), phone.to_owned());
        }
        for identifier in phone.into_iter().chain(user_id) {
            self.windows
                .insert((phone_number_id.to_owned(), identifier.to_owned()), at);
        }
    }

    /// Whether the user behind `identifier` (phone digits or BSUID, either
    /// one known for the other) wrote to `phone_number_id` in the 24 hours
    /// before `now`.
    pub fn window_open(&self, phone_number_id: &str, identifier: &str, now: Millis) -> bool {
        let other = self
            .user_of_phone
            .get(identifier)
            .or_else(|| self.phone_of_user.get(identifier));
        std::iter::once(identifier)
            .chain(other.map(String::as_str))
            .any(|identifier| {
                self.windows
                    .get(&(phone_number_id.to_owned(), identifier.to_owned()))
                    .is_some_and(|&at| now.saturating_sub(at) < CARE_WINDOW_MS)
            })
    }

    /// Counts one send of `body` to `phone_number_id`; returns how many came
    /// before it.
    pub fn count_attempt(&mut self, phone_number_id: &str, body: &[u8]) -> u32 {
        let mut hasher = Sha256::new();
        hasher.update((phone_number_id.len() as u64).to_be_bytes());
        hasher.update(phone_number_id.as_bytes());
        hasher.update(body);
        let earlier = self.attempts.entry(hasher.finalize().into()).or_insert(0);
        let before = *earlier;
        *earlier = earlier.saturating_add(1);
        before
    }

    /// The display number learnt for `phone_number_id`, else the id itself.
    pub fn display_number(&self, phone_number_id: &str) -> String {
        self.display_numbers
            .get(phone_number_id)
            .cloned()
            .unwrap_or_else(|| phone_number_id.to_owned())
    }

    /// The BSUID known for phone digits.
    pub fn user_of_phone(&self, phone: &str) -> Option<String> {
        self.user_of_phone.get(phone).cloned()
    }

    /// The phone digits known for a BSUID.
    pub fn phone_of_user(&self, user_id: &str) -> Option<String> {
        self.phone_of_user.get(user_id).cloned()
    }
}

/// Inserts into a map whose keys `order` lists oldest first, dropping the
/// oldest entries beyond `limit`.
fn keep_bounded<V>(
    map: &mut HashMap<String, V>,
    order: &mut VecDeque<String>,
    limit: usize,
    key: String,
    value: V,
) {
    if map.insert(key.clone(), value).is_none() {
        order.push_back(key);
    }
    while order.len() > limit {
        if let Some(oldest) = order.pop_front() {
            map.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(id: &str) -> MediaRecord {
        MediaRecord {
            id: id.into(),
            phone_number_id: "pnid".into(),
            mime_type: "image/png".into(),
            file_size: 1,
            sha256: String::new(),
            uploaded: true,
        }
    }

    #[test]
    fn media_are_kept_up_to_the_limit_oldest_forgotten_first() {
        let mut state = State::new(2);
        for id in ["a", "b", "a", "c"] {
            state.remember_media(media(id));
        }
        assert_eq!(state.media("a"), None);
        assert!(state.media("b").is_some());
        assert!(state.media("c").is_some());
        assert_eq!(state.media.len(), 2);
    }

    fn send(status: u16) -> SendRecord {
        SendRecord {
            at: 1_000,
            phone_number_id: "pnid".into(),
            body: recorded_body(b"{}"),
            status,
            wamid: None,
            error_code: None,
        }
    }

    #[test]
    fn records_are_capped_but_counters_keep_counting() {
        let mut state = State::new(2);
        for status in [200, 400, 200] {
            state.record_send(send(status));
        }
        let kept: Vec<_> = state.sends_since(0).iter().map(|send| send.seq).collect();
        assert_eq!(kept, [2, 3]);
        assert_eq!(state.sends_since(2).len(), 1);
        let stats = state.stats();
        assert_eq!((stats.received, stats.accepted, stats.rejected), (3, 2, 1));
        assert_eq!((stats.first_at, stats.last_at), (Some(1_000), Some(1_000)));
    }

    #[test]
    fn the_care_window_lasts_24_hours_and_follows_the_contact_book() {
        let mut state = State::new(10);
        assert!(!state.window_open("pnid", "46701234567", 0));
        state.inbound(
            "pnid",
            "46700000000",
            Some("46701234567"),
            Some("SE.123"),
            1_000,
        );
        assert!(state.window_open("pnid", "46701234567", 1_000 + CARE_WINDOW_MS - 1));
        assert!(!state.window_open("pnid", "46701234567", 1_000 + CARE_WINDOW_MS));
        assert!(state.window_open("pnid", "SE.123", 2_000));
        assert!(!state.window_open("other", "46701234567", 2_000));
        assert_eq!(state.display_number("pnid"), "46700000000");
        assert_eq!(state.display_number("other"), "other");
        assert_eq!(
            state.user_of_phone("46701234567").as_deref(),
            Some("SE.123")
        );
        assert_eq!(
            state.phone_of_user("SE.123").as_deref(),
            Some("46701234567")
        );

        // A window opened by phone alone counts for the BSUID learnt later.
        state.inbound("pnid2", "", Some("46709999999"), None, 1_000);
        state.inbound("pnid3", "", Some("46709999999"), Some("SE.999"), 1_000);
        assert!(state.window_open("pnid2", "SE.999", 2_000));
    }

    #[test]
    fn bodies_are_kept_as_their_json_text() {
        assert_eq!(
            recorded_body(br#"{"to": "46701234567"}"#).get(),
            r#"{"to": "46701234567"}"#
        );
        assert_eq!(recorded_body(b"not json").get(), r#""not json""#);
        assert_eq!(recorded_body(b"{\xff").get(), "\"{\u{fffd}\"");
    }

    #[test]
    fn attempts_count_per_number_id_and_body() {
        let mut state = State::new(10);
        assert_eq!(state.count_attempt("a", b"{}"), 0);
        assert_eq!(state.count_attempt("a", b"{}"), 1);
        assert_eq!(state.count_attempt("b", b"{}"), 0);
        assert_eq!(state.count_attempt("a", b"{ }"), 0);
    }
}
