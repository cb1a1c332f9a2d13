//! The LINK `POST /messages` body, as the handler reads it: JSON into a
//! `MessageRequest`, its checks, then the Cloud API body of every
//! (destination, message). Beyond "no panic": a refused body gets a 4xx
//! with a LINK result code and a description in every language; an
//! accepted one expires within the allowed validity and renders, for each
//! pair, a JSON object naming the destination and the message's type,
//! without `null` and without text the store cannot keep.

#![no_main]

#[path = "json_checks.rs"]
mod json_checks;

use json_checks::has_null;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wagate::api::link::error::LinkError;
use wagate::api::link::i18n::{self, Language};
use wagate::api::link::request::RequestLimits;
use wagate::api::link::send::{read_request, render};
use wagate::api::text::first_nul_in_json;
use wagate::store::Account;

/// A fixed "now" (2026-05-28), so a run is reproducible.
const NOW: i64 = 1_780_000_000_000;
/// The default `--max-validity`, 30 days.
const MAX_VALIDITY_MS: i64 = 30 * 24 * 3600 * 1000;
/// The defaults of `--max-validity`, `--max-parts-per-request` and
/// `--max-rendered-bytes-per-request`.
const LIMITS: RequestLimits = RequestLimits {
    max_validity_ms: MAX_VALIDITY_MS,
    max_parts: 1000,
    max_rendered_bytes: 32 * 1024 * 1024,
};
/// LINK's result codes for a body the client got wrong.
const CLIENT_CODES: [u32; 3] = [112402, 112505, 112506];

fuzz_target!(|body: &[u8]| {
    let request = match read_request(body) {
        Ok(request) => request,
        Err(error) => return refused(&error),
    };
    let valid = match request.validate(NOW, &LIMITS, None) {
        Ok(valid) => valid,
        Err(violations) => {
            assert!(!violations.is_empty(), "refused without a violation");
            return refused(&LinkError::from_violations(violations));
        }
    };
    assert!(
        NOW < valid.expires_at && valid.expires_at <= NOW + MAX_VALIDITY_MS,
        "expires at {} for now {NOW}",
        valid.expires_at
    );
    let destinations: Vec<String> = valid.destinations.iter().map(ToString::to_string).collect();
    let messages = valid.messages.len();
    let account = Account {
        id: "account".into(),
        platform_id: valid.platform_id.clone(),
        platform_partner_id: valid.platform_partner_id.clone(),
        name: None,
        default_country: None,
        created_at: NOW,
    };
    let rendered = match render(
        valid,
        &account,
        "user".into(),
        NOW,
        NOW,
        LIMITS.max_rendered_bytes,
    ) {
        Ok(rendered) => rendered,
        Err(error) => return refused(&error),
    };
    assert_eq!(rendered.messages.len(), destinations.len());
    for (message, destination) in rendered.messages.iter().zip(&destinations) {
        assert_eq!(&message.destination, destination);
        assert_eq!(message.parts.len(), messages);
        for part in &message.parts {
            let body: Value = serde_json::from_str(&part.cloud_body)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {}", part.cloud_body));
            assert_eq!(body["messaging_product"], "whatsapp", "{body}");
            assert_eq!(body["type"], part.message_type.as_str(), "{body}");
            let to = body.get("to").or_else(|| body.get("recipient"));
            assert_eq!(
                to.and_then(Value::as_str),
                Some(destination.as_str()),
                "{body}"
            );
            assert!(!has_null(&body), "null in {body}");
            assert!(
                first_nul_in_json(part.cloud_body.as_bytes()).is_none(),
                "NUL in {body}"
            );
        }
    }
});

/// A refused body: a client error with a LINK code, told in every language.
fn refused(error: &LinkError) {
    let (status, code) = error.status_and_code();
    assert!(status.is_client_error(), "{status} for {error}");
    assert!(
        CLIENT_CODES.contains(&code.code()),
        "{} for {error}",
        code.code()
    );
    for language in [
        Language::English,
        Language::Swedish,
        Language::Norwegian,
        Language::Danish,
        Language::German,
    ] {
        assert!(!i18n::translate(error, language).is_empty(), "{error}");
    }
}
