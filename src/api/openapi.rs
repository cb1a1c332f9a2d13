//! The OpenAPI 3.1 document (`GET /openapi.json`) and Swagger UI over it
//! (`GET /docs`, served from the binary).
//!
//! The document is generated from the code: each API's module documents
//! its own handlers (`#[utoipa::path]`) and the types they read and write
//! (`ToSchema`), and [`ApiDoc`] gathers them here. Callback payloads are
//! documented as OpenAPI webhooks. `tests/openapi.rs` holds the document
//! against the OpenAPI schema and against the routes the router serves.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, PathsBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::link::LinkWebhooks;
use super::{admin, devino, link, media, meta_webhook, ops, sandbox};
use crate::callbacks::format::DevinoWebhooks;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/openapi.json";
/// Where Swagger UI is served.
pub const DOCS_PATH: &str = "/docs";

/// The security scheme of LINK's endpoints: HTTP Basic with the user's
/// name and password.
pub const LINK_BASIC: &str = "link_basic";
/// Devino's endpoints: `Authorization: Key <apiKey>`.
pub const DEVINO_KEY: &str = "devino_key";
/// Devino's endpoints, the other header: `X-Api-Key: <apiKey>`.
pub const DEVINO_X_API_KEY: &str = "devino_x_api_key";
/// The admin API (and `/metrics` with `--metrics-require-token`):
/// `Authorization: Bearer <admin token>`.
pub const ADMIN_TOKEN: &str = "admin_token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wagate",
        description = "A self-hosted WhatsApp Business messaging gateway: LINK Mobility's \
            WhatsApp Message API and Devino's Direct WA API in front of Meta's WhatsApp \
            Cloud API, with an admin API for tenants, gates and routes. The webhooks \
            section describes the callbacks wagate makes to gates and callback URLs.",
    ),
    paths(document, ops::healthz, ops::readyz, crate::metrics::http::serve),
    nest(
        (path = "/admin/v1", api = admin::AdminApi),
        (path = "/whatsapp-message", api = link::management::LinkManagementApi),
        (path = "/media/v1", api = media::MediaApi),
        (path = "/webhooks/meta", api = meta_webhook::MetaWebhookApi),
        (path = "/sandbox/v1", api = sandbox::SandboxApi),
        (path = "/sandbox/v1", api = crate::sim::SandboxControlsApi),
        (path = "/whatsapp-message", api = link::LinkApi),
        (path = "/whatsapp/v2", api = devino::DevinoApi),
    ),
    components(schemas(super::route_table::ServedRoute)),
    modifiers(&SecuritySchemes, &SwaggerUiPaths, &LinkWebhooks, &DevinoWebhooks),
    tags(
        (name = "operations", description = "Health, readiness, metrics and this document."),
        (name = "admin", description = "Tenants, sources, gates and routes (admin token)."),
        (name = "console", description = "The operator console's pages and forms (HTML; \
            a session cookie from signing in with the admin token)."),
        (name = "link", description = "LINK Mobility's WhatsApp Message API (v1.9.4): \
            sending messages, their status, incoming messages marked read."),
        (name = "devino", description = "Devino's Direct WA API (`/whatsapp/v2`), with the \
            user's API key."),
    ),
)]
pub struct ApiDoc;

/// The document, built once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        // At the root: the console's paths are whole already.
        .merge_from(crate::console::ConsoleApi::openapi())
        .to_json()
        .unwrap_or_else(|error| format!(r#"{{"error":"the document did not serialize: {error}"}}"#))
});

/// The document as JSON.
pub fn document_json() -> &'static str {
    &DOCUMENT
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of this gateway.",
        content_type = "application/json", body = Object)),
)]
async fn document() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], document_json())
}

/// `/openapi.json` and Swagger UI under `/docs`.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let swagger: Router<S> = SwaggerUi::new(DOCS_PATH)
        .config(Config::from(DOCUMENT_PATH))
        .into();
    Router::new()
        .route(DOCUMENT_PATH, get(document))
        .merge(swagger)
}

/// The security schemes the operations name.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut basic = HttpBuilder::new().scheme(HttpAuthScheme::Basic).build();
        basic.description = Some("LINK: the user's name and password.".into());
        components.add_security_scheme(LINK_BASIC, SecurityScheme::Http(basic));
        components.add_security_scheme(
            DEVINO_KEY,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "Devino: `Key <apiKey>`, with the user's API key.",
            ))),
        );
        components.add_security_scheme(
            DEVINO_X_API_KEY,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "Devino: the user's API key.",
            ))),
        );
        let mut bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
        bearer.description = Some("The admin token (`--admin-token`).".into());
        components.add_security_scheme(ADMIN_TOKEN, SecurityScheme::Http(bearer));
    }
}

/// Swagger UI's own page, which the document describes too (its files
/// under `/docs/` are Swagger UI's, not an API).
struct SwaggerUiPaths;

impl Modify for SwaggerUiPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let page = OperationBuilder::new()
            .tag("operations")
            .summary(Some("Swagger UI over this document"))
            .description(Some(
                "Redirects to `/docs/`, where Swagger UI is served from the binary (no CDN).",
            ))
            .response(
                "303",
                ResponseBuilder::new().description("To `/docs/`.").build(),
            )
            .build();
        openapi
            .paths
            .add_path_operation(DOCS_PATH, vec![HttpMethod::Get], page);
    }
}

/// A webhook entry: the POST wagate makes to a gate or callback URL with
/// a body of schema `schema` (a component's name).
pub fn webhook(summary: &str, description: &str, schema: &str) -> PathItem {
    let body = RequestBodyBuilder::new()
        .required(Some(utoipa::openapi::Required::True))
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(schema)))
                .build(),
        )
        .build();
    let operation = OperationBuilder::new()
        .summary(Some(summary))
        .description(Some(description))
        .request_body(Some(body))
        .response(
            "2XX",
            ResponseBuilder::new()
                .description("Taken; any other answer (or none) is tried again later.")
                .build(),
        )
        .build();
    PathItem::new(HttpMethod::Post, operation)
}

/// Adds `entries` to the document's webhooks.
pub fn add_webhooks(
    openapi: &mut utoipa::openapi::OpenApi,
    entries: impl IntoIterator<Item = (&'static str, PathItem)>,
) {
    let mut paths = openapi
        .webhooks
        .take()
        .unwrap_or_else(|| PathsBuilder::new().build());
    for (name, item) in entries {
        paths.paths.insert(name.to_owned(), item);
    }
    openapi.webhooks = Some(paths);
}
