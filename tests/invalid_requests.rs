//! Invalid requests to `POST /whatsapp-message/messages`: one table of cases,
//! each a valid request with one thing broken, answered with the right HTTP
//! status, `resultCode` and a `description` naming the offending field path
//! and the rule. All cases run against one server and every failure is
//! reported at once. Boundary cases sit exactly one past each limit; the
//! requests exactly at the limits are accepted.

mod common;

use common::{Backend, Tenant, TestApp, request, spawn_app, text};
use serde_json::{Value, json};

const TO: &str = "+46701234567";

/// How a case's body is sent.
enum Body {
    /// Sent as is (not JSON).
    Raw(&'static str),
    Json(Value),
}

struct Case {
    name: &'static str,
    body: Body,
    status: u16,
    code: u64,
    /// The offending field's path: `description` starts with `"{path}: "`
    /// (empty when the error names no field).
    path: String,
    /// What `description` says about the rule (a substring).
    rule: &'static str,
}

/// 400 / 112506: the body breaks a schema rule.
fn schema(name: &'static str, body: Value, path: impl Into<String>, rule: &'static str) -> Case {
    Case {
        name,
        body: Body::Json(body),
        status: 400,
        code: 112506,
        path: path.into(),
        rule,
    }
}

/// 400 / 112402: well-formed, but cannot be honoured.
fn semantic(name: &'static str, body: Value, path: impl Into<String>, rule: &'static str) -> Case {
    Case {
        name,
        body: Body::Json(body),
        status: 400,
        code: 112402,
        path: path.into(),
        rule,
    }
}

/// 400 / 112505: not JSON at all.
fn not_json(name: &'static str, raw: &'static str) -> Case {
    Case {
        name,
        body: Body::Raw(raw),
        status: 400,
        code: 112505,
        path: String::new(),
        rule: "Invalid JSON: ",
    }
}

/// 400 / 112506 for a raw body that is JSON of the wrong shape.
fn not_json_shape(name: &'static str, raw: &'static str, rule: &'static str) -> Case {
    Case {
        name,
        body: Body::Raw(raw),
        status: 400,
        code: 112506,
        path: String::new(),
        rule,
    }
}

/// 403 / 112401: names what belongs to another tenant.
fn no_access(name: &'static str, body: Value, rule: &'static str) -> Case {
    Case {
        name,
        body: Body::Json(body),
        status: 403,
        code: 112401,
        path: String::new(),
        rule,
    }
}

/// Sends every case, returns one line per case that did not get its answer.
async fn run(app: &TestApp, tenant: &Tenant, cases: Vec<Case>) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let (status, answer) = match case.body {
            Body::Raw(raw) => app.send_raw(tenant, raw, None).await,
            Body::Json(body) => app.send(tenant, &body).await,
        };
        let description = answer["description"].as_str().unwrap_or_default();
        let names_path =
            case.path.is_empty() || description.starts_with(&format!("{}: ", case.path));
        let names_rule = description.contains(case.rule);
        if status != case.status || answer["resultCode"] != case.code || !names_path || !names_rule
        {
            let expected = if case.path.is_empty() {
                format!("…{}…", case.rule)
            } else {
                format!("{}: …{}…", case.path, case.rule)
            };
            failures.push(format!(
                "{}: expected {} / {} with \"{expected}\", got {status} {answer}",
                case.name, case.status, case.code
            ));
        }
    }
    failures
}

// --- Building requests ------------------------------------------------------

/// `n` characters.
fn chars(n: usize) -> String {
    "x".repeat(n)
}

/// `n` two-byte characters: a limit counted in bytes would refuse them.
fn wide(n: usize) -> String {
    "é".repeat(n)
}

/// A valid request with one text message.
fn base(tenant: &Tenant) -> Value {
    request(tenant, &[TO], text("hello"))
}

/// The valid request with the top-level `field` set to `value`.
fn with(tenant: &Tenant, field: &str, value: Value) -> Value {
    let mut body = base(tenant);
    body[field] = value;
    body
}

/// The valid request without the top-level `field`.
fn without(tenant: &Tenant, field: &str) -> Value {
    let mut body = base(tenant);
    body.as_object_mut().expect("object").remove(field);
    body
}

/// A valid request to `destinations`.
fn to(tenant: &Tenant, destinations: &[&str]) -> Value {
    request(tenant, destinations, text("hello"))
}

/// A valid request carrying one `message`.
fn one(tenant: &Tenant, message: Value) -> Value {
    request(tenant, &[TO], json!([message]))
}

/// `value` with the field at JSON pointer `pointer` set to `new` (an index
/// one past the end of an array appends).
fn set(mut value: Value, pointer: &str, new: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key.to_owned(), new);
        }
        Some(Value::Array(list)) => match key.parse::<usize>().expect("an index") {
            index if index == list.len() => list.push(new),
            index => list[index] = new,
        },
        _ => panic!("no object or array at {parent}"),
    }
    value
}

/// `value` without the field at JSON pointer `pointer`.
fn unset(mut value: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
    let removed = value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|map| map.remove(key));
    assert!(removed.is_some(), "no {pointer} to remove");
    value
}

fn text_message(body: Value) -> Value {
    json!({"type": "text", "text": {"body": body}})
}

fn media_message(kind: &str, media: Value) -> Value {
    json!({"type": kind, kind: media})
}

fn image() -> Value {
    media_message(
        "image",
        json!({"link": "https://example.com/a.png", "caption": "A"}),
    )
}

fn location() -> Value {
    json!({"type": "location", "location": {
        "latitude": 59.3293, "longitude": 18.0686, "name": "Stockholm"
    }})
}

fn contacts() -> Value {
    json!({"type": "contacts", "contacts": [{
        "name": {"formattedName": "Ada Lovelace", "firstName": "Ada", "lastName": "Lovelace"},
        "phones": [{"phone": "+46701234567", "type": "WORK"}]
    }]})
}

fn template(components: Value) -> Value {
    json!({"type": "template", "template": {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": components
    }})
}

fn currency() -> Value {
    json!({"type": "currency", "currency": {
        "fallbackValue": "$100.99", "code": "USD", "amount1000": 100990
    }})
}

fn date_time() -> Value {
    json!({"type": "dateTime", "dateTime": {
        "fallbackValue": "February 25, 1977 03:33PM",
        "dayOfWeek": 5, "dayOfMonth": 25, "year": 1977, "month": 2, "hour": 15, "minute": 33
    }})
}

/// A card of a template carousel: an image header.
fn template_card(index: u32) -> Value {
    let image = json!({"link": format!("https://example.com/{index}.png")});
    json!({"card_index": index, "components": [
        {"type": "header", "parameters": [{"type": "image", "image": image}]}
    ]})
}

fn template_carousel(cards: Value) -> Value {
    template(json!([{"type": "carousel", "cards": cards}]))
}

/// A template with every kind of component parameter the cases break.
fn full_template() -> Value {
    template(json!([
        {"type": "header", "parameters": [{"type": "text", "text": "Your order"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Ada"}, currency(), date_time()]},
        {"type": "button", "subType": "quickReply", "index": 0,
            "parameters": [{"type": "payload", "payload": "yes"}]},
        {"type": "button", "subType": "url", "index": "1",
            "parameters": [{"type": "text", "text": "order/42"}]},
        {"type": "button", "subType": "copy_code", "index": 2,
            "parameters": [{"type": "coupon_code", "coupon_code": "SAVE15"}]}
    ]))
}

fn interactive(object: Value) -> Value {
    json!({"type": "interactive", "interactive": object})
}

fn reply(id: impl Into<String>, title: impl Into<String>) -> Value {
    json!({"type": "reply", "reply": {"id": id.into(), "title": title.into()}})
}

fn buttons(list: Value) -> Value {
    interactive(json!({
        "type": "button",
        "header": {"type": "text", "text": "Hello"},
        "body": {"text": "Pick one"},
        "footer": {"text": "Thanks"},
        "action": {"buttons": list}
    }))
}

fn button_message() -> Value {
    buttons(json!([reply("yes", "Yes"), reply("no", "No")]))
}

/// `n` rows with ids `{prefix}-0`, `{prefix}-1`, ….
fn rows(prefix: &str, n: usize) -> Value {
    (0..n)
        .map(|i| {
            json!({
                "id": format!("{prefix}-{i}"),
                "title": format!("Row {prefix} {i}"),
                "description": "A row"
            })
        })
        .collect()
}

fn list(sections: Value) -> Value {
    interactive(json!({
        "type": "list",
        "header": {"type": "text", "text": "Menu"},
        "body": {"text": "Choose from the menu"},
        "footer": {"text": "Thanks"},
        "action": {"button": "Choose", "sections": sections}
    }))
}

fn list_message() -> Value {
    list(json!([
        {"title": "Starters", "rows": rows("a", 2)},
        {"title": "Mains", "rows": rows("b", 2)}
    ]))
}

fn product() -> Value {
    interactive(json!({
        "type": "product",
        "body": {"text": "Look at this"},
        "action": {"catalog_id": "cat-1", "product_retailer_id": "SKU-01"}
    }))
}

/// `n` product items with retailer ids `{prefix}-0`, ….
fn items(prefix: &str, n: usize) -> Value {
    (0..n)
        .map(|i| json!({"product_retailer_id": format!("{prefix}-{i}")}))
        .collect()
}

fn product_list(sections: Value) -> Value {
    interactive(json!({
        "type": "product_list",
        "header": {"type": "text", "text": "Products"},
        "body": {"text": "Our best sellers"},
        "action": {"catalog_id": "cat-1", "sections": sections}
    }))
}

fn product_list_message() -> Value {
    product_list(json!([{"title": "Fruit", "product_items": items("f", 2)}]))
}

fn flow() -> Value {
    interactive(json!({
        "type": "flow",
        "header": {"type": "text", "text": "Flow header"},
        "body": {"text": "Flow body"},
        "action": {"name": "flow", "parameters": {
            "flow_message_version": "3", "flow_id": "1234567890", "flow_cta": "Book"
        }}
    }))
}

fn cta_url() -> Value {
    interactive(json!({
        "type": "cta_url",
        "body": {"text": "See our offers"},
        "action": {"name": "cta_url", "parameters": {
            "display_text": "Open", "url": "https://example.com/offers"
        }}
    }))
}

fn location_request() -> Value {
    interactive(json!({
        "type": "location_request_message",
        "body": {"text": "Where are you?"},
        "action": {"name": "send_location"}
    }))
}

fn media_card(index: u32, header: &str) -> Value {
    json!({
        "card_index": index,
        "type": "cta_url",
        "header": {"type": header, header: {"link": format!("https://example.com/{index}")}},
        "body": {"text": format!("Deal {index}")},
        "action": {"name": "cta_url", "parameters": {
            "display_text": "Shop now", "url": format!("https://shop.example.com/{index}")
        }}
    })
}

fn media_carousel(cards: Value) -> Value {
    interactive(json!({"type": "carousel", "body": {"text": "Offers"}, "action": {"cards": cards}}))
}

fn media_carousel_message() -> Value {
    media_carousel(json!([media_card(0, "image"), media_card(1, "image")]))
}

fn product_card(index: u32) -> Value {
    json!({
        "card_index": index,
        "type": "product",
        "action": {"product_retailer_id": format!("SKU-{index}"), "catalog_id": "cat-1"}
    })
}

fn product_carousel_message() -> Value {
    interactive(json!({
        "type": "carousel",
        "body": {"text": "Featured"},
        "action": {"cards": [product_card(0), product_card(1)]}
    }))
}

/// One valid message of every type the cases start from.
fn valid_messages() -> Vec<(&'static str, Value)> {
    vec![
        ("text", text_message(json!("hello"))),
        ("image", image()),
        ("audio", media_message("audio", json!({"id": "media-1"}))),
        (
            "document",
            media_message(
                "document",
                json!({"link": "https://example.com/a.pdf", "filename": "a.pdf"}),
            ),
        ),
        ("location", location()),
        ("contacts", contacts()),
        ("template", full_template()),
        (
            "template carousel",
            template_carousel(json!([template_card(0), template_card(1)])),
        ),
        ("button", button_message()),
        ("list", list_message()),
        ("product", product()),
        ("product_list", product_list_message()),
        ("flow", flow()),
        ("cta_url", cta_url()),
        ("location_request_message", location_request()),
        ("media carousel", media_carousel_message()),
        ("product carousel", product_carousel_message()),
    ]
}

const I: &str = "/interactive";

fn cases(tenant: &Tenant) -> Vec<Case> {
    let t = tenant;
    let m = |message: Value| one(t, message);
    let many_destinations: Vec<String> = (0..1001).map(|i| format!("+4670{i:07}")).collect();
    let many_destinations: Vec<&str> = many_destinations.iter().map(String::as_str).collect();
    let tpl = full_template;
    vec![
        // --- Not JSON, wrong JSON types ---------------------------------------------
        not_json(
            "truncated JSON",
            r#"{"platformId": "acme-platform", "messages": ["#,
        ),
        not_json("plain text", "send a message please"),
        not_json("empty body", ""),
        not_json("trailing garbage", r#"{"refId": "x"} and more"#),
        schema(
            "body is a JSON string",
            json!("send it"),
            "",
            "invalid type: string \"send it\", expected struct MessageRequest",
        ),
        schema(
            "body is null",
            json!(null),
            "",
            "invalid type: null, expected struct MessageRequest",
        ),
        not_json_shape(
            "duplicate JSON key",
            r#"{"refId": "a", "refId": "b"}"#,
            "duplicate field `refId`",
        ),
        schema(
            "destination is null",
            with(t, "destinations", json!([TO, null])),
            "destinations[1]",
            "invalid type: null",
        ),
        schema(
            "message is null",
            with(t, "messages", json!([null])),
            "messages[0]",
            "invalid type: null",
        ),
        schema(
            "eventReportGates is a string",
            with(t, "eventReportGates", json!(t.gate_id)),
            "eventReportGates",
            "invalid type: string",
        ),
        schema(
            "priority is a number",
            with(t, "priority", json!(1)),
            "priority",
            "invalid type: integer",
        ),
        schema(
            "previewUrl is a string",
            m(json!({"type": "text", "previewUrl": "yes", "text": {"body": "hi"}})),
            "messages[0].previewUrl",
            "invalid type: string",
        ),
        schema(
            "destinations is a string",
            with(t, "destinations", json!(TO)),
            "destinations",
            "invalid type: string \"+46701234567\", expected a sequence",
        ),
        schema(
            "messages is an object",
            with(t, "messages", json!({"type": "text"})),
            "messages",
            "invalid type: map, expected a sequence",
        ),
        schema(
            "relativeValidityTime is a string",
            with(t, "relativeValidityTime", json!("soon")),
            "relativeValidityTime",
            "invalid type: string \"soon\", expected i64",
        ),
        schema(
            "text body is a number",
            m(text_message(json!(42))),
            "messages[0].text.body",
            "invalid type: integer `42`, expected a string",
        ),
        // --- Required envelope fields ------------------------------------------------
        schema(
            "platformId missing",
            without(t, "platformId"),
            "platformId",
            "is required",
        ),
        schema(
            "platformPartnerId missing",
            without(t, "platformPartnerId"),
            "platformPartnerId",
            "is required",
        ),
        schema(
            "priority missing",
            without(t, "priority"),
            "priority",
            "is required",
        ),
        schema("refId missing", without(t, "refId"), "refId", "is required"),
        schema(
            "source missing",
            without(t, "source"),
            "source",
            "is required",
        ),
        schema(
            "destinations missing",
            without(t, "destinations"),
            "destinations",
            "is required",
        ),
        schema(
            "messages missing",
            without(t, "messages"),
            "messages",
            "is required",
        ),
        schema(
            "refId empty",
            with(t, "refId", json!("")),
            "refId",
            "must not be empty",
        ),
        schema(
            "refId 257 characters",
            with(t, "refId", json!(chars(257))),
            "refId",
            "must be at most 256 characters long",
        ),
        schema(
            "destinations empty",
            with(t, "destinations", json!([])),
            "destinations",
            "must have at least 1 entries",
        ),
        schema(
            "messages empty",
            with(t, "messages", json!([])),
            "messages",
            "must have at least 1 entries",
        ),
        // --- Envelope values ---------------------------------------------------------
        schema(
            "priority URGENT",
            with(t, "priority", json!("URGENT")),
            "priority",
            "must be one of: LOW, NORMAL, HIGH",
        ),
        schema(
            "relativeValidityTime 0",
            with(t, "relativeValidityTime", json!(0)),
            "relativeValidityTime",
            "must be between 1 and",
        ),
        schema(
            "relativeValidityTime negative",
            with(t, "relativeValidityTime", json!(-60_000)),
            "relativeValidityTime",
            "must be between 1 and",
        ),
        schema(
            "relativeValidityTime one past 30 days",
            with(t, "relativeValidityTime", json!(2_592_000_001_i64)),
            "relativeValidityTime",
            "must be between 1 and 2592000000",
        ),
        schema(
            "relativeValidityTime near i64::MAX",
            with(t, "relativeValidityTime", json!(i64::MAX - 1)),
            "relativeValidityTime",
            "must be between 1 and 2592000000",
        ),
        schema(
            "absoluteValidityTime in year 9999",
            with(t, "absoluteValidityTime", json!("9999-12-31T23:59:59Z")),
            "absoluteValidityTime",
            "must be at most 2592000000 milliseconds from now",
        ),
        semantic(
            "absoluteValidityTime in year 1",
            with(t, "absoluteValidityTime", json!("0001-01-01T00:00:00Z")),
            "absoluteValidityTime",
            "has already passed",
        ),
        schema(
            "absoluteValidityTime not RFC 3339",
            with(t, "absoluteValidityTime", json!("18.03.2026 16:49")),
            "absoluteValidityTime",
            "must be an RFC 3339 date",
        ),
        semantic(
            "absoluteValidityTime in the past",
            with(t, "absoluteValidityTime", json!("2020-01-01T00:00:00Z")),
            "absoluteValidityTime",
            "has already passed",
        ),
        schema(
            "source not an MSISDN",
            with(t, "source", json!("acme")),
            "source",
            "must be an international phone number (E.164",
        ),
        schema(
            "MSISDN too short",
            to(t, &["+4670123"]),
            "destinations[0]",
            "must be an international phone number (e.g. +46701234567) or a BSUID",
        ),
        schema(
            "MSISDN too long",
            to(t, &[TO, "+4670123456789012"]),
            "destinations[1]",
            "must be an international phone number (e.g. +46701234567) or a BSUID",
        ),
        schema(
            "MSISDN with a local 0, no default country",
            to(t, &["0701234567"]),
            "destinations[0]",
            "must be in international form, starting with + or 00",
        ),
        schema(
            "MSISDN without prefix, no default country",
            to(t, &[TO, "46701234567"]),
            "destinations[1]",
            "a number in local form needs a default country (the account's defaultCountry)",
        ),
        schema(
            "BSUID lower-case country",
            to(t, &["se.13491208655302741918"]),
            "destinations[0]",
            "must be an international phone number (e.g. +46701234567) or a BSUID",
        ),
        schema(
            "BSUID without id",
            to(t, &["SE."]),
            "destinations[0]",
            "must be an international phone number (e.g. +46701234567) or a BSUID",
        ),
        schema(
            "BSUID id of 129 characters",
            to(t, &[&format!("SE.{}", "1".repeat(129))]),
            "destinations[0]",
            "must be an international phone number (e.g. +46701234567) or a BSUID",
        ),
        semantic(
            "duplicate destination",
            to(t, &[TO, "+46709999999", TO]),
            "destinations[2]",
            "duplicates destinations[0] (+46701234567)",
        ),
        semantic(
            "duplicate destination after normalisation",
            to(t, &[TO, "+46 70 123 45 67"]),
            "destinations[1]",
            "duplicates destinations[0] (+46701234567)",
        ),
        semantic(
            "duplicate destination with 00 prefix",
            to(t, &["0046701234567", TO]),
            "destinations[1]",
            "duplicates destinations[0] (+46701234567)",
        ),
        semantic(
            "duplicate BSUID",
            to(t, &["SE.13491208655302741918", "SE.13491208655302741918"]),
            "destinations[1]",
            "duplicates destinations[0] (SE.13491208655302741918)",
        ),
        schema(
            "1001 destinations",
            to(t, &many_destinations),
            "destinations",
            "must have at most 1000 entries",
        ),
        schema(
            "11 messages",
            with(t, "messages", json!(vec![text_message(json!("hi")); 11])),
            "messages",
            "must have at most 10 entries",
        ),
        schema(
            "customParameters with an object value",
            with(
                t,
                "customParameters",
                json!({"ok": "v", "nested": {"a": 1}}),
            ),
            "customParameters.nested",
            "must be a string, number or boolean",
        ),
        schema(
            "customParameters with a list value",
            with(t, "customParameters", json!({"list": [1]})),
            "customParameters.list",
            "must be a string, number or boolean",
        ),
        schema(
            "customParameters value 4097 characters",
            with(t, "customParameters", json!({"long": chars(4097)})),
            "customParameters.long",
            "must be at most 4096 characters long",
        ),
        semantic(
            "duplicate eventReportGates",
            with(t, "eventReportGates", json!([t.gate_id, t.gate_id])),
            "eventReportGates[1]",
            "duplicates eventReportGates[0]",
        ),
        semantic(
            "unknown eventReportGate",
            with(t, "eventReportGates", json!([t.gate_id, "no-such-gate"])),
            "eventReportGates[1]",
            "does not name a known event report gate",
        ),
        schema(
            "11 eventReportGates",
            with(
                t,
                "eventReportGates",
                json!((0..11).map(|i| format!("gate-{i}")).collect::<Vec<_>>()),
            ),
            "eventReportGates",
            "must have at most 10 entries",
        ),
        schema(
            "empty eventReportGate",
            with(t, "eventReportGates", json!([""])),
            "eventReportGates[0]",
            "must not be empty",
        ),
        schema(
            "platformId 257 characters",
            with(t, "platformId", json!(chars(257))),
            "platformId",
            "must be at most 256 characters long",
        ),
        schema(
            "customParameters key 257 characters",
            with(t, "customParameters", json!({chars(257): "v"})),
            format!("customParameters.{}", chars(257)),
            "must be a key of at most 256 characters",
        ),
        no_access(
            "platformId of nobody",
            with(t, "platformId", json!("someone-else")),
            "No access: platformId someone-else",
        ),
        no_access(
            "source of nobody",
            with(t, "source", json!("+46700000099")),
            "No access: source +46700000099",
        ),
        // --- Message type and object -------------------------------------------------
        schema(
            "message type missing",
            m(json!({"text": {"body": "hi"}})),
            "messages[0].type",
            "is required",
        ),
        schema(
            "message type unknown",
            m(json!({"type": "reaction", "text": {"body": "hi"}})),
            "messages[0].type",
            "must be one of: ",
        ),
        schema(
            "message object missing",
            m(json!({"type": "text"})),
            "messages[0].text",
            "is required",
        ),
        schema(
            "media object missing",
            m(json!({"type": "image", "text": {"body": "hi"}})),
            "messages[0].image",
            "is required",
        ),
        schema(
            "object of another type present",
            m(json!({
                "type": "text",
                "text": {"body": "hi"},
                "image": {"link": "https://example.com/a.png"}
            })),
            "messages[0].image",
            "is not allowed when type is text",
        ),
        schema(
            "second message broken",
            with(
                t,
                "messages",
                json!([text_message(json!("ok")), {"type": "text", "text": {}}]),
            ),
            "messages[1].text.body",
            "is required",
        ),
        // --- Text ----------------------------------------------------------------------
        schema(
            "text body missing",
            m(json!({"type": "text", "text": {}})),
            "messages[0].text.body",
            "is required",
        ),
        schema(
            "text body empty",
            m(text_message(json!(""))),
            "messages[0].text.body",
            "must not be empty",
        ),
        schema(
            "text body blank",
            m(text_message(json!("   "))),
            "messages[0].text.body",
            "must not be empty",
        ),
        schema(
            "text body 4097 characters",
            m(text_message(json!(wide(4097)))),
            "messages[0].text.body",
            "must be at most 4096 characters long",
        ),
        // --- Media ---------------------------------------------------------------------
        schema(
            "image with id and link",
            m(set(image(), "/image/id", json!("media-1"))),
            "messages[0].image",
            "must have exactly one of: id, link",
        ),
        schema(
            "image with neither id nor link",
            m(unset(image(), "/image/link")),
            "messages[0].image",
            "must have exactly one of: id, link",
        ),
        schema(
            "image link not http",
            m(set(
                image(),
                "/image/link",
                json!("ftp://example.com/a.png"),
            )),
            "messages[0].image.link",
            "must be an http:// or https:// URL",
        ),
        schema(
            "image link without scheme",
            m(set(image(), "/image/link", json!("example.com/a.png"))),
            "messages[0].image.link",
            "must be an http:// or https:// URL",
        ),
        schema(
            "image caption 1025 characters",
            m(set(image(), "/image/caption", json!(wide(1025)))),
            "messages[0].image.caption",
            "must be at most 1024 characters long",
        ),
        schema(
            "document caption 1025 characters",
            m(media_message(
                "document",
                json!({"id": "m", "caption": chars(1025)}),
            )),
            "messages[0].document.caption",
            "must be at most 1024 characters long",
        ),
        schema(
            "audio with a caption",
            m(media_message("audio", json!({"id": "m", "caption": "no"}))),
            "messages[0].audio.caption",
            "is not allowed for audio",
        ),
        schema(
            "image with a filename",
            m(set(image(), "/image/filename", json!("a.png"))),
            "messages[0].image.filename",
            "is not allowed for an image",
        ),
        // --- Location ------------------------------------------------------------------
        schema(
            "latitude 91",
            m(set(location(), "/location/latitude", json!(91))),
            "messages[0].location.latitude",
            "must be between -90 and 90",
        ),
        schema(
            "latitude just above 90",
            m(set(location(), "/location/latitude", json!(90.000001))),
            "messages[0].location.latitude",
            "must be between -90 and 90",
        ),
        schema(
            "longitude -181",
            m(set(location(), "/location/longitude", json!(-181))),
            "messages[0].location.longitude",
            "must be between -180 and 180",
        ),
        schema(
            "latitude missing",
            m(unset(location(), "/location/latitude")),
            "messages[0].location.latitude",
            "is required",
        ),
        schema(
            "longitude missing",
            m(unset(location(), "/location/longitude")),
            "messages[0].location.longitude",
            "is required",
        ),
        schema(
            "latitude not a number",
            m(set(location(), "/location/latitude", json!("north"))),
            "messages[0].location.latitude",
            "must be a number",
        ),
        // --- Contacts ------------------------------------------------------------------
        schema(
            "contacts empty",
            m(json!({"type": "contacts", "contacts": []})),
            "messages[0].contacts",
            "must not be empty",
        ),
        schema(
            "contact without name",
            m(unset(contacts(), "/contacts/0/name")),
            "messages[0].contacts[0].name",
            "is required",
        ),
        schema(
            "contact name without formattedName",
            m(unset(contacts(), "/contacts/0/name/formattedName")),
            "messages[0].contacts[0].name.formattedName",
            "is required",
        ),
        schema(
            "contact name with formattedName only",
            m(set(
                contacts(),
                "/contacts/0/name",
                json!({"formattedName": "Ada"}),
            )),
            "messages[0].contacts[0].name",
            "must have at least one of: firstName, lastName, middleName, suffix, prefix",
        ),
        schema(
            "contact birthday not a date",
            m(set(contacts(), "/contacts/0/birthday", json!("1815-13-10"))),
            "messages[0].contacts[0].birthday",
            "must be a date as YYYY-MM-DD",
        ),
        // --- Template ------------------------------------------------------------------
        schema(
            "template object missing",
            m(json!({"type": "template"})),
            "messages[0].template",
            "is required",
        ),
        schema(
            "template name missing",
            m(unset(tpl(), "/template/name")),
            "messages[0].template.name",
            "is required",
        ),
        schema(
            "template language missing",
            m(unset(tpl(), "/template/language")),
            "messages[0].template.language",
            "is required",
        ),
        schema(
            "template language.code missing",
            m(unset(tpl(), "/template/language/code")),
            "messages[0].template.language.code",
            "is required",
        ),
        schema(
            "components beside template and inside it",
            m(set(
                tpl(),
                "/components",
                json!([{"type": "body", "parameters": [{"type": "text", "text": "x"}]}]),
            )),
            "messages[0].components",
            "is not allowed beside template",
        ),
        schema(
            "header component with 2 parameters",
            m(set(
                tpl(),
                "/template/components/0/parameters/1",
                json!({"type": "text", "text": "more"}),
            )),
            "messages[0].template.components[0].parameters",
            "must have at most 1 entries",
        ),
        schema(
            "dateTime with neither parts nor timestamp",
            m(set(
                tpl(),
                "/template/components/1/parameters/2/dateTime",
                json!({"fallbackValue": "soon"}),
            )),
            "messages[0].template.components[1].parameters[2].dateTime",
            "either all of dayOfWeek",
        ),
        schema(
            "limited_time_offer without expiration",
            m(template(json!([{
                "type": "limited_time_offer",
                "parameters": [{"type": "limited_time_offer"}]
            }]))),
            "messages[0].template.components[0].parameters[0].limited_time_offer",
            "is required",
        ),
        semantic(
            "template carousel duplicate card_index",
            m(template_carousel(json!([
                template_card(0),
                template_card(0)
            ]))),
            "messages[0].template.components[0].cards[1].card_index",
            "duplicates messages[0].template.components[0].cards[0].card_index",
        ),
        schema(
            "image parameter with a caption",
            m(set(
                tpl(),
                "/template/components/0/parameters/0",
                json!({"type": "image", "image": {
                    "link": "https://example.com/h.png", "caption": "no"
                }}),
            )),
            "messages[0].template.components[0].parameters[0].image.caption",
            "is not allowed in a template parameter",
        ),
        schema(
            "component type unknown",
            m(set(tpl(), "/template/components/0/type", json!("footer"))),
            "messages[0].template.components[0].type",
            "must be one of: ",
        ),
        schema(
            "header text parameter 61 characters",
            m(set(
                tpl(),
                "/template/components/0/parameters/0/text",
                json!(chars(61)),
            )),
            "messages[0].template.components[0].parameters[0].text",
            "must be at most 60 characters long",
        ),
        schema(
            "button without subType",
            m(unset(tpl(), "/template/components/2/subType")),
            "messages[0].template.components[2].subType",
            "is required",
        ),
        schema(
            "button subType unknown",
            m(set(tpl(), "/template/components/2/subType", json!("call"))),
            "messages[0].template.components[2].subType",
            "must be one of: ",
        ),
        schema(
            "button without index",
            m(unset(tpl(), "/template/components/2/index")),
            "messages[0].template.components[2].index",
            "is required",
        ),
        schema(
            "button index 10",
            m(set(tpl(), "/template/components/2/index", json!(10))),
            "messages[0].template.components[2].index",
            "must be between 0 and 9",
        ),
        schema(
            "subType on a body component",
            m(set(tpl(), "/template/components/1/subType", json!("url"))),
            "messages[0].template.components[1].subType",
            "is not allowed for this component type",
        ),
        schema(
            "currency without code",
            m(unset(
                tpl(),
                "/template/components/1/parameters/1/currency/code",
            )),
            "messages[0].template.components[1].parameters[1].currency.code",
            "is required",
        ),
        schema(
            "currency code of 4 letters",
            m(set(
                tpl(),
                "/template/components/1/parameters/1/currency/code",
                json!("USDX"),
            )),
            "messages[0].template.components[1].parameters[1].currency.code",
            "must be a three-letter ISO 4217 currency code",
        ),
        schema(
            "currency amount1000 not an integer",
            m(set(
                tpl(),
                "/template/components/1/parameters/1/currency/amount1000",
                json!("100.99"),
            )),
            "messages[0].template.components[1].parameters[1].currency.amount1000",
            "must be an integer",
        ),
        schema(
            "currency without fallbackValue",
            m(unset(
                tpl(),
                "/template/components/1/parameters/1/currency/fallbackValue",
            )),
            "messages[0].template.components[1].parameters[1].currency.fallbackValue",
            "is required",
        ),
        schema(
            "dateTime with only some parts",
            m(unset(
                tpl(),
                "/template/components/1/parameters/2/dateTime/month",
            )),
            "messages[0].template.components[1].parameters[2].dateTime.month",
            "is required",
        ),
        schema(
            "dateTime with parts and timestamp",
            m(set(
                tpl(),
                "/template/components/1/parameters/2/dateTime/timestamp",
                json!(1_700_000_000_000_i64),
            )),
            "messages[0].template.components[1].parameters[2].dateTime.dayOfWeek",
            "is not allowed together with timestamp",
        ),
        schema(
            "dateTime hour 24",
            m(set(
                tpl(),
                "/template/components/1/parameters/2/dateTime/hour",
                json!(24),
            )),
            "messages[0].template.components[1].parameters[2].dateTime.hour",
            "must be between 0 and 23",
        ),
        schema(
            "payload parameter without payload",
            m(unset(tpl(), "/template/components/2/parameters/0/payload")),
            "messages[0].template.components[2].parameters[0].payload",
            "is required",
        ),
        schema(
            "text parameter in a quickReply button",
            m(set(
                tpl(),
                "/template/components/2/parameters/0",
                json!({"type": "text", "text": "yes"}),
            )),
            "messages[0].template.components[2].parameters[0].type",
            "must be one of: payload",
        ),
        schema(
            "coupon_code missing",
            m(unset(
                tpl(),
                "/template/components/4/parameters/0/coupon_code",
            )),
            "messages[0].template.components[4].parameters[0].coupon_code",
            "is required",
        ),
        schema(
            "coupon_code empty",
            m(set(
                tpl(),
                "/template/components/4/parameters/0/coupon_code",
                json!(""),
            )),
            "messages[0].template.components[4].parameters[0].coupon_code",
            "must not be empty",
        ),
        // --- Interactive: common parts ------------------------------------------------
        schema(
            "interactive object missing",
            m(json!({"type": "interactive"})),
            "messages[0].interactive",
            "is required",
        ),
        schema(
            "interactive type missing",
            m(unset(button_message(), &format!("{I}/type"))),
            "messages[0].interactive.type",
            "is required",
        ),
        schema(
            "interactive type unknown",
            m(set(button_message(), &format!("{I}/type"), json!("poll"))),
            "messages[0].interactive.type",
            "must be one of: ",
        ),
        schema(
            "interactive body missing",
            m(unset(button_message(), &format!("{I}/body"))),
            "messages[0].interactive.body",
            "is required",
        ),
        schema(
            "interactive body text empty",
            m(set(button_message(), &format!("{I}/body/text"), json!(""))),
            "messages[0].interactive.body.text",
            "must not be empty",
        ),
        schema(
            "interactive body 1025 characters",
            m(set(
                button_message(),
                &format!("{I}/body/text"),
                json!(wide(1025)),
            )),
            "messages[0].interactive.body.text",
            "must be at most 1024 characters long",
        ),
        schema(
            "interactive footer 61 characters",
            m(set(
                button_message(),
                &format!("{I}/footer/text"),
                json!(chars(61)),
            )),
            "messages[0].interactive.footer.text",
            "must be at most 60 characters long",
        ),
        schema(
            "interactive header text 61 characters",
            m(set(
                button_message(),
                &format!("{I}/header/text"),
                json!(chars(61)),
            )),
            "messages[0].interactive.header.text",
            "must be at most 60 characters long",
        ),
        schema(
            "interactive text header without text",
            m(unset(button_message(), &format!("{I}/header/text"))),
            "messages[0].interactive.header.text",
            "is required",
        ),
        schema(
            "header on a product message",
            m(set(
                product(),
                &format!("{I}/header"),
                json!({"type": "text", "text": "Hi"}),
            )),
            "messages[0].interactive.header",
            "is not allowed when interactive.type is product",
        ),
        schema(
            "footer on a carousel",
            m(set(
                media_carousel_message(),
                &format!("{I}/footer"),
                json!({"text": "Bye"}),
            )),
            "messages[0].interactive.footer",
            "is not allowed when interactive.type is carousel",
        ),
        schema(
            "buttons in a list message",
            m(set(
                list_message(),
                &format!("{I}/action/buttons"),
                json!([reply("1", "One")]),
            )),
            "messages[0].interactive.action.buttons",
            "is not allowed when interactive.type is list",
        ),
        schema(
            "interactive action missing",
            m(unset(button_message(), &format!("{I}/action"))),
            "messages[0].interactive.action",
            "is required",
        ),
        // --- Interactive: reply buttons -----------------------------------------------
        schema(
            "button message with 0 buttons",
            m(buttons(json!([]))),
            "messages[0].interactive.action.buttons",
            "must not be empty",
        ),
        schema(
            "button message with 4 buttons",
            m(buttons(json!([
                reply("1", "One"),
                reply("2", "Two"),
                reply("3", "Three"),
                reply("4", "Four")
            ]))),
            "messages[0].interactive.action.buttons",
            "must have at most 3 entries",
        ),
        schema(
            "reply title 21 characters",
            m(buttons(json!([reply("1", "One"), reply("2", wide(21))]))),
            "messages[0].interactive.action.buttons[1].reply.title",
            "must be at most 20 characters long",
        ),
        schema(
            "reply id 257 characters",
            m(buttons(json!([reply(chars(257), "One")]))),
            "messages[0].interactive.action.buttons[0].reply.id",
            "must be at most 256 characters long",
        ),
        schema(
            "reply title missing",
            m(unset(
                button_message(),
                &format!("{I}/action/buttons/0/reply/title"),
            )),
            "messages[0].interactive.action.buttons[0].reply.title",
            "is required",
        ),
        schema(
            "button type not reply",
            m(set(
                button_message(),
                &format!("{I}/action/buttons/1/type"),
                json!("url"),
            )),
            "messages[0].interactive.action.buttons[1].type",
            "must be one of: reply",
        ),
        semantic(
            "duplicate reply titles",
            m(buttons(json!([
                reply("1", "Same"),
                reply("2", "Other"),
                reply("3", "Same")
            ]))),
            "messages[0].interactive.action.buttons[2].reply.title",
            "duplicates messages[0].interactive.action.buttons[0].reply.title",
        ),
        semantic(
            "duplicate reply ids",
            m(buttons(json!([reply("same", "One"), reply("same", "Two")]))),
            "messages[0].interactive.action.buttons[1].reply.id",
            "duplicates messages[0].interactive.action.buttons[0].reply.id",
        ),
        // --- Interactive: list ---------------------------------------------------------
        schema(
            "list with an image header",
            m(set(
                list_message(),
                &format!("{I}/header"),
                json!({"type": "image", "image": {"link": "https://example.com/a.png"}}),
            )),
            "messages[0].interactive.header.type",
            "must be one of: text",
        ),
        schema(
            "list without button",
            m(unset(list_message(), &format!("{I}/action/button"))),
            "messages[0].interactive.action.button",
            "is required",
        ),
        schema(
            "list button text 21 characters",
            m(set(
                list_message(),
                &format!("{I}/action/button"),
                json!(chars(21)),
            )),
            "messages[0].interactive.action.button",
            "must be at most 20 characters long",
        ),
        schema(
            "list without sections",
            m(unset(list_message(), &format!("{I}/action/sections"))),
            "messages[0].interactive.action.sections",
            "is required",
        ),
        schema(
            "list with 11 sections",
            m(list(json!(
                (0..11)
                    .map(|i| json!({"title": format!("S{i}"), "rows": rows(&format!("s{i}"), 1)}))
                    .collect::<Vec<_>>()
            ))),
            "messages[0].interactive.action.sections",
            "must have at most 10 entries",
        ),
        schema(
            "list with 11 rows in total",
            m(list(
                json!([{"title": "A", "rows": rows("a", 6)}, {"title": "B", "rows": rows("b", 5)}]),
            )),
            "messages[0].interactive.action.sections[1].rows[4]",
            "goes past the limit of 10 rows",
        ),
        schema(
            "list section with no rows",
            m(list(json!([{"title": "A", "rows": []}]))),
            "messages[0].interactive.action.sections[0].rows",
            "must not be empty",
        ),
        schema(
            "section title 25 characters",
            m(set(
                list_message(),
                &format!("{I}/action/sections/1/title"),
                json!(chars(25)),
            )),
            "messages[0].interactive.action.sections[1].title",
            "must be at most 24 characters long",
        ),
        schema(
            "row title 25 characters",
            m(set(
                list_message(),
                &format!("{I}/action/sections/0/rows/1/title"),
                json!(wide(25)),
            )),
            "messages[0].interactive.action.sections[0].rows[1].title",
            "must be at most 24 characters long",
        ),
        schema(
            "row description 73 characters",
            m(set(
                list_message(),
                &format!("{I}/action/sections/1/rows/0/description"),
                json!(chars(73)),
            )),
            "messages[0].interactive.action.sections[1].rows[0].description",
            "must be at most 72 characters long",
        ),
        schema(
            "row id 201 characters",
            m(set(
                list_message(),
                &format!("{I}/action/sections/0/rows/0/id"),
                json!(chars(201)),
            )),
            "messages[0].interactive.action.sections[0].rows[0].id",
            "must be at most 200 characters long",
        ),
        schema(
            "row id missing",
            m(unset(
                list_message(),
                &format!("{I}/action/sections/0/rows/0/id"),
            )),
            "messages[0].interactive.action.sections[0].rows[0].id",
            "is required",
        ),
        semantic(
            "duplicate row ids across sections",
            m(set(
                list_message(),
                &format!("{I}/action/sections/1/rows/1/id"),
                json!("a-0"),
            )),
            "messages[0].interactive.action.sections[1].rows[1].id",
            "duplicates messages[0].interactive.action.sections[0].rows[0].id",
        ),
        // --- Interactive: products ---------------------------------------------------
        schema(
            "product without catalog_id",
            m(unset(product(), &format!("{I}/action/catalog_id"))),
            "messages[0].interactive.action.catalog_id",
            "is required",
        ),
        schema(
            "product without product_retailer_id",
            m(unset(product(), &format!("{I}/action/product_retailer_id"))),
            "messages[0].interactive.action.product_retailer_id",
            "is required",
        ),
        schema(
            "product_list without header",
            m(unset(product_list_message(), &format!("{I}/header"))),
            "messages[0].interactive.header",
            "is required",
        ),
        schema(
            "product_list without catalog_id",
            m(unset(
                product_list_message(),
                &format!("{I}/action/catalog_id"),
            )),
            "messages[0].interactive.action.catalog_id",
            "is required",
        ),
        schema(
            "product_list with 31 items in total",
            m(product_list(json!([
                {"title": "A", "product_items": items("a", 16)},
                {"title": "B", "product_items": items("b", 15)}
            ]))),
            "messages[0].interactive.action.sections[1].product_items[14]",
            "goes past the limit of 30 product items",
        ),
        schema(
            "product_list section without items",
            m(product_list(json!([{"title": "A", "product_items": []}]))),
            "messages[0].interactive.action.sections[0].product_items",
            "must not be empty",
        ),
        // --- Interactive: flow ---------------------------------------------------------
        schema(
            "flow without flow_id",
            m(unset(flow(), &format!("{I}/action/parameters/flow_id"))),
            "messages[0].interactive.action.parameters.flow_id",
            "is required",
        ),
        schema(
            "flow_cta 21 characters",
            m(set(
                flow(),
                &format!("{I}/action/parameters/flow_cta"),
                json!(chars(21)),
            )),
            "messages[0].interactive.action.parameters.flow_cta",
            "must be at most 20 characters long",
        ),
        schema(
            "flow_message_version 2",
            m(set(
                flow(),
                &format!("{I}/action/parameters/flow_message_version"),
                json!("2"),
            )),
            "messages[0].interactive.action.parameters.flow_message_version",
            "must be one of: 3",
        ),
        schema(
            "flow without parameters",
            m(unset(flow(), &format!("{I}/action/parameters"))),
            "messages[0].interactive.action.parameters",
            "is required",
        ),
        schema(
            "flow action.name not flow",
            m(set(flow(), &format!("{I}/action/name"), json!("cta_url"))),
            "messages[0].interactive.action.name",
            "must be one of: flow",
        ),
        schema(
            "flow payload data empty",
            m(set(
                flow(),
                &format!("{I}/action/parameters/flow_action_payload"),
                json!({"screen": "START", "data": {}}),
            )),
            "messages[0].interactive.action.parameters.flow_action_payload.data",
            "must not be empty",
        ),
        schema(
            "flow payload with data_exchange",
            m(set(
                set(
                    flow(),
                    &format!("{I}/action/parameters/flow_action"),
                    json!("data_exchange"),
                ),
                &format!("{I}/action/parameters/flow_action_payload"),
                json!({"screen": "START"}),
            )),
            "messages[0].interactive.action.parameters.flow_action_payload",
            "is not allowed when flow_action is data_exchange",
        ),
        schema(
            "flow mode unknown",
            m(set(
                flow(),
                &format!("{I}/action/parameters/mode"),
                json!("live"),
            )),
            "messages[0].interactive.action.parameters.mode",
            "must be one of: draft, published",
        ),
        schema(
            "url in flow parameters",
            m(set(
                flow(),
                &format!("{I}/action/parameters/url"),
                json!("https://example.com"),
            )),
            "messages[0].interactive.action.parameters.url",
            "is not allowed in a flow message",
        ),
        // --- Interactive: CTA URL and location request ---------------------------------
        schema(
            "cta_url without url",
            m(unset(cta_url(), &format!("{I}/action/parameters/url"))),
            "messages[0].interactive.action.parameters.url",
            "is required",
        ),
        schema(
            "cta_url url not http",
            m(set(
                cta_url(),
                &format!("{I}/action/parameters/url"),
                json!("mailto:shop@example.com"),
            )),
            "messages[0].interactive.action.parameters.url",
            "must be an http:// or https:// URL",
        ),
        schema(
            "cta_url display_text 21 characters",
            m(set(
                cta_url(),
                &format!("{I}/action/parameters/display_text"),
                json!(chars(21)),
            )),
            "messages[0].interactive.action.parameters.display_text",
            "must be at most 20 characters long",
        ),
        schema(
            "cta_url without display_text",
            m(unset(
                cta_url(),
                &format!("{I}/action/parameters/display_text"),
            )),
            "messages[0].interactive.action.parameters.display_text",
            "is required",
        ),
        schema(
            "location_request_message with action.name location",
            m(set(
                location_request(),
                &format!("{I}/action/name"),
                json!("location"),
            )),
            "messages[0].interactive.action.name",
            "must be one of: send_location",
        ),
        // --- Interactive: carousels ----------------------------------------------------
        schema(
            "carousel card_index 10",
            m(media_carousel(json!([
                media_card(0, "image"),
                media_card(10, "image")
            ]))),
            "messages[0].interactive.action.cards[1].card_index",
            "must be between 0 and 9",
        ),
        semantic(
            "carousel duplicate card_index",
            m(media_carousel(json!([
                media_card(1, "image"),
                media_card(1, "image")
            ]))),
            "messages[0].interactive.action.cards[1].card_index",
            "duplicates messages[0].interactive.action.cards[0].card_index",
        ),
        schema(
            "media carousel with mixed header types",
            m(media_carousel(json!([
                media_card(0, "image"),
                media_card(1, "video")
            ]))),
            "messages[0].interactive.action.cards[1].header.type",
            "must be the same as messages[0].interactive.action.cards[0].header.type",
        ),
        schema(
            "media carousel card body 161 characters",
            m(set(
                media_carousel_message(),
                &format!("{I}/action/cards/0/body/text"),
                json!(wide(161)),
            )),
            "messages[0].interactive.action.cards[0].body.text",
            "must be at most 160 characters long",
        ),
        schema(
            "media carousel card body with 3 line breaks",
            m(set(
                media_carousel_message(),
                &format!("{I}/action/cards/1/body/text"),
                json!("a\nb\nc\nd"),
            )),
            "messages[0].interactive.action.cards[1].body.text",
            "must have at most 2 line breaks",
        ),
        schema(
            "media carousel card display_text 21 characters",
            m(set(
                media_carousel_message(),
                &format!("{I}/action/cards/0/action/parameters/display_text"),
                json!(chars(21)),
            )),
            "messages[0].interactive.action.cards[0].action.parameters.display_text",
            "must be at most 20 characters long",
        ),
        schema(
            "media carousel card header missing",
            m(unset(
                media_carousel_message(),
                &format!("{I}/action/cards/1/header"),
            )),
            "messages[0].interactive.action.cards[1].header",
            "is required",
        ),
        schema(
            "carousel with 11 cards",
            m(media_carousel(json!(
                (0..11)
                    .map(|i| media_card(i % 10, "image"))
                    .collect::<Vec<_>>()
            ))),
            "messages[0].interactive.action.cards",
            "must have at most 10 entries",
        ),
        schema(
            "carousel with one card",
            m(media_carousel(json!([media_card(0, "image")]))),
            "messages[0].interactive.action.cards",
            "must have at least 2 entries",
        ),
        schema(
            "product carousel card without catalog_id",
            m(unset(
                product_carousel_message(),
                &format!("{I}/action/cards/1/action/catalog_id"),
            )),
            "messages[0].interactive.action.cards[1].action.catalog_id",
            "is required",
        ),
        schema(
            "carousel mixing product and media cards",
            m(media_carousel(json!([
                media_card(0, "image"),
                product_card(1)
            ]))),
            "messages[0].interactive.action.cards[1].type",
            "must be the same as messages[0].interactive.action.cards[0].type",
        ),
        schema(
            "media carousel card with a text header",
            m(set(
                media_carousel_message(),
                &format!("{I}/action/cards/0/header"),
                json!({"type": "text", "text": "Hi"}),
            )),
            "messages[0].interactive.action.cards[0].header.type",
            "must be one of: image, video",
        ),
        schema(
            "media carousel card action.name wrong",
            m(set(
                media_carousel_message(),
                &format!("{I}/action/cards/1/action/name"),
                json!("url"),
            )),
            "messages[0].interactive.action.cards[1].action.name",
            "must be one of: cta_url",
        ),
    ]
}

on_backends!(every_invalid_request_is_refused_with_the_field_path_and_the_rule);
async fn every_invalid_request_is_refused_with_the_field_path_and_the_rule(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let cases = cases(&tenant);
    let total = cases.len();
    assert!(total >= 70, "only {total} cases");
    let mut names = std::collections::HashSet::new();
    for case in &cases {
        assert!(names.insert(case.name), "two cases are named {}", case.name);
    }
    let failures = run(&app, &tenant, cases).await;
    assert!(
        failures.is_empty(),
        "{} of {total} invalid requests got the wrong answer:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

on_backends!(every_base_message_is_accepted);
/// Every base the cases break is itself valid, so each case fails for the
/// one thing it changes.
async fn every_base_message_is_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let mut failures = Vec::new();
    for (name, message) in valid_messages() {
        let (status, answer) = app.send(&tenant, &one(&tenant, message)).await;
        if status != 200 || answer["resultCode"] != 112001 {
            failures.push(format!("{name}: got {status} {answer}"));
        }
    }
    assert!(
        failures.is_empty(),
        "valid messages refused:\n{}",
        failures.join("\n")
    );
}

on_backends!(requests_exactly_at_every_limit_are_accepted);
/// A request exactly at every limit is accepted (the invalid cases sit one
/// past it).
async fn requests_exactly_at_every_limit_are_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let t = &tenant;
    let m = |message: Value| one(t, message);
    let thousand: Vec<String> = (0..1000).map(|i| format!("+4670{i:07}")).collect();
    let thousand: Vec<&str> = thousand.iter().map(String::as_str).collect();
    let mut ten_messages = base(t);
    ten_messages["messages"] = json!(vec![text_message(json!("hi")); 10]);

    let at_limits: Vec<(&str, Value)> = vec![
        ("1000 destinations", to(t, &thousand)),
        ("10 messages", ten_messages),
        ("refId 256 characters", with(t, "refId", json!(chars(256)))),
        (
            "relativeValidityTime 1",
            with(t, "relativeValidityTime", json!(1)),
        ),
        (
            "relativeValidityTime 30 days",
            with(t, "relativeValidityTime", json!(2_592_000_000_i64)),
        ),
        (
            "customParameters value 4096 characters",
            with(t, "customParameters", json!({"long": chars(4096)})),
        ),
        ("MSISDN of 15 digits", to(t, &["+467012345678901"])),
        (
            "BSUID id of 128 characters",
            to(t, &[&format!("SE.ENT.{}", "1".repeat(128))]),
        ),
        (
            "text body 4096 characters",
            m(text_message(json!(wide(4096)))),
        ),
        (
            "image caption 1024 characters",
            m(set(image(), "/image/caption", json!(wide(1024)))),
        ),
        (
            "latitude 90, longitude -180",
            m(set(
                set(location(), "/location/latitude", json!(90)),
                "/location/longitude",
                json!(-180),
            )),
        ),
        (
            "latitude -90, longitude 180",
            m(set(
                set(location(), "/location/latitude", json!("-90")),
                "/location/longitude",
                json!("180"),
            )),
        ),
        (
            "template header text 60 characters",
            m(set(
                full_template(),
                "/template/components/0/parameters/0/text",
                json!(chars(60)),
            )),
        ),
        (
            "template button index 9",
            m(set(
                full_template(),
                "/template/components/2/index",
                json!(9),
            )),
        ),
        (
            "coupon_code as in LINK's example (19 characters)",
            m(set(
                full_template(),
                "/template/components/4/parameters/0/coupon_code",
                json!("example-coupon-code"),
            )),
        ),
        (
            "dateTime as timestamp alone",
            m(set(
                full_template(),
                "/template/components/1/parameters/2/dateTime",
                json!({"fallbackValue": "now", "timestamp": "1700000000000"}),
            )),
        ),
        (
            "interactive body 1024, footer 60, header 60 characters",
            m(set(
                set(
                    set(
                        button_message(),
                        &format!("{I}/body/text"),
                        json!(wide(1024)),
                    ),
                    &format!("{I}/footer/text"),
                    json!(chars(60)),
                ),
                &format!("{I}/header/text"),
                json!(wide(60)),
            )),
        ),
        (
            "3 buttons, titles 20 and ids 256 characters",
            m(buttons(json!([
                reply(chars(256), wide(20)),
                reply("2", "Two"),
                reply("3", "Three")
            ]))),
        ),
        ("one button", m(buttons(json!([reply("1", "One")])))),
        (
            "10 rows in 10 sections, button 20 characters",
            m(set(
                list(json!(
                    (0..10)
                        .map(
                            |i| json!({"title": format!("S{i}"), "rows": rows(&format!("s{i}"), 1)})
                        )
                        .collect::<Vec<_>>()
                )),
                &format!("{I}/action/button"),
                json!(chars(20)),
            )),
        ),
        (
            "10 rows in one section",
            m(list(json!([{"title": "All", "rows": rows("a", 10)}]))),
        ),
        (
            "section title 24, row title 24, description 72, id 200 characters",
            m(list(json!([{"title": wide(24), "rows": [
                {"id": chars(200), "title": wide(24), "description": wide(72)}
            ]}]))),
        ),
        (
            "30 products across sections",
            m(product_list(json!([
                {"title": "A", "product_items": items("a", 15)},
                {"title": "B", "product_items": items("b", 15)}
            ]))),
        ),
        (
            "flow_cta 20 characters",
            m(set(
                flow(),
                &format!("{I}/action/parameters/flow_cta"),
                json!(chars(20)),
            )),
        ),
        (
            "flow_message_version as a number",
            m(set(
                flow(),
                &format!("{I}/action/parameters/flow_message_version"),
                json!(3),
            )),
        ),
        (
            "cta_url display_text 20 characters",
            m(set(
                cta_url(),
                &format!("{I}/action/parameters/display_text"),
                json!(wide(20)),
            )),
        ),
        (
            "carousel of 10 cards, card_index 0 to 9",
            m(media_carousel(json!(
                (0..10).map(|i| media_card(i, "video")).collect::<Vec<_>>()
            ))),
        ),
        (
            "card body 160 characters with 2 line breaks",
            m(set(
                media_carousel_message(),
                &format!("{I}/action/cards/0/body/text"),
                json!(format!("{}\n{}\n{}", chars(52), chars(52), chars(54))),
            )),
        ),
        (
            "card display_text 20 characters",
            m(set(
                media_carousel_message(),
                &format!("{I}/action/cards/1/action/parameters/display_text"),
                json!(chars(20)),
            )),
        ),
    ];
    let mut failures = Vec::new();
    for (name, body) in at_limits {
        let (status, answer) = app.send(t, &body).await;
        if status != 200 || answer["resultCode"] != 112001 {
            failures.push(format!("{name}: got {status} {answer}"));
        }
    }
    assert!(
        failures.is_empty(),
        "requests at the limits refused:\n{}",
        failures.join("\n")
    );
}

on_backends!(accept_language_fills_translated_description_and_keeps_the_path);
async fn accept_language_fills_translated_description_and_keeps_the_path(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let body = one(&tenant, text_message(json!(chars(4097)))).to_string();

    let (status, answer) = app
        .send_raw(&tenant, body.clone(), Some("sv-SE,sv;q=0.9,en;q=0.5"))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["resultCode"], 112506);
    assert_eq!(
        answer["description"],
        "messages[0].text.body: must be at most 4096 characters long"
    );
    let translated = answer["translatedDescription"]
        .as_str()
        .unwrap_or_else(|| panic!("no translation: {answer}"));
    assert!(translated.contains("messages[0].text.body"), "{translated}");
    assert!(translated.contains("4096"), "{translated}");
    assert_ne!(
        translated,
        answer["description"].as_str().unwrap_or_default(),
        "not translated"
    );

    let (status, answer) = app.send_raw(&tenant, body.clone(), None).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        answer["description"],
        "messages[0].text.body: must be at most 4096 characters long"
    );
    assert_eq!(answer["translatedDescription"], Value::Null, "{answer}");

    let (_, answer) = app.send_raw(&tenant, body, Some("fr-FR")).await;
    assert_eq!(answer["translatedDescription"], Value::Null, "{answer}");
}

on_backends!(a_schema_violation_wins_over_a_semantic_one);
/// Several violations at once: a schema violation is reported before a
/// semantic one, whatever their order in the request.
async fn a_schema_violation_wins_over_a_semantic_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let body = request(&tenant, &[TO, TO], text(&chars(4097)));
    let (status, answer) = app.send(&tenant, &body).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["resultCode"], 112506, "{answer}");
    assert!(
        answer["description"]
            .as_str()
            .unwrap_or_default()
            .contains("messages[0].text.body"),
        "{answer}"
    );
}

on_backends!(unknown_paths_and_methods_and_oversized_bodies_answer_in_the_dialects_error_body);
/// Failures of the HTTP exchange itself (no such path or method, a body
/// over `--max-body-bytes`) answer LINK's `ErrorResponse` under
/// `/whatsapp-message` and the Devino rejection under `/whatsapp/v2`.
async fn unknown_paths_and_methods_and_oversized_bodies_answer_in_the_dialects_error_body(
    backend: Backend,
) {
    let app = common::spawn_app_with(backend, &["--max-body-bytes", "1024"]).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    let call = |method: reqwest::Method, path: &str| {
        app.client
            .request(method, format!("{}{path}", app.base))
            .basic_auth(&tenant.username, Some(&tenant.password))
    };
    let link_cases = [
        (
            reqwest::Method::GET,
            "/whatsapp-message/nowhere",
            404,
            "no such endpoint: GET /whatsapp-message/nowhere",
        ),
        (
            reqwest::Method::POST,
            "/whatsapp-message",
            404,
            "no such endpoint: POST /whatsapp-message",
        ),
        (
            reqwest::Method::GET,
            "/whatsapp-message/messages",
            405,
            "/whatsapp-message/messages does not take GET",
        ),
        (
            reqwest::Method::DELETE,
            "/whatsapp-message/messages/abc",
            405,
            "does not take DELETE",
        ),
    ];
    for (method, path, status, description) in link_cases {
        let response = call(method.clone(), path).send().await.expect("request");
        let allow = response.headers().get("allow").cloned();
        let (got, answer) = common::read(response).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        assert_eq!(answer["resultCode"], 112402, "{method} {path}: {answer}");
        assert!(
            answer["description"]
                .as_str()
                .is_some_and(|text| text.contains(description)),
            "{method} {path}: {answer}"
        );
        if status == 405 {
            assert!(allow.is_some(), "{method} {path}: no Allow header");
        }
    }

    // A body over the limit: 413, not "Invalid JSON"; translated on request.
    let big = format!("{{\"refId\": \"{}\"}}", "x".repeat(2000));
    let (status, answer) = app.send_raw(&tenant, big.clone(), Some("sv")).await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["resultCode"], 112402, "{answer}");
    assert_eq!(answer["description"], "the body is larger than 1024 bytes");
    assert_eq!(
        answer["translatedDescription"],
        "kroppen är större än 1024 byte"
    );
    // A body within the limit is read as before.
    let (status, answer) = app.send_raw(&tenant, "{", None).await;
    assert_eq!(
        (status, &answer["resultCode"]),
        (400, &json!(112505)),
        "{answer}"
    );

    // The Devino base path: JSON in the spec's rejection shape.
    for (method, path) in [
        (reqwest::Method::POST, "/whatsapp/v2/statuses"),
        (reqwest::Method::GET, "/whatsapp/v2/nowhere"),
    ] {
        let (status, answer) = common::read(
            app.client
                .request(method.clone(), format!("{}{path}", app.base))
                .body(big.clone())
                .send()
                .await
                .expect("request"),
        )
        .await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
        assert_eq!(answer["code"], "REJECTED", "{answer}");
        assert_eq!(answer["reasons"], json!([{"key": "unknown"}]), "{answer}");
        assert_eq!(
            answer["description"],
            format!("no such endpoint: {method} {path}")
        );
    }
    // A Devino body over the limit: 413, `length.too.long`.
    let (status, answer) = app
        .devino_raw(
            "/messages",
            Some(&format!("Key {}", tenant.api_key)),
            None,
            big,
        )
        .await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(
        answer["reasons"],
        json!([{"key": "length.too.long"}]),
        "{answer}"
    );
    assert_eq!(answer["description"], "the body is larger than 1024 bytes");
}
