//! The Cloud API envelope for both kinds of destination, and `validate`'s
//! promise never to panic: every field of every example is replaced with
//! awkward values; each result is either a valid message that renders
//! without nulls or a non-empty list of violations.

mod common;

use std::fs;
use std::path::PathBuf;

use serde_json::{Value, json};
use wagate_domain::message::Message;
use wagate_domain::violation::Path;
use wagate_domain::{Bsuid, Destination};

#[test]
fn envelope_for_a_phone_number_and_for_a_bsuid() {
    let valid = common::ok(&json!({"type": "text", "text": {"body": "hi"}}));
    assert_eq!(
        valid.render(&common::msisdn()),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+46701234567",
               "type": "text", "text": {"body": "hi"}})
    );
    let bsuid = Destination::Bsuid(Bsuid::parse("SE.ENT.11815799212886844830").expect("bsuid"));
    assert_eq!(
        valid.render(&bsuid),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "recipient": "SE.ENT.11815799212886844830",
               "type": "text", "text": {"body": "hi"}})
    );
}

fn pointers(value: &Value, prefix: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{prefix}/{key}");
                out.push(pointer.clone());
                pointers(child, pointer, out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let pointer = format!("{prefix}/{index}");
                out.push(pointer.clone());
                pointers(child, pointer, out);
            }
        }
        _ => {}
    }
}

/// A `null` the renderer wrote; flow data is the client's own free-form
/// JSON, passed through as sent, so it is not searched.
fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(map) => map
            .iter()
            .any(|(key, child)| key != "data" && key != "flow_action_data" && has_null(child)),
        _ => false,
    }
}

#[test]
fn validate_never_panics_and_never_fails_silently() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/examples");
    let replacements = [
        json!(null),
        json!(""),
        json!(" "),
        json!(0),
        json!(-1),
        json!(1e300),
        json!(u64::MAX),
        json!("x".repeat(5000)),
        json!("ü\n\n\n"),
        json!([]),
        json!({}),
        json!(true),
        json!("quickReply"),
        json!("10"),
    ];
    let mut checked = 0;
    for entry in fs::read_dir(dir).expect("examples") {
        let text = fs::read_to_string(entry.expect("entry").path()).expect("readable");
        let example: Value = serde_json::from_str(&text).expect("json");
        let message = &example["message"];
        let mut all = Vec::new();
        pointers(message, String::new(), &mut all);
        for pointer in &all {
            for replacement in &replacements {
                let mut mutated = message.clone();
                if let Some(slot) = mutated.pointer_mut(pointer) {
                    *slot = replacement.clone();
                }
                let Ok(parsed) = serde_json::from_value::<Message>(mutated) else {
                    continue;
                };
                checked += 1;
                match parsed.validate(&Path::root("messages").index(0)) {
                    Ok(valid) => assert!(
                        !has_null(&valid.render(&common::msisdn())),
                        "{pointer} = {replacement}"
                    ),
                    Err(violations) => assert!(!violations.is_empty()),
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} mutations deserialized");
}
