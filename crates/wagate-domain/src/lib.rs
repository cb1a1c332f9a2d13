//! wagate's domain: the types and rules every other part of the gateway
//! speaks, with no I/O.
//!
//! - [`ids`]: message ids (22-character base62, time-ordered).
//! - [`address`]: MSISDN (normalised to E.164) and BSUID destinations.
//! - [`country`]: calling codes and trunk prefixes, to read numbers written
//!   in local form.
//! - [`priority`], [`result_code`], [`state`]: the small enums of the LINK API.
//! - [`meta_error`]: Meta's errors, the resendable ones, and the table that
//!   maps them to LINK result codes; [`meta_status`]: Meta's statuses as
//!   states and codes; [`devino_code`]: the states and Meta's errors as
//!   Devino's statuses and error codes.
//! - [`violation`]: what is wrong with a request, with the field path and the
//!   rule broken, in a form every API dialect can render.
//! - [`validity`]: when a message expires, from LINK's validity fields,
//!   within the longest validity allowed.
//! - [`progression`]: how Meta's statuses move a message part's state;
//!   [`part_tag`]: the part's key that travels with its request to Meta and
//!   back in its statuses.
//! - [`care_window`]: which incoming message opens which customer care
//!   window, and until when; [`contact`]: a user's phone and BSUIDs, and
//!   which pairs the contact book records.
//! - [`media_type`]: the media types an upload may have, each with its
//!   largest size (LINK's table; the sandbox holds Meta's in the same form).
//! - [`message`]: the WhatsApp message model (every message type LINK v1.9.4
//!   and the Cloud API know), its limits, and its rendering to the Cloud API
//!   JSON that is stored and later sent.

pub mod address;
pub mod care_window;
pub mod contact;
pub mod country;
pub mod devino_code;
pub mod ids;
pub mod media_type;
pub mod message;
pub mod meta_error;
pub mod meta_status;
pub mod part_tag;
pub mod priority;
pub mod progression;
pub mod result_code;
pub mod state;
pub mod validity;
pub mod violation;

pub use address::{Bsuid, Destination, Msisdn};
pub use contact::ContactIds;
pub use country::Country;
pub use ids::MessageId;
pub use priority::Priority;
pub use result_code::ResultCode;
pub use state::MessageState;
pub use violation::{Rule, Violation, ViolationKind};
