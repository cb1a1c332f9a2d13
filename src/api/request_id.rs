//! Request ids: every request gets one (the client's `X-Request-Id` when it
//! is usable, else a fresh UUID), echoed in the answer, named by the span
//! every log line of the request belongs to, and stored with the messages
//! it accepts, so that their submissions and reports log under it too.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

/// The header that carries the id, both ways.
pub const HEADER: &str = "x-request-id";

/// The longest client id kept; a longer one is replaced.
pub const MAX_CLIENT_ID_BYTES: usize = 128;

/// Whether a client's id is kept: 1 to [`MAX_CLIENT_ID_BYTES`] bytes of
/// letters, digits and `-_.:/+=` (UUIDs, ULIDs, trace ids, base64), so
/// that what is logged and stored is short and plain.
pub fn usable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=MAX_CLIENT_ID_BYTES).contains(&bytes.len())
        && bytes
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.:/+=".contains(byte))
}

/// Drops a client's id that is not [`usable`], so that the request gets a
/// fresh one (runs before tower-http's `SetRequestIdLayer`).
pub async fn drop_unusable(mut request: Request, next: Next) -> Response {
    if request.headers().get_all(HEADER).iter().count() > 1
        || request
            .headers()
            .get(HEADER)
            .is_some_and(|value| !usable(value))
    {
        request.headers_mut().remove(HEADER);
    }
    next.run(request).await
}

/// The span every line a request logs belongs to: its method, path and id
/// (never its headers or body).
pub fn span(request: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id_of(request.headers()).unwrap_or_default(),
    )
}

/// The request's id, for what it queues.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Self(id_of(&parts.headers).map(str::to_owned)))
    }
}

fn id_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(HEADER).and_then(|value| value.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_short_ids_are_kept_and_others_replaced() {
        let long = "a".repeat(MAX_CLIENT_ID_BYTES);
        let too_long = "a".repeat(MAX_CLIENT_ID_BYTES + 1);
        for (id, kept) in [
            ("0d3c5a0e-8f5e-4a5b-9f0a-1c2d3e4f5a6b", true),
            ("01HZX3J4K5M6N7P8Q9R0S1T2V3", true),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                true,
            ),
            ("dGVzdA==", true),
            (long.as_str(), true),
            (too_long.as_str(), false),
            ("", false),
            ("two words", false),
            ("semi;colon", false),
            ("quote\"", false),
            ("tab\there", false),
        ] {
            let value = HeaderValue::from_str(id).expect("a header value");
            assert_eq!(usable(&value), kept, "{id:?}");
        }
        let non_ascii = HeaderValue::from_bytes("id-é".as_bytes()).expect("opaque bytes");
        assert!(!usable(&non_ascii));
    }
}
