//! The OpenAPI document (`GET /openapi.json`): it is a valid OpenAPI 3.1
//! document, every schema in it is valid JSON Schema, it describes every
//! route the router serves, and Swagger UI is served from the binary.

mod common;

use std::collections::BTreeSet;

use common::openapi::document;
use common::{Backend, spawn_app};
use serde_json::Value;

/// Swagger UI's own files (its page is documented as `/docs`).
const SWAGGER_UI_FILES: [&str; 2] = ["/docs/", "/docs/{*rest}"];

const OPERATION_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[test]
fn the_document_is_valid_openapi_3_1_and_its_schemas_valid_json_schema() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    let schema: Value = serde_json::from_str(include_str!("fixtures/openapi-3.1-schema.json"))
        .expect("the OpenAPI 3.1 schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the OpenAPI schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The check can fail: a path without `responses`, or a bad parameter.
    let mut broken = document.clone();
    broken["paths"]["/healthz"]["get"]["parameters"] =
        serde_json::json!([{"name": "x", "in": "nowhere"}]);
    assert!(
        !validator.is_valid(&broken),
        "a parameter `in: nowhere` passed"
    );

    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("component schemas");
    for (name, schema) in schemas {
        if let Err(error) = jsonschema::meta::validate(schema) {
            panic!("schema {name} is not valid JSON Schema: {error}\n{schema}");
        }
    }
    // Every `$ref` points at something that exists.
    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    for reference in refs {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("a reference outside the document: {reference}"));
        assert!(
            document.pointer(pointer).is_some(),
            "a dangling reference: {reference}"
        );
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => refs.push(reference.clone()),
                    _ => collect_refs(value, refs),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}

/// `(path, method)` pairs the document describes.
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            OPERATION_METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| (path.clone(), (*method).to_owned()))
        })
        .collect()
}

on_backends!(every_route_the_router_serves_is_in_the_document_and_nothing_else);
async fn every_route_the_router_serves_is_in_the_document_and_nothing_else(backend: Backend) {
    // With the sandbox (the default): its routes are served too.
    let app = spawn_app(backend).await;
    let (status, table) = app.admin(reqwest::Method::GET, "/endpoints", None).await;
    assert_eq!(status, 200, "{table}");
    let served: BTreeSet<(String, String)> = table
        .as_array()
        .expect("a list of routes")
        .iter()
        .filter(|route| !SWAGGER_UI_FILES.contains(&route["path"].as_str().unwrap_or_default()))
        .flat_map(|route| {
            let path = route["path"].as_str().expect("path").to_owned();
            let methods = route["methods"].as_array().expect("methods").clone();
            assert!(!methods.is_empty(), "a route for every method: {path}");
            methods
                .into_iter()
                .map(move |method| (path.clone(), method.as_str().expect("method").to_owned()))
        })
        .collect();
    // The table is read off the router: it must hold what surely is there.
    for known in [
        ("/healthz", "get"),
        ("/whatsapp-message/messages", "post"),
        ("/whatsapp/v2/messages/batch", "post"),
        ("/admin/v1/endpoints", "get"),
        ("/sandbox/v1/inbound", "post"),
    ] {
        assert!(
            served.contains(&(known.0.to_owned(), known.1.to_owned())),
            "{known:?} missing from the served table: {served:#?}"
        );
    }
    let documented = documented(&document());
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let not_served: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the document: {undocumented:#?}"
    );
    assert!(
        not_served.is_empty(),
        "in the document but not served: {not_served:#?}"
    );
}

on_backends!(the_document_and_swagger_ui_are_served_from_the_binary);
async fn the_document_and_swagger_ui_are_served_from_the_binary(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .expect("GET /openapi.json");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().ok(),
        Some("application/json")
    );
    let served: Value = response.json().await.expect("JSON");
    assert_eq!(served, document());

    let page = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .expect("GET /docs/");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("text");
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("://"),
        "the page loads nothing from another host: {html}"
    );
    // Its script, from the binary, pointed at the document.
    for file in ["swagger-ui-bundle.js", "swagger-initializer.js"] {
        let script = app
            .client
            .get(format!("{}/docs/{file}", app.base))
            .send()
            .await
            .expect("GET a Swagger UI file");
        assert_eq!(script.status(), 200, "{file}");
        let text = script.text().await.expect("text");
        if file == "swagger-initializer.js" {
            assert!(text.contains("/openapi.json"), "{text}");
        }
    }
}
