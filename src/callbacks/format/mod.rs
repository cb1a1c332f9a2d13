//! Callback bodies, chosen by the target's format: the facts of a status or
//! an incoming message go in, the body a gate of that format expects comes
//! out. [`format_of`] is the one place that picks the format; each format
//! lives in its own file ([`link`], [`devino`]) and implements [`Format`].
//! A third format is its file, one arm in [`format_of`], and its
//! [`GateFormat`] variant.

mod devino;
pub mod link;

pub use devino::DevinoWebhooks;

use serde_json::Value;
use wagate_domain::ContactIds;

use crate::store::{
    Account, Contact, GateFormat, KeyValues, MessageRecord, Route, StatusRecord, UnroutedInbound,
};

/// What a status callback is made of, whatever the format.
pub struct StatusFacts<'a> {
    pub message: &'a MessageRecord,
    /// The part (`messageType`, `messageIndex`); `None` for a report on the
    /// whole request (nothing could be sent).
    pub part: Option<(&'a str, u32)>,
    pub status: &'a StatusRecord,
    pub account: &'a Account,
    /// The custom parameters of the target (a gate's; LINK passes them on).
    pub gate_parameters: &'a KeyValues,
    /// What the tenant's contact book knows of the destination.
    pub contact: Option<&'a Contact>,
}

/// What an incoming-message callback is made of, whatever the format.
pub struct IncomingFacts<'a> {
    pub inbound: &'a UnroutedInbound,
    /// The business number it was sent to (E.164).
    pub business_number: &'a str,
    pub route: &'a Route,
    pub account: &'a Account,
    /// The custom parameters of the gate it goes to.
    pub gate_parameters: &'a KeyValues,
    /// wagate's id for the incoming message (LINK's `messageId`)…
    pub message_id: &'a str,
    /// …and its number (Devino's `incomingMessageId`), made together (see
    /// [`wagate_domain::MessageId::generate_numbered`]).
    pub message_number: i64,
    /// Where the gate can fetch the message's media (a signed wagate URL).
    pub media_url: Option<&'a str>,
}

/// One callback format's bodies.
trait Format: Sync {
    /// The body reporting a status; `None` when the format has no word for
    /// it (no callback is sent).
    fn status(&self, facts: &StatusFacts<'_>) -> serde_json::Result<Option<String>>;

    /// The body of an incoming message.
    fn incoming(&self, facts: &IncomingFacts<'_>) -> serde_json::Result<String>;
}

fn format_of(format: GateFormat) -> &'static dyn Format {
    match format {
        GateFormat::Link => &link::Link,
        GateFormat::Devino => &devino::Devino,
    }
}

/// The status callback body for a target of `format`; `None`: nothing to
/// send for this status in that format.
pub fn status_body(
    format: GateFormat,
    facts: &StatusFacts<'_>,
) -> serde_json::Result<Option<String>> {
    format_of(format).status(facts)
}

/// The incoming-message callback body for a gate of `format`.
pub fn incoming_body(format: GateFormat, facts: &IncomingFacts<'_>) -> serde_json::Result<String> {
    format_of(format).incoming(facts)
}

/// The media kinds of incoming messages.
const MEDIA: [&str; 5] = ["image", "audio", "video", "document", "sticker"];

/// The Cloud API media id of a media message.
pub fn media_id(message: &Value) -> Option<&str> {
    let kind = message["type"].as_str()?;
    MEDIA
        .contains(&kind)
        .then(|| message[kind]["id"].as_str())?
}

/// The sender of an incoming message, as far as Meta told.
pub fn sender(inbound: &UnroutedInbound) -> ContactIds {
    ContactIds::of_sender(&inbound.message, inbound.contact.as_ref())
}

/// The text a keyword route is matched against (a text message's body).
pub fn text_of(message: &Value) -> Option<&str> {
    message["text"]["body"].as_str()
}
