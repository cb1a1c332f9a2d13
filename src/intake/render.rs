//! From checked messages to Cloud API bodies: one body per (destination,
//! message), each message rendered once and addressed to each destination
//! as text, refused once the bodies take more than the request's cap.

use wagate_domain::Destination;
use wagate_domain::message::ValidMessage;

use super::IntakeError;
use crate::store::{NewMessage, NewPart, NewRequest};

/// Fills `request.messages`: one [`NewMessage`] per destination (its id
/// from `next_id`), each with one part per message, in order.
pub fn address(
    mut request: NewRequest,
    destinations: &[Destination],
    messages: &[ValidMessage],
    mut next_id: impl FnMut() -> String,
    max_bytes: usize,
) -> Result<NewRequest, IntakeError> {
    let rendered: Vec<_> = messages.iter().map(ValidMessage::render_once).collect();
    let mut bytes = 0usize;
    request.messages = Vec::with_capacity(destinations.len());
    for destination in destinations {
        let mut parts = Vec::with_capacity(rendered.len());
        for (index, message) in rendered.iter().enumerate() {
            let cloud_body = message.body_for(destination);
            bytes = bytes.saturating_add(cloud_body.len());
            if bytes > max_bytes {
                return Err(IntakeError::RenderedTooLarge(max_bytes));
            }
            parts.push(NewPart {
                message_index: u32::try_from(index).unwrap_or(u32::MAX),
                message_type: message.message_type().as_str().to_owned(),
                cloud_body,
            });
        }
        request.messages.push(NewMessage {
            message_id: next_id(),
            destination: destination.to_string(),
            parts,
        });
    }
    Ok(request)
}
