//! The console's answers as the OpenAPI document lists them: an HTML page,
//! a redirect, or an HTML page saying what failed.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, PartialSchema};

/// Responses of `statuses`: a redirect (303) has no body, the others an
/// HTML page.
fn html_answers(statuses: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    statuses
        .iter()
        .map(|(status, description)| {
            let mut response = ResponseBuilder::new().description(*description);
            if *status != 303 {
                response = response.content(
                    "text/html",
                    ContentBuilder::new().schema(Some(String::schema())).build(),
                );
            }
            (status.to_string(), response.build().into())
        })
        .collect()
}

/// A page (`GET`).
pub struct PageAnswers;

impl IntoResponses for PageAnswers {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        html_answers(&[
            (200, "The page."),
            (303, "Not signed in: to the sign-in page."),
            (400, "A bad id."),
            (404, "No admin token (no console), or no such thing."),
            (500, "The page did not render."),
            (503, "The store failed."),
        ])
    }
}

/// An action (a form `POST`).
pub struct ActionAnswers;

impl IntoResponses for ActionAnswers {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        html_answers(&[
            (
                303,
                "Done: to the next page; or not signed in: to the sign-in page.",
            ),
            (400, "A bad id, or a body that is not the form."),
            (403, "Not the session's CSRF token, or from another site."),
            (
                404,
                "No admin token (no console), or no such gate or callback.",
            ),
            (500, "The page did not render."),
            (503, "The store failed."),
        ])
    }
}
