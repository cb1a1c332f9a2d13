//! `POST /whatsapp-message/mo/status`: marks an incoming (MO) message read,
//! and with `typing_indicator` shows the user that an answer is being
//! typed. `message_id` is the LINK `messageId` the MO's callback carried or
//! its `providerMessageId` (Meta's wamid). The source must be the tenant's,
//! and the message one the tenant received on that source: otherwise `404`,
//! as for a message that does not exist. The call goes to the Cloud API
//! with the source's token; `204` once Meta took it.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use wagate_domain::{Rule, Violation};

use super::auth::LinkUser;
use super::error::{ErrorResponse, LinkError};
use super::send::read_json;
use super::source_path::{NamedSource, cloud_target};
use crate::api::AppState;
use crate::api::protocol::RawBody;

/// Marks an incoming message read.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "platformId": "yourPlatformId",
    "platformPartnerId": "yourPlatformPartnerId",
    "source": "+460000000000",
    "status": "read",
    "message_id": "9gTQwFGUD26RFjCvP7AScr",
    "typing_indicator": {"type": "text"}
}))]
pub struct MoStatusRequest {
    #[schema(required = true, nullable = false, min_length = 1)]
    platform_id: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1)]
    platform_partner_id: Option<String>,
    /// The business number that received the message.
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        example = "+460000000000"
    )]
    source: Option<String>,
    #[schema(required = true, nullable = false, schema_with = read_status)]
    status: Option<String>,
    /// The incoming message's `messageId` or `providerMessageId` (also
    /// read as `messageId`).
    #[serde(rename = "message_id", alias = "messageId")]
    #[schema(required = true, nullable = false, min_length = 1)]
    message_id: Option<String>,
    /// Shows the user that an answer is being typed (also read as
    /// `typingIndicator`).
    #[serde(rename = "typing_indicator", alias = "typingIndicator")]
    typing_indicator: Option<TypingIndicator>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TypingIndicator {
    #[serde(rename = "type")]
    #[schema(required = true, nullable = false, schema_with = text_kind)]
    kind: Option<String>,
}

/// `status`: only `read`.
fn read_status() -> utoipa::openapi::schema::Object {
    one_string("read")
}

/// `typing_indicator.type`: only `text`.
fn text_kind() -> utoipa::openapi::schema::Object {
    one_string("text")
}

fn one_string(value: &str) -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some([value]))
        .build()
}

/// A checked request.
struct MarkRead {
    platform_id: String,
    platform_partner_id: String,
    source: String,
    message_id: String,
    typing: bool,
}

impl MoStatusRequest {
    fn check(self) -> Result<MarkRead, LinkError> {
        let required = |path: &str, value: Option<String>| {
            value
                .filter(|text| !text.trim().is_empty())
                .ok_or_else(|| LinkError::Invalid(Violation::new(path, Rule::Required)))
        };
        let platform_id = required("platformId", self.platform_id)?;
        let platform_partner_id = required("platformPartnerId", self.platform_partner_id)?;
        let source = required("source", self.source)?;
        if required("status", self.status)? != "read" {
            return Err(LinkError::Invalid(Violation::new(
                "status",
                Rule::OneOf(&["read"]),
            )));
        }
        let message_id = required("message_id", self.message_id)?;
        let typing = match self.typing_indicator {
            None => false,
            Some(TypingIndicator { kind }) if kind.as_deref() == Some("text") => true,
            Some(_) => {
                return Err(LinkError::Invalid(Violation::new(
                    "typing_indicator.type",
                    Rule::OneOf(&["text"]),
                )));
            }
        };
        Ok(MarkRead {
            platform_id,
            platform_partner_id,
            source,
            message_id,
            typing,
        })
    }
}

/// Mark an incoming message read.
///
/// Marks a message this account received on `source` read, and with
/// `typing_indicator` shows the user that an answer is being typed. The
/// call goes to the Cloud API; `204` once Meta took it.
#[utoipa::path(
    post,
    path = "/mo/status",
    tag = "link",
    operation_id = "link_mark_read",
    request_body(content = MoStatusRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "Meta took it."),
        (status = 400, description = "Not JSON (`112505`), a field missing or breaking a \
            rule (`112506`, `112402`), or Meta refused the call (`112501`) or did not \
            answer (`112503`).", body = ErrorResponse),
        (status = 401, description = "Missing or wrong credentials (`112400`).",
            body = ErrorResponse),
        (status = 403, description = "The platform ids or the source are not this \
            user's (`112401`).", body = ErrorResponse),
        (status = 404, description = "No such incoming message on this source \
            (`112402`).", body = ErrorResponse),
        (status = 408, description = "The body did not arrive in time (`112402`).",
            body = ErrorResponse),
        (status = 413, description = "The body is larger than the limit (`112402`).",
            body = ErrorResponse),
        (status = 500, description = "The gateway failed (`112500`).", body = ErrorResponse),
    ),
    security(("link_basic" = [])),
)]
pub async fn mark_read(
    State(state): State<AppState>,
    LinkUser { account, .. }: LinkUser,
    body: RawBody<LinkError>,
) -> Result<StatusCode, LinkError> {
    let request = read_json::<MoStatusRequest>(&body.bytes)?.check()?;
    drop(body);
    let named = NamedSource {
        platform_id: &request.platform_id,
        platform_partner_id: &request.platform_partner_id,
        number: &request.source,
    };
    let source = named.owned(&state, &account, LinkError::Invalid).await?;
    let (phone_number_id, token) = cloud_target(source, &state, LinkError::Invalid)?;
    let wamid = state
        .store
        .received_wamid(&phone_number_id, &request.message_id)
        .await?
        .ok_or(LinkError::NotFound(request.message_id))?;
    state
        .cloud_api
        .mark_read(&phone_number_id, &token, &wamid, request.typing)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
