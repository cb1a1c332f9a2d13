//! Every numeric limit a message must respect, in one place.
//!
//! "LINK" cites a table of the LINK WhatsApp Message API v1.9.4 document;
//! "Meta" marks a limit the LINK document does not state, taken from Meta's
//! Cloud API reference (the upstream enforces it anyway; checking it here
//! turns a late DLR failure into an immediate `112506` naming the field).
//! Lengths count Unicode scalar values (characters), not bytes.

// --- Text message -----------------------------------------------------------

/// Text message `text.body`. Meta: 4096 characters.
pub const TEXT_BODY_MAX: usize = 4096;

// --- Media messages ---------------------------------------------------------

/// `caption` of an image, video or document. Meta: 1024 characters.
pub const MEDIA_CAPTION_MAX: usize = 1024;

// --- Location message -------------------------------------------------------

/// `location.latitude`, degrees. Meta (and geography).
pub const LATITUDE_MIN: f64 = -90.0;
pub const LATITUDE_MAX: f64 = 90.0;
/// `location.longitude`, degrees. Meta (and geography).
pub const LONGITUDE_MIN: f64 = -180.0;
pub const LONGITUDE_MAX: f64 = 180.0;

// --- Contacts message -------------------------------------------------------

/// `contacts`: LINK "List<Contact>, Required" — at least one.
pub const CONTACTS_MIN: usize = 1;

// --- Template message -------------------------------------------------------

/// `template.name`. Meta: template names are at most 512 characters.
pub const TEMPLATE_NAME_MAX: usize = 512;
/// Text parameter of a `header` component. Meta: 60 characters.
pub const TEMPLATE_HEADER_TEXT_MAX: usize = 60;
/// Text parameter of a `body` component. Meta: 32768 characters (1024 when the
/// template has other components; Meta checks that against the template).
pub const TEMPLATE_BODY_TEXT_MAX: usize = 32768;
/// A `header` component has one parameter. LINK Component table: "one or none
/// of the media parameters"; Meta: a header has a single parameter.
pub const TEMPLATE_HEADER_PARAMETERS_MAX: usize = 1;
/// Button component `index`. Meta: 0 to 9 (at most 10 buttons).
pub const BUTTON_INDEX_MAX: i64 = 9;
/// Currency `code`: ISO 4217, three letters. Meta.
pub const CURRENCY_CODE_LEN: usize = 3;
/// Template `carousel` component `cards`. Meta: 1 to 10 cards (indexes 0–9).
pub const TEMPLATE_CARDS_MIN: usize = 1;
pub const TEMPLATE_CARDS_MAX: usize = 10;

/// DateTime parts. LINK DateTime table names them; the ranges are the
/// calendar's (Meta: `day_of_week` 1 = Monday … 7 = Sunday).
pub const DAY_OF_WEEK: (i64, i64) = (1, 7);
pub const DAY_OF_MONTH: (i64, i64) = (1, 31);
pub const MONTH: (i64, i64) = (1, 12);
pub const HOUR: (i64, i64) = (0, 23);
pub const MINUTE: (i64, i64) = (0, 59);

// --- Interactive message ----------------------------------------------------

/// `interactive.body.text`. LINK Interactive message table: 1024.
pub const INTERACTIVE_BODY_MAX: usize = 1024;
/// `interactive.footer.text`. LINK Interactive message table: 60.
pub const INTERACTIVE_FOOTER_MAX: usize = 60;
/// `interactive.header.text`. LINK Interactive header table: 60.
pub const INTERACTIVE_HEADER_TEXT_MAX: usize = 60;

/// Reply buttons per button message. LINK: "up to 3 options"; Meta: 1 to 3.
pub const REPLY_BUTTONS_MIN: usize = 1;
pub const REPLY_BUTTONS_MAX: usize = 3;
/// `reply.id`. LINK Interactive button table: 256.
pub const REPLY_ID_MAX: usize = 256;
/// `reply.title`. LINK Interactive button table: 20.
pub const REPLY_TITLE_MAX: usize = 20;

/// List message `action.button`. LINK Interactive action table: 20.
pub const LIST_BUTTON_MAX: usize = 20;
/// `action.sections`. LINK Interactive action table: min 1, max 10.
pub const SECTIONS_MIN: usize = 1;
pub const SECTIONS_MAX: usize = 10;
/// `sections[].title`. LINK Interactive section table: 24.
pub const SECTION_TITLE_MAX: usize = 24;
/// Rows per list section. Meta: a section has at least one row.
pub const ROWS_PER_SECTION_MIN: usize = 1;
/// Rows across all sections. LINK: "a menu of up to 10 options"; Meta: 10.
pub const ROWS_TOTAL_MAX: usize = 10;
/// `rows[].id`. LINK Interactive section table: 200.
pub const ROW_ID_MAX: usize = 200;
/// `rows[].title`. LINK Interactive section table: 24.
pub const ROW_TITLE_MAX: usize = 24;
/// `rows[].description`. LINK Interactive section table: 72.
pub const ROW_DESCRIPTION_MAX: usize = 72;
/// `product_items` per section. LINK Interactive section table: minimum 1.
pub const PRODUCT_ITEMS_PER_SECTION_MIN: usize = 1;
/// `product_items` across all sections. LINK Interactive section table: 30.
pub const PRODUCT_ITEMS_TOTAL_MAX: usize = 30;

/// Carousel `action.cards`. LINK carousel card tables: `card_index` 0–9, so
/// at most 10; Meta: at least 2 cards.
pub const CAROUSEL_CARDS_MIN: usize = 2;
pub const CAROUSEL_CARDS_MAX: usize = 10;
/// `card_index` of interactive and template carousel cards. LINK: 0–9.
pub const CARD_INDEX_MAX: i64 = 9;
/// Media carousel card `body.text`. LINK Media carousel table: max 160 chars…
pub const MEDIA_CARD_BODY_MAX: usize = 160;
/// …and up to 2 line breaks.
pub const MEDIA_CARD_BODY_LINE_BREAKS_MAX: usize = 2;

/// `parameters.display_text` of a CTA URL message or media carousel card.
/// LINK Media carousel table: max 20 chars; Meta: 20 for CTA URL messages.
pub const CTA_DISPLAY_TEXT_MAX: usize = 20;
/// Flow `parameters.flow_cta`. LINK Interactive action parameters: 20.
pub const FLOW_CTA_MAX: usize = 20;
/// Flow `parameters.flow_message_version`. LINK: "value must be 3".
pub const FLOW_MESSAGE_VERSION: i64 = 3;
