//! Rules of the message envelope (`type` and its object) and of text, media,
//! location and contacts messages, each at its boundary with the exact path.

mod common;

use common::{chars, has, ok, only, rendered, with, without};
use serde_json::json;
use wagate_domain::violation::Rule;

const TYPES: &[&str] = &[
    "template",
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
];

fn text() -> serde_json::Value {
    json!({"type": "text", "text": {"body": "hello"}})
}

// --- type and its object ----------------------------------------------------

#[test]
fn type_is_required_and_one_of_the_ten() {
    only(
        &without(&text(), "/type"),
        "messages[0].type",
        Rule::Required,
    );
    only(
        &with(&text(), "/type", json!("reaction")),
        "messages[0].type",
        Rule::OneOf(TYPES),
    );
}

#[test]
fn the_object_named_by_type_is_required() {
    only(&json!({"type": "text"}), "messages[0].text", Rule::Required);
    only(
        &json!({"type": "image"}),
        "messages[0].image",
        Rule::Required,
    );
    only(
        &json!({"type": "interactive"}),
        "messages[0].interactive",
        Rule::Required,
    );
    only(
        &json!({"type": "template"}),
        "messages[0].template",
        Rule::Required,
    );
}

#[test]
fn an_object_for_another_type_is_not_allowed() {
    let message = with(&text(), "/image", json!({"id": "1"}));
    only(
        &message,
        "messages[0].image",
        Rule::NotAllowed("when type is text"),
    );
    let message = with(&text(), "/components", json!([]));
    only(
        &message,
        "messages[0].components",
        Rule::NotAllowed("when type is text"),
    );
}

#[test]
fn null_objects_count_as_absent() {
    ok(&with(&text(), "/image", json!(null)));
}

// --- text -------------------------------------------------------------------

#[test]
fn text_body_is_required_non_empty_and_at_most_4096_characters() {
    ok(&with(&text(), "/text/body", chars(4096)));
    only(
        &with(&text(), "/text/body", chars(4097)),
        "messages[0].text.body",
        Rule::MaxLength(4096),
    );
    only(
        &with(&text(), "/text/body", json!("")),
        "messages[0].text.body",
        Rule::NotEmpty,
    );
    only(
        &without(&text(), "/text/body"),
        "messages[0].text.body",
        Rule::Required,
    );
}

#[test]
fn text_length_counts_characters_not_bytes() {
    ok(&with(&text(), "/text/body", json!("é".repeat(4096))));
}

#[test]
fn preview_url_beside_or_inside_text_renders_inside() {
    let outer = with(&text(), "/previewUrl", json!(true));
    assert_eq!(
        rendered(&outer),
        json!({"preview_url": true, "body": "hello"})
    );
    let snake_outer = with(&text(), "/preview_url", json!(false));
    assert_eq!(
        rendered(&snake_outer),
        json!({"preview_url": false, "body": "hello"})
    );
    let inner = with(&outer, "/text/preview_url", json!(false));
    assert_eq!(
        rendered(&inner),
        json!({"preview_url": false, "body": "hello"})
    );
    let camel_inner = with(&text(), "/text/previewUrl", json!(true));
    assert_eq!(
        rendered(&camel_inner),
        json!({"preview_url": true, "body": "hello"})
    );
    assert_eq!(rendered(&text()), json!({"body": "hello"}));
}

// --- media ------------------------------------------------------------------

fn image() -> serde_json::Value {
    json!({"type": "image", "image": {"id": "1192798951408501", "caption": "hi"}})
}

#[test]
fn media_needs_exactly_one_of_id_and_link() {
    let both = with(&image(), "/image/link", json!("https://example.com/a.jpg"));
    only(
        &both,
        "messages[0].image",
        Rule::ExactlyOneOf(&["id", "link"]),
    );
    let neither = without(&image(), "/image/id");
    only(
        &neither,
        "messages[0].image",
        Rule::ExactlyOneOf(&["id", "link"]),
    );
    only(
        &with(&image(), "/image/id", json!(" ")),
        "messages[0].image.id",
        Rule::NotEmpty,
    );
}

#[test]
fn media_links_must_be_http_or_https() {
    for kind in ["image", "audio", "video", "document", "sticker"] {
        let message = json!({"type": kind, (kind): {"link": "ftp://example.com/file"}});
        only(
            &message,
            &format!("messages[0].{kind}.link"),
            Rule::Format("an http:// or https:// URL"),
        );
        ok(&json!({"type": kind, (kind): {"link": "http://example.com/file"}}));
    }
}

#[test]
fn media_caption_is_at_most_1024_characters() {
    for kind in ["image", "video", "document"] {
        ok(&json!({"type": kind, (kind): {"id": "1", "caption": chars(1024)}}));
        only(
            &json!({"type": kind, (kind): {"id": "1", "caption": chars(1025)}}),
            &format!("messages[0].{kind}.caption"),
            Rule::MaxLength(1024),
        );
    }
}

#[test]
fn caption_filename_and_voice_only_where_they_belong() {
    only(
        &json!({"type": "sticker", "sticker": {"id": "1", "caption": "no"}}),
        "messages[0].sticker.caption",
        Rule::NotAllowed("for a sticker"),
    );
    only(
        &json!({"type": "audio", "audio": {"id": "1", "caption": "no"}}),
        "messages[0].audio.caption",
        Rule::NotAllowed("for audio"),
    );
    only(
        &json!({"type": "video", "video": {"id": "1", "filename": "a.mp4"}}),
        "messages[0].video.filename",
        Rule::NotAllowed("for a video"),
    );
    only(
        &json!({"type": "image", "image": {"id": "1", "voice": true}}),
        "messages[0].image.voice",
        Rule::NotAllowed("for an image"),
    );
    assert_eq!(
        rendered(
            &json!({"type": "audio", "audio": {"link": "https://example.com/a.ogg", "voice": true}})
        ),
        json!({"link": "https://example.com/a.ogg", "voice": true})
    );
}

// --- location ---------------------------------------------------------------

fn location() -> serde_json::Value {
    json!({"type": "location", "location": {"latitude": 59.3, "longitude": 18.07}})
}

#[test]
fn latitude_is_between_minus_90_and_90() {
    ok(&with(&location(), "/location/latitude", json!(90)));
    ok(&with(&location(), "/location/latitude", json!(-90)));
    let range = Rule::Range { min: -90, max: 90 };
    only(
        &with(&location(), "/location/latitude", json!(90.0001)),
        "messages[0].location.latitude",
        range.clone(),
    );
    only(
        &with(&location(), "/location/latitude", json!(-90.5)),
        "messages[0].location.latitude",
        range,
    );
}

#[test]
fn longitude_is_between_minus_180_and_180() {
    ok(&with(&location(), "/location/longitude", json!(180)));
    ok(&with(&location(), "/location/longitude", json!(-180)));
    let range = Rule::Range {
        min: -180,
        max: 180,
    };
    only(
        &with(&location(), "/location/longitude", json!(180.5)),
        "messages[0].location.longitude",
        range.clone(),
    );
    only(
        &with(&location(), "/location/longitude", json!(-181)),
        "messages[0].location.longitude",
        range,
    );
}

#[test]
fn coordinates_are_required_numbers_or_numeric_strings() {
    only(
        &without(&location(), "/location/latitude"),
        "messages[0].location.latitude",
        Rule::Required,
    );
    only(
        &without(&location(), "/location/longitude"),
        "messages[0].location.longitude",
        Rule::Required,
    );
    only(
        &with(&location(), "/location/latitude", json!("north")),
        "messages[0].location.latitude",
        Rule::Format("a number"),
    );
    let strings = with(&location(), "/location/latitude", json!("59.5"));
    assert_eq!(
        rendered(&strings),
        json!({"latitude": 59.5, "longitude": 18.07})
    );
}

// --- contacts ---------------------------------------------------------------

fn contacts() -> serde_json::Value {
    json!({"type": "contacts", "contacts": [{"name": {"formattedName": "John Smith", "firstName": "John"}}]})
}

#[test]
fn contacts_list_is_not_empty() {
    only(
        &with(&contacts(), "/contacts", json!([])),
        "messages[0].contacts",
        Rule::NotEmpty,
    );
}

#[test]
fn a_contact_needs_a_formatted_name_and_one_more_name_part() {
    only(
        &without(&contacts(), "/contacts/0/name"),
        "messages[0].contacts[0].name",
        Rule::Required,
    );
    only(
        &without(&contacts(), "/contacts/0/name/formattedName"),
        "messages[0].contacts[0].name.formattedName",
        Rule::Required,
    );
    only(
        &without(&contacts(), "/contacts/0/name/firstName"),
        "messages[0].contacts[0].name",
        Rule::AtLeastOneOf(&["firstName", "lastName", "middleName", "suffix", "prefix"]),
    );
    for part in ["lastName", "middleName", "suffix", "prefix"] {
        let message = with(
            &without(&contacts(), "/contacts/0/name/firstName"),
            &format!("/contacts/0/name/{part}"),
            json!("x"),
        );
        ok(&message);
    }
}

#[test]
fn contact_birthday_is_a_date() {
    ok(&with(
        &contacts(),
        "/contacts/0/birthday",
        json!("2012-08-18"),
    ));
    has(
        &with(&contacts(), "/contacts/0/birthday", json!("18/08/2012")),
        "messages[0].contacts[0].birthday",
        Rule::Format("a date as YYYY-MM-DD"),
    );
    has(
        &with(&contacts(), "/contacts/0/birthday", json!("2012-13-18")),
        "messages[0].contacts[0].birthday",
        Rule::Format("a date as YYYY-MM-DD"),
    );
}

#[test]
fn contacts_accept_camel_and_snake_case_and_render_snake_case() {
    let camel = json!({"type": "contacts", "contacts": [{
        "name": {"formattedName": "A B", "firstName": "A", "lastName": "B", "middleName": "M"},
        "addresses": [{"countryCode": "se"}],
        "phones": [{"phone": "+46 70", "waId": "4670"}]}]});
    let snake = json!({"type": "contacts", "contacts": [{
        "name": {"formatted_name": "A B", "first_name": "A", "last_name": "B", "middle_name": "M"},
        "addresses": [{"country_code": "se"}],
        "phones": [{"phone": "+46 70", "wa_id": "4670"}]}]});
    let expected = json!([{
        "name": {"formatted_name": "A B", "first_name": "A", "last_name": "B", "middle_name": "M"},
        "addresses": [{"country_code": "se"}],
        "phones": [{"phone": "+46 70", "wa_id": "4670"}]}]);
    assert_eq!(rendered(&camel), expected);
    assert_eq!(rendered(&snake), expected);
}
