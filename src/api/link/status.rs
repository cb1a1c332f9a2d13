//! `GET /whatsapp-message/messages/{messageId}` (beyond LINK): where a
//! message stands (see [`crate::api::message_status`]). Another tenant's
//! message is a 404, like one that does not exist.

use axum::Json;
use axum::extract::{Path, State};

use super::auth::LinkUser;
use super::error::{ErrorResponse, LinkError};
use crate::api::AppState;
use crate::api::message_status::{self, MessageStatus};
use crate::api::text;

/// A message's status (beyond LINK).
///
/// Where each part of the message stands, with its history, and the
/// delivery reports sent to its gates. Another user's message is not found.
#[utoipa::path(
    get,
    path = "/messages/{message_id}",
    tag = "link",
    operation_id = "link_message_status",
    params(("message_id" = String, Path, description = "The `messageId` the send answered.",
        example = "9gTQwFGUD26RFjCvP7AScr")),
    responses(
        (status = 200, description = "The message.", body = MessageStatus),
        (status = 400, description = "The id holds text the gateway cannot keep (`112506`).",
            body = ErrorResponse),
        (status = 401, description = "Missing or wrong credentials (`112400`).",
            body = ErrorResponse),
        (status = 404, description = "No such message of this account (`112402`).",
            body = ErrorResponse),
        (status = 500, description = "The gateway failed (`112500`).", body = ErrorResponse),
    ),
    security(("link_basic" = [])),
)]
pub async fn message_status(
    State(state): State<AppState>,
    LinkUser { account, .. }: LinkUser,
    Path(message_id): Path<String>,
) -> Result<Json<MessageStatus>, LinkError> {
    text::check("messageId", &message_id)?;
    message_status::find(state.store.as_ref(), &account, &message_id)
        .await?
        .map(Json)
        .ok_or(LinkError::NotFound(message_id))
}
