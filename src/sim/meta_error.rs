//! Graph API error answers as the Cloud API gives them:
//!
//! ```json
//! {"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException",
//!            "code": 131047, "error_data": {"messaging_product": "whatsapp", "details": "…"},
//!            "fbtrace_id": "AbC…"}}
//! ```

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{Value, json};

use super::numbers::Rejection;

/// One error answer: HTTP status, Meta's code, title and details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaError {
    pub http: StatusCode,
    pub code: i64,
    /// Meta's title, shown in `message` as `(#code) title`.
    pub title: &'static str,
    /// `error_data.details`; `None` for errors without `error_data`.
    pub details: Option<String>,
    /// What the Business Management API adds for people: `error_subcode`,
    /// `error_user_title`, `error_user_msg` (template errors carry them).
    pub user: Option<UserFacing>,
}

/// The people-facing part of a Business Management API error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFacing {
    pub subcode: Option<i64>,
    pub title: &'static str,
    pub message: String,
}

impl MetaError {
    fn new(http: StatusCode, code: i64, title: &'static str, details: String) -> Self {
        Self {
            http,
            code,
            title,
            details: Some(details),
            user: None,
        }
    }

    /// 100 from the Business Management API (templates): `error_user_title`
    /// and `error_user_msg` say what is wrong, `error_subcode` when Meta
    /// has one for it.
    pub fn template_refused(
        subcode: Option<i64>,
        user_title: &'static str,
        user_message: impl Into<String>,
    ) -> Self {
        let message = user_message.into();
        Self {
            http: StatusCode::BAD_REQUEST,
            code: 100,
            title: "Invalid parameter",
            details: Some(message.clone()),
            user: Some(UserFacing {
                subcode,
                title: user_title,
                message,
            }),
        }
    }

    /// 100, subcode 33: no such object (a template id that is not one).
    pub fn no_such_object(id: &str) -> Self {
        Self {
            http: StatusCode::BAD_REQUEST,
            code: 100,
            title: "Unsupported request",
            details: Some(format!(
                "Unsupported request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            )),
            user: Some(UserFacing {
                subcode: Some(33),
                title: "Object does not exist",
                message: format!("Object with ID '{id}' does not exist."),
            }),
        }
    }

    /// 190: no usable access token (HTTP 401).
    pub fn unauthorized() -> Self {
        Self {
            http: StatusCode::UNAUTHORIZED,
            code: 190,
            title: "Invalid OAuth access token - Cannot parse access token",
            details: None,
            user: None,
        }
    }

    /// 100: the request breaks a rule; `details` names the param and why.
    pub fn invalid_parameter(details: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            100,
            "Invalid parameter",
            details.into(),
        )
    }

    /// 2500: the path is not one the Graph API knows.
    pub fn unknown_path(path: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            2500,
            "Unknown path components",
            format!("Unknown path components: {path}"),
        )
    }

    /// 131047: a non-template message outside the 24-hour care window.
    pub fn re_engagement() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            131047,
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.".to_owned(),
        )
    }

    /// 132001: the template has no translation in that language.
    pub fn template_translation(name: &str, language: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            132001,
            "Template name does not exist in the translation",
            format!("template name ({name}) does not exist in {language}"),
        )
    }

    /// 132000: the template takes a different number of parameters.
    pub fn parameter_count(component: &str, given: usize, expected: usize) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            132000,
            "Number of parameters does not match the expected number of params",
            format!(
                "{component}: number of localizable_params ({given}) does not match the expected number of params ({expected})"
            ),
        )
    }

    /// The sandbox number table's synchronous rejections.
    pub fn sandbox(rejection: Rejection, last_four: &str) -> Self {
        match rejection {
            Rejection::Transient => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                131000,
                "Something went wrong",
                format!("Simulated temporary error for sandbox number ending {last_four}"),
            ),
            Rejection::RateLimited => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                130429,
                "Rate limit hit",
                format!(
                    "Simulated throughput limit for sandbox number ending {last_four}: Cloud API message throughput has been reached."
                ),
            ),
            Rejection::InvalidParameter => Self::invalid_parameter(format!(
                "Simulated invalid parameter for sandbox number ending {last_four}"
            )),
        }
    }

    /// Meta's `message`: `(#131047) Re-engagement message`; the OAuth error
    /// carries its title alone.
    pub fn message(&self) -> String {
        if self.code == 190 {
            self.title.to_owned()
        } else {
            format!("(#{}) {}", self.code, self.title)
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut error = json!({
            "message": self.message(),
            "type": "OAuthException",
            "code": self.code,
            "fbtrace_id": fbtrace_id(),
        });
        if let (Some(details), Some(map)) = (&self.details, error.as_object_mut()) {
            map.insert(
                "error_data".to_owned(),
                json!({"messaging_product": "whatsapp", "details": details}),
            );
        }
        if let (Some(user), Some(map)) = (&self.user, error.as_object_mut()) {
            if let Some(subcode) = user.subcode {
                map.insert("error_subcode".to_owned(), json!(subcode));
            }
            map.insert("is_transient".to_owned(), json!(false));
            map.insert("error_user_title".to_owned(), json!(user.title));
            map.insert("error_user_msg".to_owned(), json!(user.message));
        }
        json!({ "error": error })
    }
}

impl IntoResponse for MetaError {
    fn into_response(self) -> Response {
        (self.http, Json(self.body())).into_response()
    }
}

/// A random trace id like Meta's (`AbC1dEf2GhI3jKl4MnO5pQr`).
fn fbtrace_id() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_metas_shape() {
        let body = MetaError::re_engagement().body();
        assert_eq!(body["error"]["message"], "(#131047) Re-engagement message");
        assert_eq!(body["error"]["type"], "OAuthException");
        assert_eq!(body["error"]["code"], 131047);
        assert_eq!(body["error"]["error_data"]["messaging_product"], "whatsapp");
        assert!(
            body["error"]["error_data"]["details"]
                .as_str()
                .is_some_and(|details| details.contains("24 hours"))
        );
        assert_eq!(body["error"]["fbtrace_id"].as_str().map(str::len), Some(23));

        let unauthorized = MetaError::unauthorized();
        assert_eq!(unauthorized.http, StatusCode::UNAUTHORIZED);
        let body = unauthorized.body();
        assert_eq!(body["error"]["code"], 190);
        assert!(body["error"].get("error_data").is_none());
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|message| message.starts_with("Invalid OAuth access token"))
        );
    }

    #[test]
    fn sandbox_rejections_have_their_codes_and_statuses() {
        let transient = MetaError::sandbox(Rejection::Transient, "9901");
        assert_eq!(
            (transient.http, transient.code),
            (StatusCode::INTERNAL_SERVER_ERROR, 131000)
        );
        let limited = MetaError::sandbox(Rejection::RateLimited, "9902");
        assert_eq!(
            (limited.http, limited.code),
            (StatusCode::TOO_MANY_REQUESTS, 130429)
        );
        let invalid = MetaError::sandbox(Rejection::InvalidParameter, "9903");
        assert_eq!((invalid.http, invalid.code), (StatusCode::BAD_REQUEST, 100));
        assert_eq!(
            invalid.details.as_deref(),
            Some("Simulated invalid parameter for sandbox number ending 9903")
        );
        assert_eq!(invalid.message(), "(#100) Invalid parameter");
    }
}
