//! One Devino message object (`POST /whatsapp/v2/messages`, or an entry of
//! `/batch`), as the handler reads it: JSON into a `DevinoMessage`, its
//! checks, then its Cloud API body. Beyond "no panic": a rejected message
//! has reasons whose keys are the spec's, whose refs are under
//! `messages[0]`, and a description; an accepted one expires within the
//! allowed validity and renders one JSON object to its recipient, of its
//! type, without `null` and without text the store cannot keep.

#![no_main]

#[path = "json_checks.rs"]
mod json_checks;

use json_checks::has_null;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wagate::api::devino::reason::KEYS;
use wagate::api::devino::request::CheckContext;
use wagate::api::devino::send::{Admitted, new_request, read_message};
use wagate::api::text::first_nul_in_json;
use wagate::store::Account;

/// A fixed "now" (2026-05-28), so a run is reproducible.
const NOW: i64 = 1_780_000_000_000;
/// The default `--max-validity`, 30 days.
const MAX_VALIDITY_MS: i64 = 30 * 24 * 3600 * 1000;
/// The default `--max-rendered-bytes-per-request`.
const MAX_RENDERED_BYTES: usize = 32 * 1024 * 1024;

fuzz_target!(|body: &[u8]| {
    let context = CheckContext {
        now: NOW,
        max_validity_ms: MAX_VALIDITY_MS,
    };
    let checked = match read_message(0, body, &context) {
        Ok(checked) => checked,
        Err(reasons) => {
            assert!(!reasons.is_empty(), "rejected without a reason");
            for reason in &reasons {
                assert!(KEYS.contains(&reason.key), "{reason:?}");
                let reference = reason.reference.as_deref().unwrap_or_default();
                assert!(reference.starts_with("messages[0]"), "{reason:?}");
                assert!(!reason.description.is_empty(), "{reason:?}");
            }
            return;
        }
    };
    assert!(
        NOW < checked.expires_at && checked.expires_at <= NOW + MAX_VALIDITY_MS,
        "expires at {} for now {NOW}",
        checked.expires_at
    );
    let to = checked.to.to_string();
    let account = Account {
        id: "account".into(),
        platform_id: "platform".into(),
        platform_partner_id: "partner".into(),
        name: None,
        default_country: None,
        created_at: NOW,
    };
    let admitted = Admitted {
        checked,
        gate_ids: Vec::new(),
    };
    let Ok(request) = new_request(&account, "user", NOW, admitted, "1", MAX_RENDERED_BYTES) else {
        panic!("a message within the body limit is refused for its rendered size");
    };
    assert_eq!(request.messages.len(), 1);
    let message = &request.messages[0];
    assert_eq!(message.destination, to);
    assert_eq!(message.parts.len(), 1);
    let part = &message.parts[0];
    let cloud: Value = serde_json::from_str(&part.cloud_body)
        .unwrap_or_else(|error| panic!("not JSON ({error}): {}", part.cloud_body));
    assert_eq!(cloud["messaging_product"], "whatsapp", "{cloud}");
    assert_eq!(cloud["type"], part.message_type.as_str(), "{cloud}");
    assert_eq!(cloud["to"].as_str(), Some(to.as_str()), "{cloud}");
    assert!(!has_null(&cloud), "null in {cloud}");
    assert!(
        first_nul_in_json(part.cloud_body.as_bytes()).is_none(),
        "NUL in {cloud}"
    );
});
