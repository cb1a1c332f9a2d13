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
use super::error::LinkError;
use super::send::read_json;
use super::source_path::{NamedSource, cloud_target};
use crate::api::AppState;
use crate::api::protocol::RawBody;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoStatusRequest {
    platform_id: Option<String>,
    platform_partner_id: Option<String>,
    source: Option<String>,
    status: Option<String>,
    #[serde(rename = "message_id", alias = "messageId")]
    message_id: Option<String>,
    #[serde(rename = "typing_indicator", alias = "typingIndicator")]
    typing_indicator: Option<TypingIndicator>,
}

#[derive(Debug, Deserialize)]
pub struct TypingIndicator {
    #[serde(rename = "type")]
    kind: Option<String>,
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
