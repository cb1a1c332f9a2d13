//! What the router serves, read off the router itself: every path with the
//! methods it answers. The admin API shows it (`GET /admin/v1/endpoints`),
//! and the tests hold it against the OpenAPI document, so that a route
//! added without documentation is noticed.
//!
//! axum has no API to list a router's routes; its `Debug` output does list
//! them (`path_router: … routes: {RouteId(n): MethodRouter { get: …, … }}`
//! and `node: Node { paths: {RouteId(n): "/path"} }`). This module reads
//! that output. The unit tests below pin the format: an axum release that
//! changes it fails them instead of yielding an empty table.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Serialize;

/// One path the router serves and its methods (lower case, as OpenAPI
/// names them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ServedRoute {
    /// The path template, in OpenAPI's syntax (`/messages/{message_id}`).
    pub path: String,
    /// The methods with a handler, e.g. `["get", "post"]`; empty for a
    /// route that takes every method (a service).
    pub methods: Vec<String>,
}

/// The methods in the order axum's `MethodRouter` prints them.
const METHODS: [&str; 9] = [
    "get", "head", "delete", "options", "patch", "post", "put", "trace", "connect",
];

/// A path segment axum adds under a nested router for its fallback.
const NEST_TAIL: &str = "__private__axum";

/// The routes of `router` (from its `Debug` output), sorted by path.
pub fn served<S>(router: &axum::Router<S>) -> Vec<ServedRoute> {
    parse(&format!("{router:?}"))
}

/// Reads the route table off a router's `Debug` output.
fn parse(debug: &str) -> Vec<ServedRoute> {
    // Only the main path router: the fallback router follows it.
    let main = debug
        .split_once("fallback_router:")
        .map_or(debug, |(main, _)| main);
    let Some((routes, paths)) = main.split_once("node: Node") else {
        return Vec::new();
    };
    let methods = route_methods(routes);
    let mut table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, path) in route_paths(paths) {
        if path.contains(NEST_TAIL) {
            continue;
        }
        let served = methods.get(&id).cloned().unwrap_or_default();
        table.entry(path).or_default().extend(served);
    }
    table
        .into_iter()
        .map(|(path, methods)| ServedRoute { path, methods })
        .collect()
}

/// `RouteId(n): "/path"` entries.
fn route_paths(text: &str) -> Vec<(u32, String)> {
    entries(text)
        .filter_map(|(id, rest)| {
            let quoted = rest.strip_prefix('"')?;
            let end = quoted.find('"')?;
            Some((id, quoted[..end].to_owned()))
        })
        .collect()
}

/// `RouteId(n): MethodRouter(MethodRouter { get: Route, head: None, … })`
/// entries, as the methods whose value is not `None`.
fn route_methods(text: &str) -> HashMap<u32, Vec<String>> {
    entries(text)
        .filter_map(|(id, rest)| {
            let fields = rest.strip_prefix("MethodRouter(MethodRouter { ")?;
            // This route's methods only: `fallback` follows `connect`.
            let fields = fields.split_once("fallback: ")?.0;
            let served = METHODS
                .iter()
                .filter(|method| {
                    fields
                        .split(", ")
                        .filter_map(|field| field.split_once(": "))
                        .any(|(name, value)| name == **method && !value.starts_with("None"))
                })
                .map(|method| (*method).to_owned())
                .collect();
            Some((id, served))
        })
        .collect()
}

/// Each `RouteId(n): ` in `text`, with the text after it.
fn entries(text: &str) -> impl Iterator<Item = (u32, &str)> {
    text.match_indices("RouteId(").filter_map(|(at, marker)| {
        let rest = &text[at + marker.len()..];
        let (number, rest) = rest.split_once("): ")?;
        Some((number.parse().ok()?, rest))
    })
}

/// The table of the running gateway, set once its router is built.
#[derive(Debug, Default)]
pub struct RouteTable(OnceLock<Vec<ServedRoute>>);

impl RouteTable {
    /// Records what the finished router serves (the first call wins).
    pub fn record(&self, routes: Vec<ServedRoute>) {
        let _ = self.0.set(routes);
    }

    /// What the router serves; empty before it is built.
    pub fn routes(&self) -> &[ServedRoute] {
        self.0.get().map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::{any, get, post};

    use super::*;

    fn route(path: &str, methods: &[&str]) -> ServedRoute {
        ServedRoute {
            path: path.to_owned(),
            methods: methods.iter().map(|method| (*method).to_owned()).collect(),
        }
    }

    #[test]
    fn lists_each_path_with_its_methods_including_nested_and_layered_ones() {
        let nested: Router = Router::new()
            .route("/messages", post(|| async { "" }))
            .route(
                "/messages/{id}",
                get(|| async { "" }).delete(|| async { "" }),
            )
            .fallback(|| async { "" });
        let router: Router = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/any", any(|| async { "" }))
            .nest("/api", nested)
            .layer(tower_http::trace::TraceLayer::new_for_http())
            .fallback(|| async { "" });
        assert_eq!(
            served(&router),
            [
                route("/any", &[]),
                route("/api/messages", &["post"]),
                route("/api/messages/{id}", &["get", "delete"]),
                route("/healthz", &["get"]),
            ]
        );
    }

    #[test]
    fn an_unreadable_debug_output_yields_no_routes() {
        assert!(parse("Router { something: else }").is_empty());
    }
}
