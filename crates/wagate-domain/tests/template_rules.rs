//! Rules of template messages (LINK Template, Component, Parameter,
//! Currency and DateTime tables; Meta where LINK is silent), each at its
//! boundary with the exact path, and the Cloud shapes they render to.

mod common;

use common::{chars, has, ok, only, rendered, with, without};
use serde_json::{Value, json};
use wagate_domain::violation::Rule;

const C: &str = "messages[0].template.components";

fn path(rest: &str) -> String {
    format!("{C}{rest}")
}

fn template(components: Value) -> Value {
    json!({"type": "template", "template": {"name": "t", "language": {"code": "en"}, "components": components}})
}

fn body(parameters: Value) -> Value {
    template(json!([{"type": "body", "parameters": parameters}]))
}

fn button(sub_type: &str, index: Value, parameter: Value) -> Value {
    template(
        json!([{"type": "button", "sub_type": sub_type, "index": index, "parameters": [parameter]}]),
    )
}

fn payload() -> Value {
    json!({"type": "payload", "payload": "P"})
}

// --- template, language, layout ------------------------------------------------

#[test]
fn name_and_language_code_are_required() {
    let base = body(json!([{"type": "text", "text": "x"}]));
    only(
        &without(&base, "/template/name"),
        "messages[0].template.name",
        Rule::Required,
    );
    only(
        &with(&base, "/template/name", json!("")),
        "messages[0].template.name",
        Rule::NotEmpty,
    );
    ok(&with(&base, "/template/name", chars(512)));
    only(
        &with(&base, "/template/name", chars(513)),
        "messages[0].template.name",
        Rule::MaxLength(512),
    );
    only(
        &without(&base, "/template/language"),
        "messages[0].template.language",
        Rule::Required,
    );
    only(
        &without(&base, "/template/language/code"),
        "messages[0].template.language.code",
        Rule::Required,
    );
}

#[test]
fn components_may_be_absent_or_empty_and_are_then_left_out() {
    let bare = json!({"type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}});
    assert_eq!(
        rendered(&bare),
        json!({"name": "hello_world", "language": {"code": "en_US"}})
    );
    assert_eq!(
        rendered(&template(json!([]))),
        json!({"name": "t", "language": {"code": "en"}})
    );
}

#[test]
fn legacy_layout_is_rendered_in_the_modern_shape_and_reports_its_own_paths() {
    let legacy = json!({"type": "template",
        "template": {"namespace": "ns", "name": "t", "language": {"code": "en"}},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "x"}]}]});
    assert_eq!(
        rendered(&legacy),
        json!({"name": "t", "language": {"code": "en"}, "components": [{"type": "body", "parameters": [{"type": "text", "text": "x"}]}]})
    );
    only(
        &with(&legacy, "/components/0/parameters/0/text", json!("")),
        "messages[0].components[0].parameters[0].text",
        Rule::NotEmpty,
    );
}

#[test]
fn components_in_both_places_are_refused() {
    let both = with(
        &body(json!([{"type": "text", "text": "x"}])),
        "/components",
        json!([]),
    );
    only(
        &both,
        "messages[0].components",
        Rule::NotAllowed("beside template when template.components is present"),
    );
}

#[test]
fn component_type_is_required_and_known() {
    only(
        &template(json!([{"parameters": []}])),
        &path("[0].type"),
        Rule::Required,
    );
    only(
        &template(json!([{"type": "footer", "parameters": []}])),
        &path("[0].type"),
        Rule::OneOf(&["header", "body", "button", "carousel", "limited_time_offer"]),
    );
}

#[test]
fn parameters_are_required_and_not_empty() {
    only(
        &template(json!([{"type": "body"}])),
        &path("[0].parameters"),
        Rule::Required,
    );
    only(&body(json!([])), &path("[0].parameters"), Rule::NotEmpty);
}

// --- buttons -------------------------------------------------------------------

#[test]
fn button_needs_sub_type_and_index() {
    let base = button("quick_reply", json!(0), payload());
    only(
        &without(&base, "/template/components/0/sub_type"),
        &path("[0].subType"),
        Rule::Required,
    );
    only(
        &without(&base, "/template/components/0/index"),
        &path("[0].index"),
        Rule::Required,
    );
}

#[test]
fn button_index_is_0_to_9_as_number_or_string_and_renders_as_string() {
    assert_eq!(
        rendered(&button("quick_reply", json!(9), payload()))["components"][0]["index"],
        "9"
    );
    assert_eq!(
        rendered(&button("quick_reply", json!("0"), payload()))["components"][0]["index"],
        "0"
    );
    only(
        &button("quick_reply", json!(10), payload()),
        &path("[0].index"),
        Rule::Range { min: 0, max: 9 },
    );
    only(
        &button("quick_reply", json!("first"), payload()),
        &path("[0].index"),
        Rule::Format("an integer"),
    );
}

#[test]
fn sub_type_spellings_normalise() {
    for spelling in ["quickReply", "quick_reply", "QUICK_REPLY"] {
        let message = template(
            json!([{"type": "button", "subType": spelling, "index": 0, "parameters": [payload()]}]),
        );
        assert_eq!(
            rendered(&message)["components"][0]["sub_type"],
            "quick_reply",
            "{spelling}"
        );
    }
    let catalog = button("CATALOG", json!(0), json!({"type": "action", "action": {}}));
    assert_eq!(rendered(&catalog)["components"][0]["sub_type"], "catalog");
    only(
        &button("call", json!(0), payload()),
        &path("[0].subType"),
        Rule::OneOf(&["quick_reply", "url", "copy_code", "catalog", "flow", "mpm"]),
    );
}

#[test]
fn each_sub_type_takes_its_parameter_type() {
    only(
        &button(
            "quick_reply",
            json!(0),
            json!({"type": "text", "text": "x"}),
        ),
        &path("[0].parameters[0].type"),
        Rule::OneOf(&["payload"]),
    );
    only(
        &button("url", json!(0), payload()),
        &path("[0].parameters[0].type"),
        Rule::OneOf(&["text"]),
    );
    only(
        &button("copy_code", json!(0), payload()),
        &path("[0].parameters[0].type"),
        Rule::OneOf(&["coupon_code"]),
    );
    only(
        &button("flow", json!(0), payload()),
        &path("[0].parameters[0].type"),
        Rule::OneOf(&["action"]),
    );
}

#[test]
fn parameters_need_their_value() {
    only(
        &button("quick_reply", json!(0), json!({"type": "payload"})),
        &path("[0].parameters[0].payload"),
        Rule::Required,
    );
    only(
        &button("url", json!(0), json!({"type": "text"})),
        &path("[0].parameters[0].text"),
        Rule::Required,
    );
    only(
        &button("copy_code", json!(0), json!({"type": "coupon_code"})),
        &path("[0].parameters[0].coupon_code"),
        Rule::Required,
    );
    only(
        &button("catalog", json!(0), json!({"type": "action"})),
        &path("[0].parameters[0].action"),
        Rule::Required,
    );
}

#[test]
fn values_of_other_parameter_types_are_not_allowed() {
    only(
        &button(
            "quick_reply",
            json!(0),
            json!({"type": "payload", "payload": "P", "text": "T"}),
        ),
        &path("[0].parameters[0].text"),
        Rule::NotAllowed("for this parameter type"),
    );
}

#[test]
fn flow_and_mpm_button_actions() {
    let flow = button(
        "flow",
        json!(0),
        json!({"type": "action", "action": {"flowToken": "tok", "flow_action_data": {"a": 1}}}),
    );
    assert_eq!(
        rendered(&flow)["components"][0]["parameters"][0],
        json!({"type": "action", "action": {"flow_token": "tok", "flow_action_data": {"a": 1}}})
    );
    let mpm = button("mpm", json!(0), json!({"type": "action", "action": {}}));
    has(
        &mpm,
        &path("[0].parameters[0].action.thumbnail_product_retailer_id"),
        Rule::Required,
    );
    has(
        &mpm,
        &path("[0].parameters[0].action.sections"),
        Rule::Required,
    );
    ok(&button(
        "mpm",
        json!(0),
        json!({"type": "action", "action": {
        "thumbnail_product_retailer_id": "p", "sections": [{"title": "S", "product_items": [{"product_retailer_id": "p"}]}]}}),
    ));
    only(
        &button(
            "catalog",
            json!(0),
            json!({"type": "action", "action": {"flow_token": "t"}}),
        ),
        &path("[0].parameters[0].action.flow_token"),
        Rule::NotAllowed("for this button sub type"),
    );
}

// --- limited time offer ---------------------------------------------------------

fn lto(parameter: Value) -> Value {
    template(json!([{"type": "limited_time_offer", "parameters": [parameter]}]))
}

#[test]
fn limited_time_offer_needs_expiration_time_ms() {
    only(
        &lto(json!({"type": "limited_time_offer", "limited_time_offer": {}})),
        &path("[0].parameters[0].limited_time_offer.expiration_time_ms"),
        Rule::Required,
    );
    only(
        &lto(json!({"type": "limited_time_offer"})),
        &path("[0].parameters[0].limited_time_offer"),
        Rule::Required,
    );
    only(
        &lto(
            json!({"type": "limited_time_offer", "limited_time_offer": {"expiration_time_ms": "soon"}}),
        ),
        &path("[0].parameters[0].limited_time_offer.expiration_time_ms"),
        Rule::Format("an integer"),
    );
}

#[test]
fn limited_time_offer_flat_as_in_the_table_renders_nested() {
    let flat = lto(json!({"type": "limited_time_offer", "expiration_time_ms": "1707232588000"}));
    assert_eq!(
        rendered(&flat)["components"][0]["parameters"][0],
        json!({"type": "limited_time_offer", "limited_time_offer": {"expiration_time_ms": 1707232588000_i64}})
    );
}

// --- header ---------------------------------------------------------------------

fn header(parameters: Value) -> Value {
    template(json!([{"type": "header", "parameters": parameters}]))
}

#[test]
fn header_has_one_parameter_and_its_text_is_at_most_60() {
    ok(&header(json!([{"type": "text", "text": chars(60)}])));
    only(
        &header(json!([{"type": "text", "text": chars(61)}])),
        &path("[0].parameters[0].text"),
        Rule::MaxLength(60),
    );
    only(
        &header(json!([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}])),
        &path("[0].parameters"),
        Rule::MaxItems(1),
    );
    only(
        &header(json!([{"type": "currency", "currency": {}}])),
        &path("[0].parameters[0].type"),
        Rule::OneOf(&["text", "image", "video", "document", "location"]),
    );
}

#[test]
fn template_media_parameters_take_no_caption() {
    for kind in ["image", "video", "document"] {
        only(
            &header(json!([{"type": kind, (kind): {"id": "1", "caption": "c"}}])),
            &path(&format!("[0].parameters[0].{kind}.caption")),
            Rule::NotAllowed("in a template parameter"),
        );
    }
    ok(&header(
        json!([{"type": "document", "document": {"id": "1", "filename": "a.pdf"}}]),
    ));
    only(
        &header(json!([{"type": "image", "image": {"link": "file:///a.png"}}])),
        &path("[0].parameters[0].image.link"),
        Rule::Format("an http:// or https:// URL"),
    );
}

// --- body: text, currency, dateTime ---------------------------------------------

#[test]
fn named_parameters_render_parameter_name_from_both_spellings() {
    for key in ["parameterName", "parameter_name"] {
        let message = body(json!([{"type": "text", "text": "x", (key): "first_name"}]));
        assert_eq!(
            rendered(&message)["components"][0]["parameters"][0],
            json!({"type": "text", "parameter_name": "first_name", "text": "x"})
        );
    }
}

fn currency(object: Value) -> Value {
    body(json!([{"type": "currency", "currency": object}]))
}

#[test]
fn currency_needs_fallback_three_letter_code_and_integer_amount() {
    let good = json!({"fallbackValue": "$100.99", "code": "USD", "amount1000": 100990});
    ok(&currency(good.clone()));
    only(
        &currency(without(&json!({"c": good.clone()}), "/c/fallbackValue")["c"].clone()),
        &path("[0].parameters[0].currency.fallbackValue"),
        Rule::Required,
    );
    only(
        &currency(with(&good, "/code", json!("US"))),
        &path("[0].parameters[0].currency.code"),
        Rule::Format("a three-letter ISO 4217 currency code"),
    );
    only(
        &currency(with(&good, "/amount1000", json!("100.99"))),
        &path("[0].parameters[0].currency.amount1000"),
        Rule::Format("an integer"),
    );
    only(
        &currency(without(&json!({"c": good}), "/c/amount1000")["c"].clone()),
        &path("[0].parameters[0].currency.amount1000"),
        Rule::Required,
    );
}

#[test]
fn currency_snake_case_is_accepted_and_renders_amount_as_integer() {
    let message = currency(json!({"fallback_value": "$1", "code": "EUR", "amount_1000": "1000"}));
    assert_eq!(
        rendered(&message)["components"][0]["parameters"][0],
        json!({"type": "currency", "currency": {"fallback_value": "$1", "code": "EUR", "amount_1000": 1000}})
    );
}

fn date_time(object: Value) -> Value {
    body(json!([{"type": "dateTime", "dateTime": object}]))
}

fn parts() -> Value {
    json!({"fallbackValue": "Feb 25", "dayOfWeek": 5, "dayOfMonth": 25, "year": 1977, "month": 2, "hour": 15, "minute": 33})
}

#[test]
fn date_time_takes_all_parts_or_timestamp_alone() {
    ok(&date_time(parts()));
    ok(&date_time(
        json!({"fallbackValue": "Feb 25", "timestamp": 225000000000_i64}),
    ));
    only(
        &date_time(json!({"fallbackValue": "Feb 25", "timestamp": 1, "dayOfWeek": 5})),
        &path("[0].parameters[0].dateTime.dayOfWeek"),
        Rule::NotAllowed("together with timestamp"),
    );
    only(
        &date_time(without(&json!({"d": parts()}), "/d/minute")["d"].clone()),
        &path("[0].parameters[0].dateTime.minute"),
        Rule::Required,
    );
    only(
        &date_time(json!({"fallbackValue": "Feb 25"})),
        &path("[0].parameters[0].dateTime"),
        Rule::Format(
            "either all of dayOfWeek, dayOfMonth, year, month, hour and minute, or timestamp alone",
        ),
    );
    only(
        &date_time(json!({"timestamp": 1})),
        &path("[0].parameters[0].dateTime.fallbackValue"),
        Rule::Required,
    );
}

#[test]
fn date_time_part_ranges() {
    for (part, good, bad, min, max) in [
        ("dayOfWeek", 7, 8, 1, 7),
        ("dayOfWeek", 1, 0, 1, 7),
        ("dayOfMonth", 31, 32, 1, 31),
        ("month", 12, 13, 1, 12),
        ("hour", 23, 24, 0, 23),
        ("minute", 59, 60, 0, 59),
    ] {
        ok(&date_time(with(&parts(), &format!("/{part}"), json!(good))));
        ok(&date_time(with(
            &parts(),
            &format!("/{part}"),
            json!(good.to_string()),
        )));
        only(
            &date_time(with(&parts(), &format!("/{part}"), json!(bad))),
            &path(&format!("[0].parameters[0].dateTime.{part}")),
            Rule::Range { min, max },
        );
    }
}

#[test]
fn date_time_renders_only_the_fallback_value_from_either_spelling() {
    let expected = json!({"type": "date_time", "date_time": {"fallback_value": "Feb 25"}});
    assert_eq!(
        rendered(&date_time(parts()))["components"][0]["parameters"][0],
        expected
    );
    let snake = body(
        json!([{"type": "date_time", "date_time": {"fallback_value": "Feb 25", "timestamp": "1"}}]),
    );
    assert_eq!(rendered(&snake)["components"][0]["parameters"][0], expected);
}

#[test]
fn body_takes_text_currency_and_date_time_only() {
    only(
        &body(json!([payload()])),
        &path("[0].parameters[0].type"),
        Rule::OneOf(&["text", "currency", "date_time"]),
    );
}

// --- carousel ---------------------------------------------------------------------

fn card(index: Value) -> Value {
    json!({"card_index": index, "components": [
        {"type": "header", "parameters": [{"type": "image", "image": {"id": "1"}}]},
        {"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [{"type": "payload", "payload": "p"}]}]})
}

fn carousel(cards: Vec<Value>) -> Value {
    template(json!([{"type": "carousel", "cards": cards}]))
}

#[test]
fn template_cards_are_1_to_10_with_unique_indexes_0_to_9() {
    ok(&carousel((0..10).map(|i| card(json!(i))).collect()));
    only(&carousel(vec![]), &path("[0].cards"), Rule::NotEmpty);
    has(
        &carousel((0..11).map(|i| card(json!(i))).collect()),
        &path("[0].cards"),
        Rule::MaxItems(10),
    );
    only(
        &carousel(vec![card(json!(0)), card(json!("0"))]),
        &path("[0].cards[1].card_index"),
        Rule::Duplicate {
            first: path("[0].cards[0].card_index"),
        },
    );
    only(
        &carousel(vec![card(json!(12))]),
        &path("[0].cards[0].card_index"),
        Rule::Range { min: 0, max: 9 },
    );
}

#[test]
fn template_card_index_may_be_called_index() {
    let message = carousel(vec![
        json!({"index": 1, "components": card(json!(1))["components"].clone()}),
    ]);
    assert_eq!(
        rendered(&message)["components"][0]["cards"][0]["card_index"],
        1
    );
}

#[test]
fn template_cards_hold_only_header_body_and_buttons() {
    let mut nested = card(json!(0));
    nested["components"] = json!([{"type": "limited_time_offer", "parameters": []}]);
    only(
        &carousel(vec![nested]),
        &path("[0].cards[0].components[0].type"),
        Rule::OneOf(&["header", "body", "button"]),
    );
}
