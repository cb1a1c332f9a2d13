//! `GET /whatsapp-message/messages/{messageId}` (beyond LINK): where a
//! message stands (see [`crate::api::message_status`]). Another tenant's
//! message is a 404, like one that does not exist.

use axum::Json;
use axum::extract::{Path, State};

use super::auth::LinkUser;
use super::error::LinkError;
use crate::api::AppState;
use crate::api::message_status::{self, MessageStatus};
use crate::api::text;

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
