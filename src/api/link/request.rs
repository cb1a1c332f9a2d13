//! LINK's `MessageRequest`: the body of `POST /messages` as clients send it,
//! and its checking into a [`ValidRequest`] of domain types.
//!
//! Every field is optional at the serde level so that a missing required
//! field is reported like any other rule ("`refId`: is required") with its
//! path, instead of serde's message about the whole object.
//!
//! Numbers (`source`, `destinations`) may be in local form, as LINK's
//! MSISDN allows: they are read in the account's default country, and
//! refused without one (see [`Msisdn::parse_dialled`]).
//!
//! Limits LINK's tables do not state are wagate's own, chosen so one request
//! stays one reasonable transaction: see the `MAX_*` constants, and the
//! flags in [`RequestLimits`].

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value};
use wagate_domain::message::{Message, ValidMessage};
use wagate_domain::validity;
use wagate_domain::violation::Path;
use wagate_domain::{Country, Destination, Msisdn, Priority, Rule, Violation};

use crate::clock::parse_rfc3339;
use crate::store::{KeyValues, Millis, PlatformFields};

/// Destinations in one request.
pub const MAX_DESTINATIONS: usize = 1000;
/// Messages in one request.
pub const MAX_MESSAGES: usize = 10;
/// Gates in `eventReportGates`.
pub const MAX_GATES: usize = 10;
/// Length of `refId`, the platform fields and custom parameter keys.
pub const MAX_ID_LEN: usize = 256;
/// Entries of `customParameters`.
pub const MAX_CUSTOM_PARAMETERS: usize = 100;
/// Length of one custom parameter value.
pub const MAX_CUSTOM_VALUE_LEN: usize = 4096;

/// What one request may ask for, as the flags set it.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// Longest validity, in milliseconds (`--max-validity`).
    pub max_validity_ms: Millis,
    /// Most parts, destinations × messages (`--max-parts-per-request`).
    pub max_parts: usize,
    /// Most bytes of Cloud API bodies, all parts together
    /// (`--max-rendered-bytes-per-request`).
    pub max_rendered_bytes: usize,
}

/// LINK's `MessageRequest`: one or more messages to one or more
/// destinations.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "platformId": "yourPlatformId",
    "platformPartnerId": "yourPlatformPartnerId",
    "priority": "NORMAL",
    "refId": "yourRefId",
    "source": "+460000000000",
    "destinations": ["+460000000001"],
    "messages": [{"type": "text", "text": {"body": "Hello"}}]
}))]
pub struct MessageRequest {
    /// Platform id used for this transaction (the user's own).
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 256,
        example = "yourPlatformId"
    )]
    platform_id: Option<String>,
    /// Platform partner id used for this transaction (the user's own).
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 256,
        example = "yourPlatformPartnerId"
    )]
    platform_partner_id: Option<String>,
    #[schema(max_length = 256)]
    platform_service_id: Option<String>,
    #[schema(max_length = 256)]
    platform_service_type: Option<String>,
    #[schema(max_length = 256)]
    platform_transaction_id: Option<String>,
    /// `LOW`, `NORMAL` or `HIGH` (any case).
    #[schema(required = true, nullable = false, schema_with = priority_schema)]
    priority: Option<String>,
    /// How long the message lives, in milliseconds (at most
    /// `--max-validity`).
    #[schema(minimum = 1, example = 86400000)]
    relative_validity_time: Option<i64>,
    /// When the message expires (RFC 3339); has precedence over
    /// `relativeValidityTime`. The default is 48 hours ahead.
    #[schema(format = DateTime, example = "2026-03-18T16:49:21Z")]
    absolute_validity_time: Option<String>,
    /// Gates (of this account) to send delivery reports to.
    #[schema(max_items = 10, example = json!(["v08kM29P"]))]
    event_report_gates: Option<Vec<String>>,
    /// The client's reference, echoed in every delivery report.
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 256,
        example = "yourRefId"
    )]
    ref_id: Option<String>,
    /// Strings, numbers or booleans (kept as text), echoed in every
    /// delivery report.
    #[schema(schema_with = custom_parameters_schema)]
    custom_parameters: Option<Map<String, Value>>,
    /// The business number (E.164, or local in the account's country).
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 256,
        example = "+460000000000"
    )]
    source: Option<String>,
    /// Phone numbers (MSISDN) or BSUIDs, each once.
    #[schema(required = true, nullable = false, min_items = 1, max_items = 1000,
        example = json!(["+460000000001", "+460000000002"]))]
    destinations: Option<Vec<String>>,
    #[schema(required = true, nullable = false, min_items = 1, max_items = 10)]
    messages: Option<Vec<Message>>,
}

/// `priority`: one of LINK's names.
fn priority_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Priority::NAMES.iter().copied()))
        .examples(["NORMAL"])
        .build()
}

/// `customParameters`: LINK's `KeyValueTypes`.
fn custom_parameters_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let value = ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([
            Type::String,
            Type::Number,
            Type::Boolean,
        ]))
        .max_length(Some(MAX_CUSTOM_VALUE_LEN));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(MAX_ID_LEN)),
        ))
        .additional_properties(Some(value))
        .max_properties(Some(MAX_CUSTOM_PARAMETERS))
        .examples([serde_json::json!({"yourCustomKey1": "yourCustomValue1"})])
        .build()
}

/// A request whose every field has been checked.
#[derive(Debug)]
pub struct ValidRequest {
    pub platform_id: String,
    pub platform_partner_id: String,
    pub platform: PlatformFields,
    pub priority: Priority,
    pub expires_at: Millis,
    pub gate_ids: Vec<String>,
    pub ref_id: String,
    pub custom_parameters: KeyValues,
    pub source: Msisdn,
    pub destinations: Vec<Destination>,
    pub messages: Vec<ValidMessage>,
}

/// Collects violations while a request is checked.
#[derive(Default)]
struct Checker(Vec<Violation>);

impl Checker {
    fn fail(&mut self, path: &str, rule: Rule) {
        self.0.push(Violation::new(path, rule));
    }

    /// A required, non-empty string of at most `max` characters.
    fn required_text(&mut self, path: &str, value: Option<String>, max: usize) -> String {
        match value {
            None => self.fail(path, Rule::Required),
            Some(text) if text.trim().is_empty() => self.fail(path, Rule::NotEmpty),
            Some(text) => {
                self.max_length(path, &text, max);
                return text;
            }
        }
        String::new()
    }

    fn max_length(&mut self, path: &str, text: &str, max: usize) {
        if text.chars().count() > max {
            self.fail(path, Rule::MaxLength(max));
        }
    }

    fn required_list<T>(&mut self, path: &str, value: Option<Vec<T>>, max: usize) -> Vec<T> {
        match value {
            None => self.fail(path, Rule::Required),
            Some(list) if list.is_empty() => self.fail(path, Rule::MinItems(1)),
            Some(list) if list.len() > max => self.fail(path, Rule::MaxItems(max)),
            Some(list) => return list,
        }
        Vec::new()
    }
}

impl MessageRequest {
    /// Checks the request as of `now`, within `limits` (the rendered bytes
    /// are counted later, when rendering), with numbers in local form read
    /// in `default_country`; all violations found, schema ones first in the
    /// order of the fields.
    pub fn validate(
        self,
        now: Millis,
        limits: &RequestLimits,
        default_country: Option<Country>,
    ) -> Result<ValidRequest, Vec<Violation>> {
        let mut check = Checker::default();
        let platform_id = check.required_text("platformId", self.platform_id, MAX_ID_LEN);
        let platform_partner_id =
            check.required_text("platformPartnerId", self.platform_partner_id, MAX_ID_LEN);
        for (path, value) in [
            ("platformServiceId", &self.platform_service_id),
            ("platformServiceType", &self.platform_service_type),
            ("platformTransactionId", &self.platform_transaction_id),
        ] {
            if let Some(text) = value {
                check.max_length(path, text, MAX_ID_LEN);
            }
        }
        let priority = match self.priority.as_deref() {
            None => {
                check.fail("priority", Rule::Required);
                Priority::Normal
            }
            Some(text) => Priority::parse(&text.to_ascii_uppercase()).unwrap_or_else(|| {
                check.fail("priority", Rule::OneOf(Priority::NAMES));
                Priority::Normal
            }),
        };
        let expires_at = validity(
            &mut check,
            now,
            self.relative_validity_time,
            self.absolute_validity_time.as_deref(),
            limits.max_validity_ms,
        );
        let gate_ids = self.event_report_gates.unwrap_or_default();
        if gate_ids.len() > MAX_GATES {
            check.fail("eventReportGates", Rule::MaxItems(MAX_GATES));
        }
        let mut first_gate = HashMap::new();
        for (index, gate) in gate_ids.iter().enumerate() {
            let path = format!("eventReportGates[{index}]");
            if gate.trim().is_empty() {
                check.fail(&path, Rule::NotEmpty);
            } else if let Some(first) = first_gate.insert(gate.as_str(), index) {
                check.fail(
                    &path,
                    Rule::Duplicate {
                        first: format!("eventReportGates[{first}]"),
                    },
                );
            }
        }
        let ref_id = check.required_text("refId", self.ref_id, MAX_ID_LEN);
        let custom_parameters = custom_parameters(&mut check, self.custom_parameters);
        let source = match check.required_text("source", self.source, MAX_ID_LEN) {
            text if text.is_empty() => None,
            text => Msisdn::parse_dialled(&text, default_country)
                .map_err(|rule| check.fail("source", rule))
                .ok(),
        };
        let destinations = check.required_list("destinations", self.destinations, MAX_DESTINATIONS);
        let destination_count = destinations.len();
        let destinations = parse_destinations(&mut check, &destinations, default_country);
        let messages = check.required_list("messages", self.messages, MAX_MESSAGES);
        if destination_count.saturating_mul(messages.len()) > limits.max_parts {
            check.fail("destinations", Rule::MaxParts(limits.max_parts));
        }
        let mut valid_messages = Vec::with_capacity(messages.len());
        for (index, message) in messages.into_iter().enumerate() {
            match message.validate(&Path::root("messages").index(index)) {
                Ok(valid) => valid_messages.push(valid),
                Err(violations) => check.0.extend(violations),
            }
        }
        let (Some(source), true) = (source, check.0.is_empty()) else {
            return Err(check.0);
        };
        Ok(ValidRequest {
            platform_id,
            platform_partner_id,
            platform: PlatformFields {
                platform_service_id: self.platform_service_id,
                platform_service_type: self.platform_service_type,
                platform_transaction_id: self.platform_transaction_id,
            },
            priority,
            expires_at,
            gate_ids,
            ref_id,
            custom_parameters,
            source,
            destinations,
            messages: valid_messages,
        })
    }
}

/// When the message expires (see [`wagate_domain::validity`]); `now` when
/// the fields break a rule.
fn validity(
    check: &mut Checker,
    now: Millis,
    relative: Option<i64>,
    absolute: Option<&str>,
    max_ms: Millis,
) -> Millis {
    let absolute = absolute.map(parse_rfc3339);
    let expires_at = validity::expires_at(now, relative, absolute.flatten(), max_ms)
        .unwrap_or_else(|violations| {
            check.0.extend(violations);
            now
        });
    if matches!(absolute, Some(None)) {
        check.fail(
            "absoluteValidityTime",
            Rule::Format("an RFC 3339 date, e.g. 2026-03-18T16:49:21Z"),
        );
        return now;
    }
    expires_at
}

/// LINK's `KeyValue`: strings; numbers and booleans are taken as their text.
fn custom_parameters(check: &mut Checker, parameters: Option<Map<String, Value>>) -> KeyValues {
    let parameters = parameters.unwrap_or_default();
    if parameters.len() > MAX_CUSTOM_PARAMETERS {
        check.fail("customParameters", Rule::MaxItems(MAX_CUSTOM_PARAMETERS));
    }
    let mut kept = KeyValues::new();
    for (key, value) in parameters {
        let path = format!("customParameters.{key}");
        if key.chars().count() > MAX_ID_LEN {
            check.fail(&path, Rule::Format("a key of at most 256 characters"));
            continue;
        }
        let text = match value {
            Value::String(text) => text,
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            Value::Null | Value::Array(_) | Value::Object(_) => {
                check.fail(&path, Rule::Format("a string, number or boolean"));
                continue;
            }
        };
        if text.chars().count() > MAX_CUSTOM_VALUE_LEN {
            check.fail(&path, Rule::MaxLength(MAX_CUSTOM_VALUE_LEN));
        }
        kept.insert(key, text);
    }
    kept
}

/// Parses each destination (numbers in local form read in
/// `default_country`) and refuses repeats (after normalisation, so
/// `+46 70 123 45 67` repeats `+46701234567`).
fn parse_destinations(
    check: &mut Checker,
    raw: &[String],
    default_country: Option<Country>,
) -> Vec<Destination> {
    let mut parsed = Vec::with_capacity(raw.len());
    let mut first_seen: HashMap<Destination, usize> = HashMap::with_capacity(raw.len());
    for (index, text) in raw.iter().enumerate() {
        let path = format!("destinations[{index}]");
        match Destination::parse(text, default_country) {
            Err(rule) => check.fail(&path, rule),
            Ok(destination) => match first_seen.get(&destination) {
                Some(first) => check.fail(
                    &path,
                    Rule::Duplicate {
                        first: format!("destinations[{first}] ({destination})"),
                    },
                ),
                None => {
                    first_seen.insert(destination.clone(), index);
                    parsed.push(destination);
                }
            },
        }
    }
    parsed
}
