//! From checked messages to Cloud API bodies: one body per (destination,
//! message), each message rendered once and addressed to each destination
//! as text and tagged with its part's key (see
//! [`wagate_domain::part_tag`]), refused once the bodies take more than the
//! request's cap.

use wagate_domain::Destination;
use wagate_domain::message::ValidMessage;
use wagate_domain::part_tag::PartTag;

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
        let message_id = next_id();
        let mut parts = Vec::with_capacity(rendered.len());
        for (index, message) in rendered.iter().enumerate() {
            let message_index = u32::try_from(index).unwrap_or(u32::MAX);
            let cloud_body =
                PartTag::add_to(message.body_for(destination), &message_id, message_index);
            bytes = bytes.saturating_add(cloud_body.len());
            if bytes > max_bytes {
                return Err(IntakeError::RenderedTooLarge(max_bytes));
            }
            parts.push(NewPart {
                message_index,
                message_type: message.message_type().as_str().to_owned(),
                cloud_body,
            });
        }
        request.messages.push(NewMessage {
            message_id,
            destination: destination.to_string(),
            parts,
        });
    }
    Ok(request)
}
