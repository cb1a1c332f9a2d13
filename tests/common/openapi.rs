//! The gateway's OpenAPI document, and checks of JSON values against the
//! schemas it describes (JSON Schema 2020-12, the dialect of OpenAPI 3.1).

use serde_json::{Value, json};

/// The document as the gateway serves it at `/openapi.json`.
pub fn document() -> Value {
    serde_json::from_str(wagate::api::openapi::document_json()).expect("the document is JSON")
}

/// The schema of the JSON request body of `method` `path` (lower-case
/// method, the path as the document names it).
pub fn request_schema(document: &Value, path: &str, method: &str) -> Value {
    let schema =
        &document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "the document has no JSON request body for {method} {path}"
    );
    schema.clone()
}

/// The JSON request body schema of the webhook `name`.
pub fn webhook_schema(document: &Value, name: &str) -> Value {
    let schema =
        &document["webhooks"][name]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert!(!schema.is_null(), "the document has no webhook {name}");
    schema.clone()
}

/// The component schema `name`, as a `$ref`.
pub fn component(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Why `instance` breaks `schema` (whose `$ref`s point into `document`'s
/// components), one line per error; empty when it is valid.
pub fn violations(document: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": document["components"],
    });
    let validator = jsonschema::validator_for(&root)
        .unwrap_or_else(|error| panic!("the schema does not compile: {error}\n{schema}"));
    validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

/// `instance` fits `schema` (with the document's components).
pub fn assert_fits(document: &Value, schema: &Value, instance: &Value, what: &str) {
    let errors = violations(document, schema, instance);
    assert!(
        errors.is_empty(),
        "{what} breaks its schema: {errors:#?}\n{instance:#}"
    );
}

/// `instance` breaks `schema`: the check can fail.
pub fn assert_breaks(document: &Value, schema: &Value, instance: &Value, what: &str) {
    assert!(
        !violations(document, schema, instance).is_empty(),
        "{what} passed its schema: {instance}"
    );
}

/// The schema the document gives the answer `status` of `method` `path`
/// in `content_type`.
pub fn response_schema(
    document: &Value,
    path: &str,
    method: &str,
    status: u16,
    content_type: &str,
) -> Value {
    let response = &document["paths"][path][method]["responses"][status.to_string()];
    assert!(
        !response.is_null(),
        "{method} {path} documents no status {status}: {}",
        document["paths"][path][method]["responses"]
    );
    let schema = &response["content"][content_type]["schema"];
    assert!(
        !schema.is_null(),
        "{method} {path} {status} documents no {content_type} body: {response}"
    );
    schema.clone()
}
