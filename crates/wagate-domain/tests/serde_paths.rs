//! The message model deserializes with `serde_path_to_error` reporting the
//! full path of a wrong JSON type, in whichever spelling the client used;
//! unknown fields are ignored.

use serde::Deserialize;
use serde_json::{Value, json};
use wagate_domain::message::Message;

#[derive(Debug, Deserialize)]
struct Request {
    #[allow(dead_code)]
    messages: Vec<Message>,
}

fn error_path(messages: Value) -> String {
    let request = json!({"messages": messages});
    match serde_path_to_error::deserialize::<_, Request>(&request) {
        Ok(_) => panic!("expected a type error in {request}"),
        Err(error) => error.path().to_string(),
    }
}

fn deserializes(messages: Value) {
    let request = json!({"messages": messages});
    if let Err(error) = serde_path_to_error::deserialize::<_, Request>(&request) {
        panic!("{request} should deserialize: {error}");
    }
}

#[test]
fn a_wrong_type_deep_in_an_interactive_message_names_its_path() {
    let messages = json!([{"type": "interactive", "interactive": {"type": "button", "body": {"text": "b"},
        "action": {"buttons": [
            {"type": "reply", "reply": {"id": "a", "title": "A"}},
            {"type": "reply", "reply": {"id": "b", "title": 7}}]}}}]);
    assert_eq!(
        error_path(messages),
        "messages[0].interactive.action.buttons[1].reply.title"
    );
}

#[test]
fn wrong_types_in_templates_name_their_paths_in_the_clients_spelling() {
    let messages = json!([
        {"type": "text", "text": {"body": "ok"}},
        {"type": "template", "template": {"name": "t", "language": {"code": "en"}, "components": [
            {"type": "body", "parameters": [{"type": "currency", "currency": {"fallbackValue": "$1", "code": "USD", "amount1000": {"x": 1}}}]}]}}]);
    assert_eq!(
        error_path(messages),
        "messages[1].template.components[0].parameters[0].currency.amount1000"
    );

    let snake = json!([{"type": "template", "template": {"name": "t", "language": {"code": "en"}, "components": [
        {"type": "button", "sub_type": "url", "index": true, "parameters": []}]}}]);
    assert_eq!(
        error_path(snake),
        "messages[0].template.components[0].index"
    );

    let legacy = json!([{"type": "template", "template": {"name": "t", "language": {"code": "en"}},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": ["x"]}]}]}]);
    assert_eq!(
        error_path(legacy),
        "messages[0].components[0].parameters[0].text"
    );
}

#[test]
fn both_spellings_of_a_field_report_their_own_name() {
    assert_eq!(
        error_path(json!([{"type": "text", "previewUrl": "yes", "text": {"body": "b"}}])),
        "messages[0].previewUrl"
    );
    assert_eq!(
        error_path(json!([{"type": "text", "preview_url": "yes", "text": {"body": "b"}}])),
        "messages[0].preview_url"
    );
    assert_eq!(
        error_path(json!([{"type": "contacts", "contacts": [{"name": {"formatted_name": 1}}]}])),
        "messages[0].contacts[0].name.formatted_name"
    );
}

#[test]
fn wrong_types_inside_carousel_cards_and_flows_name_their_paths() {
    let cards = json!([{"type": "interactive", "interactive": {"type": "carousel", "body": {"text": "b"}, "action": {"cards": [
        {"card_index": 0, "type": "cta_url", "header": {"type": "image", "image": {"link": 5}}}]}}}]);
    assert_eq!(
        error_path(cards),
        "messages[0].interactive.action.cards[0].header.image.link"
    );
    let flow = json!([{"type": "interactive", "interactive": {"type": "flow", "action": {"name": "flow",
        "parameters": {"flow_message_version": [3]}}}}]);
    assert_eq!(
        error_path(flow),
        "messages[0].interactive.action.parameters.flow_message_version"
    );
}

#[test]
fn numbers_may_be_strings_and_unknown_fields_are_ignored() {
    deserializes(
        json!([{"type": "template", "unknown": {"deep": [1, 2]}, "template": {"name": "t", "language": {"code": "en", "policy": "deterministic"},
        "components": [{"type": "button", "subType": "quickReply", "index": "0", "parameters": [{"type": "payload", "payload": "p"}]},
                       {"type": "body", "parameters": [{"type": "currency", "currency": {"fallback_value": "$1", "code": "USD", "amount_1000": 1000}}]}]}}]),
    );
    deserializes(json!([{"type": "location", "location": {"latitude": "59.3", "longitude": 18}}]));
}
