//! Rules of interactive messages (LINK v1.9.4 interactive tables, Meta's
//! limits where LINK is silent), each at its boundary with the exact path.

mod common;

use common::{chars, has, ok, only, rendered, validate, with, without};
use serde_json::{Value, json};
use wagate_domain::violation::{Rule, ViolationKind};

const I: &str = "messages[0].interactive";

fn path(rest: &str) -> String {
    format!("{I}.{rest}")
}

fn button_message() -> Value {
    json!({"type": "interactive", "interactive": {
        "type": "button",
        "body": {"text": "pick one"},
        "action": {"buttons": [
            {"type": "reply", "reply": {"id": "a", "title": "Yes"}},
            {"type": "reply", "reply": {"id": "b", "title": "No"}}]}}})
}

fn row(id: &str) -> Value {
    json!({"id": id, "title": "t"})
}

fn list_message() -> Value {
    json!({"type": "interactive", "interactive": {
        "type": "list",
        "body": {"text": "choose"},
        "action": {"button": "Menu", "sections": [{"title": "S", "rows": [row("r0")]}]}}})
}

fn product_list_message() -> Value {
    json!({"type": "interactive", "interactive": {
        "type": "product_list",
        "header": {"type": "text", "text": "Our products"},
        "body": {"text": "look"},
        "action": {"catalog_id": "1", "sections": [{"title": "S", "product_items": [{"product_retailer_id": "p0"}]}]}}})
}

fn product_message() -> Value {
    json!({"type": "interactive", "interactive": {
        "type": "product", "action": {"catalog_id": "1", "product_retailer_id": "SKU"}}})
}

fn flow_message() -> Value {
    json!({"type": "interactive", "interactive": {
        "type": "flow", "body": {"text": "b"},
        "action": {"name": "flow", "parameters": {"flow_message_version": "3", "flow_id": "F", "flow_cta": "Book"}}}})
}

fn cta_message() -> Value {
    json!({"type": "interactive", "interactive": {
        "type": "cta_url", "body": {"text": "b"},
        "action": {"name": "cta_url", "parameters": {"display_text": "Go", "url": "https://example.com"}}}})
}

fn media_card(index: usize, kind: &str) -> Value {
    json!({"card_index": index, "type": "cta_url",
        "header": {"type": kind, (kind): {"link": format!("https://example.com/{index}")}},
        "body": {"text": "deal"},
        "action": {"name": "cta_url", "parameters": {"display_text": "Shop", "url": "https://shop.example.com"}}})
}

fn product_card(index: usize) -> Value {
    json!({"card_index": index, "type": "product", "action": {"product_retailer_id": format!("p{index}"), "catalog_id": "c"}})
}

fn carousel(cards: Vec<Value>) -> Value {
    json!({"type": "interactive", "interactive": {"type": "carousel", "body": {"text": "b"}, "action": {"cards": cards}}})
}

fn simple(kind: &str, name: &str) -> Value {
    json!({"type": "interactive", "interactive": {"type": kind, "body": {"text": "b"}, "action": {"name": name}}})
}

fn all_types() -> Vec<Value> {
    vec![
        button_message(),
        list_message(),
        product_message(),
        product_list_message(),
        json!({"type": "interactive", "interactive": {"type": "catalog_message", "body": {"text": "b"}, "action": {"name": "catalog_message"}}}),
        carousel(vec![product_card(0), product_card(1)]),
        flow_message(),
        cta_message(),
        simple("location_request_message", "send_location"),
        simple("contact_request", "request_contact_info"),
    ]
}

// --- type, body, footer, header ----------------------------------------------

#[test]
fn every_base_message_is_valid() {
    for message in all_types() {
        ok(&message);
    }
}

#[test]
fn interactive_type_is_required_and_known_and_table_spellings_work() {
    only(
        &without(&button_message(), "/interactive/type"),
        &path("type"),
        Rule::Required,
    );
    has(
        &with(&button_message(), "/interactive/type", json!("poll")),
        &path("type"),
        Rule::OneOf(&[
            "button",
            "list",
            "product",
            "product_list",
            "catalog_message",
            "carousel",
            "flow",
            "cta_url",
            "location_request_message",
            "contact_request",
        ]),
    );
    let spelled = with(
        &product_list_message(),
        "/interactive/type",
        json!("product list"),
    );
    assert_eq!(rendered(&spelled)["type"], "product_list");
    let media = with(
        &carousel(vec![media_card(0, "image"), media_card(1, "image")]),
        "/interactive/type",
        json!("media carousel"),
    );
    assert_eq!(rendered(&media)["type"], "carousel");
}

#[test]
fn body_is_required_except_for_product_and_product_list() {
    for message in all_types() {
        let kind = message["interactive"]["type"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let bodyless = match message["interactive"].get("body") {
            Some(_) => without(&message, "/interactive/body"),
            None => message.clone(),
        };
        if kind == "product" || kind == "product_list" {
            ok(&bodyless);
        } else {
            only(&bodyless, &path("body"), Rule::Required);
        }
    }
}

#[test]
fn body_text_is_at_most_1024_characters() {
    ok(&with(
        &button_message(),
        "/interactive/body/text",
        chars(1024),
    ));
    only(
        &with(&button_message(), "/interactive/body/text", chars(1025)),
        &path("body.text"),
        Rule::MaxLength(1024),
    );
    only(
        &with(&button_message(), "/interactive/body/text", json!("")),
        &path("body.text"),
        Rule::NotEmpty,
    );
}

#[test]
fn footer_text_is_at_most_60_characters() {
    ok(&with(
        &button_message(),
        "/interactive/footer",
        json!({"text": chars(60)}),
    ));
    only(
        &with(
            &button_message(),
            "/interactive/footer",
            json!({"text": chars(61)}),
        ),
        &path("footer.text"),
        Rule::MaxLength(60),
    );
    only(
        &with(&button_message(), "/interactive/footer", json!({})),
        &path("footer.text"),
        Rule::Required,
    );
}

#[test]
fn header_text_is_at_most_60_characters() {
    ok(&with(
        &button_message(),
        "/interactive/header",
        json!({"type": "text", "text": chars(60)}),
    ));
    only(
        &with(
            &button_message(),
            "/interactive/header",
            json!({"type": "text", "text": chars(61)}),
        ),
        &path("header.text"),
        Rule::MaxLength(60),
    );
}

#[test]
fn list_headers_are_text_only_button_headers_may_be_media() {
    let image = json!({"type": "image", "image": {"id": "1"}});
    only(
        &with(&list_message(), "/interactive/header", image.clone()),
        &path("header.type"),
        Rule::OneOf(&["text"]),
    );
    ok(&with(&button_message(), "/interactive/header", image));
    let document = json!({"type": "document", "document": {"link": "https://example.com/a.pdf", "filename": "a.pdf"}});
    assert_eq!(
        rendered(&with(
            &button_message(),
            "/interactive/header",
            document.clone()
        ))["header"],
        document
    );
}

#[test]
fn header_needs_the_object_of_its_type_and_no_other() {
    only(
        &with(
            &button_message(),
            "/interactive/header",
            json!({"type": "video"}),
        ),
        &path("header.video"),
        Rule::Required,
    );
    only(
        &with(
            &button_message(),
            "/interactive/header",
            json!({"type": "text", "text": "t", "image": {"id": "1"}}),
        ),
        &path("header.image"),
        Rule::NotAllowed("for this header type"),
    );
    only(
        &with(
            &button_message(),
            "/interactive/header",
            json!({"type": "image", "image": {"link": "www.example.com"}}),
        ),
        &path("header.image.link"),
        Rule::Format("an http:// or https:// URL"),
    );
}

#[test]
fn product_list_requires_a_text_header_and_product_takes_none() {
    only(
        &without(&product_list_message(), "/interactive/header"),
        &path("header"),
        Rule::Required,
    );
    only(
        &with(
            &product_message(),
            "/interactive/header",
            json!({"type": "text", "text": "x"}),
        ),
        &path("header"),
        Rule::NotAllowed("when interactive.type is product"),
    );
}

// --- reply buttons -----------------------------------------------------------

fn buttons(n: usize) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|i| json!({"type": "reply", "reply": {"id": format!("id{i}"), "title": format!("t{i}")}}))
        .collect();
    with(
        &button_message(),
        "/interactive/action/buttons",
        Value::Array(list),
    )
}

#[test]
fn a_button_message_has_1_to_3_buttons() {
    ok(&buttons(1));
    ok(&buttons(3));
    only(&buttons(0), &path("action.buttons"), Rule::NotEmpty);
    only(&buttons(4), &path("action.buttons"), Rule::MaxItems(3));
    only(
        &without(&button_message(), "/interactive/action/buttons"),
        &path("action.buttons"),
        Rule::Required,
    );
}

#[test]
fn reply_id_is_1_to_256_characters() {
    ok(&with(
        &button_message(),
        "/interactive/action/buttons/0/reply/id",
        chars(256),
    ));
    only(
        &with(
            &button_message(),
            "/interactive/action/buttons/0/reply/id",
            chars(257),
        ),
        &path("action.buttons[0].reply.id"),
        Rule::MaxLength(256),
    );
    only(
        &with(
            &button_message(),
            "/interactive/action/buttons/0/reply/id",
            json!(""),
        ),
        &path("action.buttons[0].reply.id"),
        Rule::NotEmpty,
    );
}

#[test]
fn reply_title_is_1_to_20_characters() {
    ok(&with(
        &button_message(),
        "/interactive/action/buttons/1/reply/title",
        chars(20),
    ));
    only(
        &with(
            &button_message(),
            "/interactive/action/buttons/1/reply/title",
            chars(21),
        ),
        &path("action.buttons[1].reply.title"),
        Rule::MaxLength(20),
    );
    only(
        &without(
            &button_message(),
            "/interactive/action/buttons/1/reply/title",
        ),
        &path("action.buttons[1].reply.title"),
        Rule::Required,
    );
}

#[test]
fn reply_titles_and_ids_are_unique_semantically() {
    let same_title = with(
        &button_message(),
        "/interactive/action/buttons/1/reply/title",
        json!("Yes"),
    );
    only(
        &same_title,
        &path("action.buttons[1].reply.title"),
        Rule::Duplicate {
            first: path("action.buttons[0].reply.title"),
        },
    );
    let violations = validate(&same_title).expect_err("duplicate");
    assert_eq!(violations[0].kind(), ViolationKind::Semantic);
    let same_id = with(
        &button_message(),
        "/interactive/action/buttons/1/reply/id",
        json!("a"),
    );
    only(
        &same_id,
        &path("action.buttons[1].reply.id"),
        Rule::Duplicate {
            first: path("action.buttons[0].reply.id"),
        },
    );
}

#[test]
fn reply_button_type_is_reply() {
    only(
        &with(
            &button_message(),
            "/interactive/action/buttons/0/type",
            json!("url"),
        ),
        &path("action.buttons[0].type"),
        Rule::OneOf(&["reply"]),
    );
}

#[test]
fn action_fields_of_other_types_are_not_allowed() {
    only(
        &with(&button_message(), "/interactive/action/sections", json!([])),
        &path("action.sections"),
        Rule::NotAllowed("when interactive.type is button"),
    );
    only(
        &with(&list_message(), "/interactive/action/name", json!("flow")),
        &path("action.name"),
        Rule::NotAllowed("when interactive.type is list"),
    );
}

// --- list --------------------------------------------------------------------

fn sections(rows_per_section: &[usize]) -> Value {
    let mut next = 0;
    let list: Vec<Value> = rows_per_section
        .iter()
        .map(|rows| {
            let rows: Vec<Value> = (0..*rows)
                .map(|_| {
                    next += 1;
                    row(&format!("r{next}"))
                })
                .collect();
            json!({"title": "S", "rows": rows})
        })
        .collect();
    with(
        &list_message(),
        "/interactive/action/sections",
        Value::Array(list),
    )
}

#[test]
fn list_button_is_1_to_20_characters() {
    ok(&with(
        &list_message(),
        "/interactive/action/button",
        chars(20),
    ));
    only(
        &with(&list_message(), "/interactive/action/button", chars(21)),
        &path("action.button"),
        Rule::MaxLength(20),
    );
    only(
        &with(&list_message(), "/interactive/action/button", json!("")),
        &path("action.button"),
        Rule::NotEmpty,
    );
    only(
        &without(&list_message(), "/interactive/action/button"),
        &path("action.button"),
        Rule::Required,
    );
}

#[test]
fn a_list_has_1_to_10_sections() {
    ok(&sections(&[1; 10]));
    only(&sections(&[]), &path("action.sections"), Rule::NotEmpty);
    has(
        &sections(&[0; 11]),
        &path("action.sections"),
        Rule::MaxItems(10),
    );
}

#[test]
fn a_list_has_at_most_10_rows_in_total() {
    ok(&sections(&[4, 6]));
    only(
        &sections(&[4, 7]),
        &path("action.sections[1].rows[6]"),
        Rule::MaxTotal {
            max: 10,
            items: "rows across all sections",
        },
    );
    only(
        &sections(&[1, 0]),
        &path("action.sections[1].rows"),
        Rule::NotEmpty,
    );
}

#[test]
fn section_title_is_required_and_at_most_24_characters() {
    ok(&with(
        &list_message(),
        "/interactive/action/sections/0/title",
        chars(24),
    ));
    only(
        &with(
            &list_message(),
            "/interactive/action/sections/0/title",
            chars(25),
        ),
        &path("action.sections[0].title"),
        Rule::MaxLength(24),
    );
    only(
        &without(&list_message(), "/interactive/action/sections/0/title"),
        &path("action.sections[0].title"),
        Rule::Required,
    );
}

#[test]
fn row_limits() {
    let at = |field: &str, value: Value| {
        with(
            &list_message(),
            &format!("/interactive/action/sections/0/rows/0/{field}"),
            value,
        )
    };
    ok(&at("id", chars(200)));
    ok(&at("title", chars(24)));
    ok(&at("description", chars(72)));
    only(
        &at("id", chars(201)),
        &path("action.sections[0].rows[0].id"),
        Rule::MaxLength(200),
    );
    only(
        &at("title", chars(25)),
        &path("action.sections[0].rows[0].title"),
        Rule::MaxLength(24),
    );
    only(
        &at("description", chars(73)),
        &path("action.sections[0].rows[0].description"),
        Rule::MaxLength(72),
    );
}

#[test]
fn row_ids_are_unique_across_sections() {
    let message = with(
        &sections(&[1, 1]),
        "/interactive/action/sections/1/rows/0/id",
        json!("r1"),
    );
    only(
        &message,
        &path("action.sections[1].rows[0].id"),
        Rule::Duplicate {
            first: path("action.sections[0].rows[0].id"),
        },
    );
}

// --- product and product_list -----------------------------------------------

fn product_sections(items_per_section: &[usize]) -> Value {
    let list: Vec<Value> = items_per_section
        .iter()
        .map(|n| {
            let items: Vec<Value> = (0..*n)
                .map(|i| json!({"product_retailer_id": format!("p{i}")}))
                .collect();
            json!({"title": "S", "product_items": items})
        })
        .collect();
    with(
        &product_list_message(),
        "/interactive/action/sections",
        Value::Array(list),
    )
}

#[test]
fn product_items_at_least_1_per_section_and_30_in_total() {
    ok(&product_sections(&[10, 20]));
    only(
        &product_sections(&[1, 0]),
        &path("action.sections[1].product_items"),
        Rule::NotEmpty,
    );
    only(
        &product_sections(&[10, 21]),
        &path("action.sections[1].product_items[20]"),
        Rule::MaxTotal {
            max: 30,
            items: "product items across all sections",
        },
    );
    only(
        &without(
            &product_list_message(),
            "/interactive/action/sections/0/product_items/0/product_retailer_id",
        ),
        &path("action.sections[0].product_items[0].product_retailer_id"),
        Rule::Required,
    );
}

#[test]
fn product_list_needs_a_catalog_and_no_rows() {
    only(
        &without(&product_list_message(), "/interactive/action/catalog_id"),
        &path("action.catalog_id"),
        Rule::Required,
    );
    only(
        &with(
            &product_list_message(),
            "/interactive/action/sections/0/rows",
            json!([]),
        ),
        &path("action.sections[0].rows"),
        Rule::NotAllowed("in a multi-product message"),
    );
}

#[test]
fn product_needs_catalog_id_and_product_retailer_id() {
    only(
        &without(&product_message(), "/interactive/action/catalog_id"),
        &path("action.catalog_id"),
        Rule::Required,
    );
    only(
        &without(
            &product_message(),
            "/interactive/action/product_retailer_id",
        ),
        &path("action.product_retailer_id"),
        Rule::Required,
    );
}

// --- carousel ----------------------------------------------------------------

#[test]
fn a_carousel_has_2_to_10_cards() {
    ok(&carousel((0..10).map(product_card).collect()));
    only(
        &carousel(vec![product_card(0)]),
        &path("action.cards"),
        Rule::MinItems(2),
    );
    has(
        &carousel((0..11).map(product_card).collect()),
        &path("action.cards"),
        Rule::MaxItems(10),
    );
}

#[test]
fn card_index_is_0_to_9_and_unique() {
    let cards = vec![
        product_card(0),
        with(&product_card(1), "/card_index", json!(10)),
    ];
    only(
        &carousel(cards),
        &path("action.cards[1].card_index"),
        Rule::Range { min: 0, max: 9 },
    );
    let cards = vec![
        product_card(0),
        with(&product_card(1), "/card_index", json!("0")),
    ];
    only(
        &carousel(cards),
        &path("action.cards[1].card_index"),
        Rule::Duplicate {
            first: path("action.cards[0].card_index"),
        },
    );
    let cards = vec![
        product_card(0),
        with(&product_card(1), "/card_index", json!("9")),
    ];
    ok(&carousel(cards));
}

#[test]
fn product_cards_need_product_retailer_id_and_catalog_id() {
    let cards = vec![
        product_card(0),
        without(&product_card(1), "/action/catalog_id"),
    ];
    only(
        &carousel(cards),
        &path("action.cards[1].action.catalog_id"),
        Rule::Required,
    );
    let cards = vec![
        without(&product_card(0), "/action/product_retailer_id"),
        product_card(1),
    ];
    only(
        &carousel(cards),
        &path("action.cards[0].action.product_retailer_id"),
        Rule::Required,
    );
}

#[test]
fn all_cards_have_one_type() {
    only(
        &carousel(vec![product_card(0), media_card(1, "image")]),
        &path("action.cards[1].type"),
        Rule::SameAs {
            first: path("action.cards[0].type"),
        },
    );
}

#[test]
fn media_cards_have_image_or_video_headers_all_alike() {
    ok(&carousel(vec![
        media_card(0, "video"),
        media_card(1, "video"),
    ]));
    only(
        &carousel(vec![media_card(0, "image"), media_card(1, "video")]),
        &path("action.cards[1].header.type"),
        Rule::SameAs {
            first: path("action.cards[0].header.type"),
        },
    );
    let text_header = with(
        &media_card(1, "image"),
        "/header",
        json!({"type": "text", "text": "t"}),
    );
    only(
        &carousel(vec![media_card(0, "image"), text_header]),
        &path("action.cards[1].header.type"),
        Rule::OneOf(&["image", "video"]),
    );
    let no_media = with(&media_card(0, "image"), "/header", json!({"type": "image"}));
    only(
        &carousel(vec![no_media, media_card(1, "image")]),
        &path("action.cards[0].header.image"),
        Rule::Required,
    );
    let no_header = without(&media_card(0, "image"), "/header");
    only(
        &carousel(vec![no_header, media_card(1, "image")]),
        &path("action.cards[0].header"),
        Rule::Required,
    );
}

#[test]
fn media_card_body_is_at_most_160_characters_and_2_line_breaks() {
    let body = |text: Value| {
        carousel(vec![
            with(&media_card(0, "image"), "/body/text", text),
            media_card(1, "image"),
        ])
    };
    ok(&body(chars(160)));
    ok(&body(json!("a\nb\nc")));
    only(
        &body(chars(161)),
        &path("action.cards[0].body.text"),
        Rule::MaxLength(160),
    );
    only(
        &body(json!("a\nb\nc\nd")),
        &path("action.cards[0].body.text"),
        Rule::MaxLineBreaks(2),
    );
}

#[test]
fn media_card_action_is_a_cta_url() {
    let card = |pointer: &str, value: Value| {
        carousel(vec![
            with(&media_card(0, "image"), pointer, value),
            media_card(1, "image"),
        ])
    };
    only(
        &card("/action/name", json!("flow")),
        &path("action.cards[0].action.name"),
        Rule::OneOf(&["cta_url"]),
    );
    ok(&card("/action/parameters/display_text", chars(20)));
    only(
        &card("/action/parameters/display_text", chars(21)),
        &path("action.cards[0].action.parameters.display_text"),
        Rule::MaxLength(20),
    );
    only(
        &card("/action/parameters/url", json!("shop.example.com")),
        &path("action.cards[0].action.parameters.url"),
        Rule::Format("an http:// or https:// URL"),
    );
}

// --- flow --------------------------------------------------------------------

fn flow_with(field: &str, value: Value) -> Value {
    with(
        &flow_message(),
        &format!("/interactive/action/parameters/{field}"),
        value,
    )
}

#[test]
fn flow_action_name_is_flow() {
    only(
        &with(
            &flow_message(),
            "/interactive/action/name",
            json!("cta_url"),
        ),
        &path("action.name"),
        Rule::OneOf(&["flow"]),
    );
    only(
        &without(&flow_message(), "/interactive/action/name"),
        &path("action.name"),
        Rule::Required,
    );
}

#[test]
fn flow_message_version_is_3() {
    ok(&flow_with("flow_message_version", json!(3)));
    only(
        &flow_with("flow_message_version", json!("2")),
        &path("action.parameters.flow_message_version"),
        Rule::OneOf(&["3"]),
    );
    only(
        &without(
            &flow_message(),
            "/interactive/action/parameters/flow_message_version",
        ),
        &path("action.parameters.flow_message_version"),
        Rule::Required,
    );
}

#[test]
fn flow_id_and_cta_are_required_and_cta_at_most_20() {
    only(
        &without(&flow_message(), "/interactive/action/parameters/flow_id"),
        &path("action.parameters.flow_id"),
        Rule::Required,
    );
    only(
        &without(&flow_message(), "/interactive/action/parameters/flow_cta"),
        &path("action.parameters.flow_cta"),
        Rule::Required,
    );
    ok(&flow_with("flow_cta", chars(20)));
    only(
        &flow_with("flow_cta", chars(21)),
        &path("action.parameters.flow_cta"),
        Rule::MaxLength(20),
    );
    only(
        &without(&flow_message(), "/interactive/action/parameters"),
        &path("action.parameters"),
        Rule::Required,
    );
}

#[test]
fn flow_mode_and_action_are_keywords() {
    ok(&flow_with("mode", json!("draft")));
    only(
        &flow_with("mode", json!("beta")),
        &path("action.parameters.mode"),
        Rule::OneOf(&["draft", "published"]),
    );
    ok(&flow_with("flow_action", json!("data_exchange")));
    only(
        &flow_with("flow_action", json!("jump")),
        &path("action.parameters.flow_action"),
        Rule::OneOf(&["navigate", "data_exchange"]),
    );
}

#[test]
fn flow_action_payload_data_is_a_non_empty_object_and_only_with_navigate() {
    ok(&flow_with(
        "flow_action_payload",
        json!({"screen": "S", "data": {"k": 1}}),
    ));
    only(
        &flow_with("flow_action_payload", json!({"screen": "S", "data": {}})),
        &path("action.parameters.flow_action_payload.data"),
        Rule::NotEmpty,
    );
    only(
        &flow_with("flow_action_payload", json!({"data": [1]})),
        &path("action.parameters.flow_action_payload.data"),
        Rule::Format("a non-empty JSON object"),
    );
    let exchange = with(
        &flow_with("flow_action", json!("data_exchange")),
        "/interactive/action/parameters/flow_action_payload",
        json!({"screen": "S"}),
    );
    only(
        &exchange,
        &path("action.parameters.flow_action_payload"),
        Rule::NotAllowed("when flow_action is data_exchange"),
    );
}

#[test]
fn flow_parameters_of_other_types_are_not_allowed() {
    only(
        &flow_with("display_text", json!("x")),
        &path("action.parameters.display_text"),
        Rule::NotAllowed("in a flow message"),
    );
}

// --- cta_url, catalog, location and contact requests ---------------------------

#[test]
fn cta_url_needs_name_display_text_and_http_url() {
    only(
        &without(&cta_message(), "/interactive/action/name"),
        &path("action.name"),
        Rule::Required,
    );
    let at = |field: &str, value: Value| {
        with(
            &cta_message(),
            &format!("/interactive/action/parameters/{field}"),
            value,
        )
    };
    ok(&at("display_text", chars(20)));
    only(
        &at("display_text", chars(21)),
        &path("action.parameters.display_text"),
        Rule::MaxLength(20),
    );
    only(
        &without(
            &cta_message(),
            "/interactive/action/parameters/display_text",
        ),
        &path("action.parameters.display_text"),
        Rule::Required,
    );
    only(
        &without(&cta_message(), "/interactive/action/parameters/url"),
        &path("action.parameters.url"),
        Rule::Required,
    );
    only(
        &at("url", json!("mailto:a@b.c")),
        &path("action.parameters.url"),
        Rule::Format("an http:// or https:// URL"),
    );
}

#[test]
fn catalog_message_name_may_be_left_out_and_is_rendered() {
    let message = json!({"type": "interactive", "interactive": {"type": "catalog_message", "body": {"text": "b"}, "action": {}}});
    assert_eq!(
        rendered(&message)["action"],
        json!({"name": "catalog_message"})
    );
    only(
        &with(&message, "/interactive/action/name", json!("catalog")),
        &path("action.name"),
        Rule::OneOf(&["catalog_message"]),
    );
}

#[test]
fn location_and_contact_requests_need_their_action_names() {
    only(
        &simple("location_request_message", "location"),
        &path("action.name"),
        Rule::OneOf(&["send_location"]),
    );
    only(
        &simple("contact_request", "send_location"),
        &path("action.name"),
        Rule::OneOf(&["request_contact_info"]),
    );
    only(
        &without(&simple("contact_request", "x"), "/interactive/action/name"),
        &path("action.name"),
        Rule::Required,
    );
    only(
        &without(
            &simple("location_request_message", "x"),
            "/interactive/action",
        ),
        &path("action"),
        Rule::Required,
    );
}
