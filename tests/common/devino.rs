//! Speaking the Devino dialect to the gateway: POSTs with the tenant's API
//! key, and the spec's examples (repaired where their JSON is broken, and
//! addressed to this test's numbers instead of placeholders).

use serde_json::{Value, json};

use super::{Gateway, Tenant, read};

impl Gateway {
    /// POSTs `body` to `/whatsapp/v2{path}` with `Authorization: Key …`.
    pub async fn devino(&self, tenant: &Tenant, path: &str, body: &Value) -> (u16, Value) {
        self.devino_raw(
            path,
            Some(&format!("Key {}", tenant.api_key)),
            None,
            body.to_string(),
        )
        .await
    }

    /// POSTs a raw body with the given `Authorization` and `X-Api-Key`.
    pub async fn devino_raw(
        &self,
        path: &str,
        authorization: Option<&str>,
        api_key: Option<&str>,
        body: String,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/whatsapp/v2{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        if let Some(value) = api_key {
            request = request.header("x-api-key", value);
        }
        read(request.send().await.expect("devino send")).await
    }

    /// `GET /whatsapp/v2/messages/{id}` as `tenant`.
    pub async fn devino_status(&self, tenant: &Tenant, message_id: &str) -> (u16, Value) {
        let request = self
            .client
            .get(format!("{}/whatsapp/v2/messages/{message_id}", self.base))
            .header("x-api-key", &tenant.api_key);
        read(request.send().await.expect("devino status")).await
    }
}

/// The id of an `OK` entry, checked to be the decimal text of a positive
/// 63-bit integer.
pub fn ok_id(entry: &Value) -> String {
    assert_eq!(entry["code"], "OK", "{entry}");
    let id = entry["messageId"].as_str().expect("messageId").to_owned();
    let number: i64 = id.parse().unwrap_or_else(|_| panic!("not a number: {id}"));
    assert!(number > 0, "{id}");
    id
}

/// Every message example of the spec's "Sending" section, in order, from
/// `from` to `to`: `(name, body)`.
pub fn spec_examples(from: &str, to: &str) -> Vec<(&'static str, Value)> {
    let media = "https://media.example.com/file";
    let address = |mut body: Value| {
        body["from"] = json!(from);
        body["to"] = json!(to);
        body
    };
    vec![
        ("text", json!({"type": "text", "text": {"body": "your_message_content"}})),
        ("audio", json!({"type": "audio", "audio": {"link": media}})),
        (
            "document",
            json!({"type": "document", "document": {"link": media, "filename": "your_document_filename"}}),
        ),
        (
            "video",
            json!({"type": "video", "video": {"link": media, "caption": "your_video-name"}}),
        ),
        (
            "contacts",
            json!({"type": "contacts", "contacts": [
                {"name": {"formatted_name": "formatted_name 1", "first_name": "contact_first_name",
                          "last_name": "contact_last_name"},
                 "emails": [{"email": "email@example.com", "type": "WORK"}]},
                {"name": {"formatted_name": "formatted_name 2", "first_name": "contact_first_name",
                          "last_name": "contact_last_name"},
                 "phones": [{"phone": "+74956460054", "type": "WORK"}]}
            ]}),
        ),
        (
            "location",
            json!({"type": "location", "location": {"latitude": 74.1182263536133,
                   "longitude": 69.9107435105422, "address": "location_address", "name": "location_name"}}),
        ),
        // The spec writes `"minute": 33, #OR "timestamp": 1485470276`: one
        // form or the other; this is the parts form.
        (
            "template with header, body, footer and buttons",
            json!({"type": "template", "template": {
                "name": "template_name",
                "language": {"code": "ru", "policy": "deterministic"},
                "components": [
                    {"type": "header", "parameters": [
                        {"type": "document", "document": {"link": media, "filename": "document_name"}}]},
                    {"type": "body", "parameters": [
                        {"type": "text", "text": "119833"},
                        {"type": "text", "text": "2900"},
                        {"type": "currency", "currency": {"fallback_value": "$100.99", "code": "USD", "amount_1000": 100990}},
                        {"type": "date_time", "date_time": {"fallback_value": "February 25, 1977",
                            "day_of_week": 5, "day_of_month": 25, "year": 1977, "month": 2, "hour": 15, "minute": 33}}]},
                    {"type": "footer", "parameters": [{"type": "text", "text": "text 1"}]},
                    {"type": "button", "sub_type": "quick_reply", "index": 0,
                     "parameters": [{"type": "payload", "payload": "Start"}]},
                    {"type": "button", "sub_type": "quick_reply", "index": 1,
                     "parameters": [{"type": "payload", "payload": "End"}]}
                ]}}),
        ),
        (
            "template with a url button",
            json!({"type": "template", "template": {
                "name": "template_name",
                "language": {"policy": "deterministic", "code": "ru"},
                "components": [{"type": "button", "sub_type": "url", "index": "0",
                                "parameters": [{"type": "text", "text": "/start"}]}]}}),
        ),
        // The spec's section titles ("your_section_title_content", 26
        // characters) break its own limit of 24, as they would at Meta:
        // shortened here.
        (
            "interactive list",
            json!({"type": "interactive", "interactive": {
                "type": "list",
                "header": {"type": "text", "text": "your_header_content"},
                "body": {"text": "your_text_message_content"},
                "footer": {"text": "your_footer_content"},
                "action": {"button": "button_content", "sections": [
                    {"title": "your_section_title", "rows": [
                        {"id": "unique_row_identifier", "title": "row_title_content",
                         "description": "row_description_content"}]},
                    {"title": "your_section_title_2", "rows": [
                        {"id": "unique_row_identifier_2", "title": "row_title_content",
                         "description": "row_description_content"}]}
                ]}}}),
        ),
        // Button ids must be unique in a message: the spec repeats its id, so
        // the second gets a suffix; and its second title ("Second Button’s
        // Title", 21 characters) breaks the spec's limit of 20.
        (
            "interactive buttons",
            json!({"type": "interactive", "interactive": {
                "type": "button",
                "body": {"text": "your_text_body_content"},
                "action": {"buttons": [
                    {"type": "reply", "reply": {"id": "unique_postback_id", "title": "First Button’s Title"}},
                    {"type": "reply", "reply": {"id": "unique_postback_id_2", "title": "Second Button Title"}}
                ]}}}),
        ),
        (
            "request example (template without components)",
            json!({"type": "template", "template": {"name": "template_name",
                   "language": {"code": "ru", "policy": "deterministic"}}}),
        ),
    ]
    .into_iter()
    .map(|(name, body)| (name, address(body)))
    .collect()
}
