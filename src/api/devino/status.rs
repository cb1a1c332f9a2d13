//! `GET /whatsapp/v2/messages/{messageId}` (beyond the Devino spec): where
//! a message stands, as the LINK dialect's status query shows it (see
//! [`crate::api::message_status`]). Another tenant's message is a 404, like
//! one that does not exist.

use axum::Json;
use axum::extract::{Path, State};

use super::auth::DevinoUser;
use super::error::{DevinoError, QueryFailures};
use crate::api::AppState;
use crate::api::message_status::{self, MessageStatus};

/// Where a message stands (beyond the Devino spec).
///
/// Per part, its state and history, and the callbacks sent for it;
/// another account's message is not found.
#[utoipa::path(
    get,
    path = "/messages/{message_id}",
    tag = "devino",
    operation_id = "devinoMessageStatus",
    params(("message_id" = String, Path, description = "The id `POST /messages` answered.")),
    security(("devino_key" = []), ("devino_x_api_key" = [])),
    responses(
        (status = 200, description = "The message.", body = MessageStatus,
            content_type = "application/json"),
        QueryFailures,
    ),
)]
pub async fn message_status(
    State(state): State<AppState>,
    DevinoUser { account, .. }: DevinoUser,
    Path(message_id): Path<String>,
) -> Result<Json<MessageStatus>, DevinoError> {
    if message_id.contains('\0') {
        return Err(DevinoError::NotFound(message_id.replace('\0', "\u{FFFD}")));
    }
    message_status::find(state.store.as_ref(), &account, &message_id)
        .await?
        .map(Json)
        .ok_or(DevinoError::NotFound(message_id))
}
