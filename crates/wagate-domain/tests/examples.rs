//! Every message example of the LINK v1.9.4 document (plus the v1.4.6
//! template layout), repaired where the PDF extraction broke it, lives in
//! `tests/examples/*.json` as `{"name", "message", "cloud"}`: `message` is
//! what a client sends inside `messages: [...]`, `cloud` the Cloud API body
//! Meta documents for destination +46701234567, written by hand. Each must
//! validate and render to exactly `cloud`.

use std::fs;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;
use wagate_domain::message::{Message, MessageType};
use wagate_domain::violation::Path;
use wagate_domain::{Bsuid, Destination, Msisdn};

#[derive(Deserialize)]
struct Example {
    name: String,
    message: Value,
    cloud: Value,
}

fn examples() -> Vec<(String, Example)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/examples");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/examples exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let file = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(&path).expect("readable example");
            let example = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
            (file, example)
        })
        .collect()
}

fn destination() -> Destination {
    Destination::Msisdn(Msisdn::parse("+46701234567").expect("valid msisdn"))
}

#[test]
fn every_example_validates_and_renders_to_the_documented_cloud_body() {
    let examples = examples();
    let mut failures = Vec::new();
    for (file, example) in &examples {
        let message: Message = match serde_path_to_error::deserialize(&example.message) {
            Ok(message) => message,
            Err(error) => {
                failures.push(format!(
                    "{file} ({}): does not deserialize: {error}",
                    example.name
                ));
                continue;
            }
        };
        let valid = match message.validate(&Path::root("messages").index(0)) {
            Ok(valid) => valid,
            Err(violations) => {
                let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
                failures.push(format!(
                    "{file} ({}): invalid: {}",
                    example.name,
                    listed.join("; ")
                ));
                continue;
            }
        };
        let rendered = valid.render(&destination());
        if rendered != example.cloud {
            failures.push(format!(
                "{file} ({}):\n  rendered {}\n  expected {}",
                example.name,
                serde_json::to_string(&rendered).unwrap_or_default(),
                serde_json::to_string(&example.cloud).unwrap_or_default()
            ));
        }
        assert_eq!(
            Some(valid.message_type().as_str()),
            example.cloud["type"].as_str(),
            "{file}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_examples_cover_every_message_type_and_interactive_type() {
    let examples = examples();
    assert!(examples.len() >= 38, "only {} examples", examples.len());
    let names: Vec<&str> = examples.iter().map(|(file, _)| file.as_str()).collect();
    for expected in [
        "template_text.json",
        "template_named_parameters.json",
        "template_media.json",
        "template_interactive.json",
        "template_carousel.json",
        "template_limited_time_offer.json",
        "template_catalog.json",
        "template_coupon_code.json",
        "template_request_contact_info.json",
        "legacy_v1_4_6_text_template.json",
        "text.json",
        "image_id.json",
        "image_link.json",
        "audio_id.json",
        "audio_link.json",
        "audio_voice.json",
        "video_id.json",
        "video_link.json",
        "document_id.json",
        "document_link.json",
        "sticker_id.json",
        "sticker_link.json",
        "location.json",
        "contacts.json",
        "interactive_flow_minimal.json",
        "interactive_flow_extra_fields.json",
        "interactive_catalog_message.json",
        "interactive_product_carousel.json",
        "interactive_media_carousel.json",
        "interactive_list.json",
        "interactive_button.json",
        "interactive_product.json",
        "interactive_product_list.json",
        "interactive_location_request.json",
        "interactive_cta_url.json",
        "interactive_contact_request.json",
    ] {
        assert!(names.contains(&expected), "missing example {expected}");
    }
    let mut types: Vec<&str> = examples
        .iter()
        .filter_map(|(_, example)| example.cloud["type"].as_str())
        .collect();
    types.sort_unstable();
    types.dedup();
    let mut all: Vec<&str> = [
        MessageType::Template,
        MessageType::Text,
        MessageType::Image,
        MessageType::Audio,
        MessageType::Video,
        MessageType::Document,
        MessageType::Sticker,
        MessageType::Location,
        MessageType::Contacts,
        MessageType::Interactive,
    ]
    .map(MessageType::as_str)
    .to_vec();
    all.sort_unstable();
    assert_eq!(types, all);
}

#[test]
fn a_bsuid_destination_goes_in_recipient_instead_of_to() {
    for (file, example) in examples() {
        let message: Message = serde_json::from_value(example.message).expect("deserializes");
        let valid = message
            .validate(&Path::root("messages").index(0))
            .expect("valid");
        let bsuid = Destination::Bsuid(Bsuid::parse("SE.13491208655302741918").expect("bsuid"));
        let rendered = valid.render(&bsuid);
        let mut expected = example.cloud.clone();
        let object = expected.as_object_mut().expect("cloud body is an object");
        object.remove("to");
        object.insert("recipient".into(), Value::from("SE.13491208655302741918"));
        assert_eq!(rendered, expected, "{file}");
    }
}

#[test]
fn no_rendered_body_contains_null() {
    fn has_null(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::Array(items) => items.iter().any(has_null),
            Value::Object(map) => map.values().any(has_null),
            _ => false,
        }
    }
    for (file, example) in examples() {
        let message: Message = serde_json::from_value(example.message).expect("deserializes");
        let valid = message
            .validate(&Path::root("messages").index(0))
            .expect("valid");
        assert!(!has_null(&valid.render(&destination())), "{file}");
    }
}

#[test]
fn rendering_once_gives_every_destination_the_same_text_as_rendering_for_it() {
    let bsuid = Destination::Bsuid(Bsuid::parse("SE.13491208655302741918").expect("bsuid"));
    for (file, example) in examples() {
        let message: Message = serde_json::from_value(example.message).expect("deserializes");
        let valid = message
            .validate(&Path::root("messages").index(0))
            .expect("valid");
        let once = valid.render_once();
        assert_eq!(once.message_type(), valid.message_type(), "{file}");
        for to in [destination(), bsuid.clone()] {
            assert_eq!(once.body_for(&to), valid.render(&to).to_string(), "{file}");
        }
    }
}
