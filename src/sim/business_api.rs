//! The simulator's Graph API answers about business numbers:
//!
//! - `GET /{version}/{phone-number-id}/whatsapp_business_profile`:
//!   `{"data": [{"messaging_product": "whatsapp", …}]}`.
//! - `POST` the same: sets the fields given, checked against Meta's limits
//!   (`about` 1–139 characters, `address` and `description` at most 256,
//!   `email` an address of at most 128, at most 2 `websites` of at most 256
//!   starting `http://` or `https://`, `vertical` one of Meta's);
//!   `{"success": true}`.
//! - `GET /{version}/{phone-number-id}`: the phone number node; its
//!   `throughput.level` is the level the number was registered with.
//! - `GET /{version}/{waba-id}?fields=pricing_analytics.start(S).end(E).granularity(DAILY).phone_numbers([…])…`:
//!   the messages the simulator delivered, per UTC day, by pricing
//!   category and type.
//!
//! Only registered numbers (and their WABAs) are known; each call wants a
//! bearer token.

use std::collections::HashMap;

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::Sim;
use super::business::PRICING;
use super::meta_error::MetaError;
use super::template_api::{answer, graph_call, json_body};

/// Meta's business verticals.
const VERTICALS: [&str; 21] = [
    "OTHER",
    "AUTO",
    "BEAUTY",
    "APPAREL",
    "EDU",
    "ENTERTAIN",
    "EVENT_PLAN",
    "FINANCE",
    "GROCERY",
    "GOVT",
    "HOTEL",
    "HEALTH",
    "NONPROFIT",
    "PROF_SERVICES",
    "RETAIL",
    "TRAVEL",
    "RESTAURANT",
    "ALCOHOL",
    "ONLINE_GAMBLING",
    "PHYSICAL_GAMBLING",
    "OTC_DRUGS",
];

impl Sim {
    pub(super) fn business_profile(
        &self,
        version: &str,
        phone_number_id: &str,
        token: Option<&str>,
    ) -> Response {
        let path = format!("{phone_number_id}/whatsapp_business_profile");
        answer(graph_call(version, &path, token).and_then(|()| {
            let mut state = self.state();
            state.count_business_call();
            state
                .number(phone_number_id)
                .ok_or_else(|| MetaError::no_such_object(phone_number_id))?;
            let mut profile = Map::new();
            profile.insert("messaging_product".into(), "whatsapp".into());
            profile.extend(state.business.profile(phone_number_id));
            Ok(json!({"data": [profile]}))
        }))
    }

    pub(super) fn update_business_profile(
        &self,
        version: &str,
        phone_number_id: &str,
        token: Option<&str>,
        raw: &[u8],
    ) -> Response {
        let path = format!("{phone_number_id}/whatsapp_business_profile");
        answer(graph_call(version, &path, token).and_then(|()| {
            self.state().count_business_call();
            let fields = check_profile(json_body(raw)?)?;
            let mut state = self.state();
            state
                .number(phone_number_id)
                .ok_or_else(|| MetaError::no_such_object(phone_number_id))?;
            state.business.update_profile(phone_number_id, fields);
            Ok(json!({"success": true}))
        }))
    }

    /// `GET /{version}/{id}` when `id` is a registered phone number or a
    /// WABA of one; `None` for anything else.
    pub(super) fn number_node(
        &self,
        version: &str,
        id: &str,
        token: Option<&str>,
        fields: Option<&str>,
    ) -> Option<Response> {
        let mut state = self.state();
        let known = state.number(id).is_some() || state.numbers_of_waba(id).next().is_some();
        if known {
            state.count_business_call();
        }
        if let Some(number) = state.number(id) {
            let digits = number.digits.clone().unwrap_or_else(|| id.to_owned());
            let node = json!({
                "id": id,
                "display_phone_number": format!("+{digits}"),
                "verified_name": format!("Sandbox {digits}"),
                "quality_rating": "GREEN",
                "messaging_limit_tier": "TIER_250",
                "name_status": "APPROVED",
                "code_verification_status": "VERIFIED",
                "throughput": {"level": number.level},
                "health_status": {
                    "can_send_message": "AVAILABLE",
                    "entities": [
                        {"entity_type": "PHONE_NUMBER", "id": id, "can_send_message": "AVAILABLE"},
                        {"entity_type": "WABA", "id": number.waba_id, "can_send_message": "AVAILABLE"},
                    ],
                },
            });
            let node = only_fields(node, fields);
            return Some(answer(graph_call(version, id, token).map(|()| node)));
        }
        let numbers: Vec<(String, Option<String>)> = state
            .numbers_of_waba(id)
            .map(|(phone_number_id, entry)| (phone_number_id.clone(), entry.digits.clone()))
            .collect();
        if numbers.is_empty() {
            return None;
        }
        let result = graph_call(version, id, token).and_then(|()| {
            let Some(fields) = fields.filter(|fields| fields.contains("pricing_analytics")) else {
                return Ok(json!({"id": id}));
            };
            let request = AnalyticsRequest::parse(fields)?;
            let mut points = Vec::new();
            for (phone_number_id, digits) in &numbers {
                let digits = digits.as_deref().unwrap_or(phone_number_id);
                if request
                    .phone_numbers
                    .as_ref()
                    .is_some_and(|wanted| !wanted.iter().any(|wanted| wanted == digits))
                {
                    continue;
                }
                for (day, counts) in
                    state
                        .business
                        .delivered_between(phone_number_id, request.start, request.end)
                {
                    for ((category, kind), volume) in PRICING.iter().zip(counts) {
                        if volume > 0 {
                            points.push(json!({
                                "start": day * 86_400,
                                "end": (day + 1) * 86_400,
                                "phone_number": digits,
                                "pricing_category": category,
                                "pricing_type": kind,
                                "volume": volume,
                            }));
                        }
                    }
                }
            }
            Ok(json!({"pricing_analytics": {"data": [{"data_points": points}]}, "id": id}))
        });
        Some(answer(result))
    }
}

/// The node with only the comma-separated `fields` (and `id`), when given.
fn only_fields(node: Value, fields: Option<&str>) -> Value {
    let (Some(fields), Value::Object(node)) = (fields, &node) else {
        return node;
    };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    Value::Object(
        node.iter()
            .filter(|(key, _)| key.as_str() == "id" || wanted.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    )
}

/// Meta's limits on a profile update; the fields to set.
fn check_profile(body: Value) -> Result<Map<String, Value>, MetaError> {
    let Value::Object(mut body) = body else {
        return Err(MetaError::invalid_parameter(
            "The request body must be a JSON object",
        ));
    };
    if body.remove("messaging_product") != Some(Value::from("whatsapp")) {
        return Err(MetaError::invalid_parameter(
            "The parameter messaging_product is required and must be \"whatsapp\".",
        ));
    }
    for (field, value) in &body {
        let text = |max: usize, min: usize| -> Result<(), MetaError> {
            let length = value.as_str().map(|text| text.chars().count());
            match length {
                Some(length) if (min..=max).contains(&length) => Ok(()),
                Some(_) => Err(MetaError::invalid_parameter(format!(
                    "Param {field} must be between {min} and {max} characters long."
                ))),
                None => Err(MetaError::invalid_parameter(format!(
                    "Param {field} must be a string."
                ))),
            }
        };
        match field.as_str() {
            "about" => text(139, 1)?,
            "address" | "description" => text(256, 0)?,
            "email" => {
                text(128, 0)?;
                let email = value.as_str().unwrap_or_default();
                let valid = email.is_empty()
                    || email.split_once('@').is_some_and(|(user, domain)| {
                        !user.is_empty()
                            && domain.contains('.')
                            && !email.contains(char::is_whitespace)
                    });
                if !valid {
                    return Err(MetaError::invalid_parameter(
                        "Param email must be a valid email address.",
                    ));
                }
            }
            "vertical" => {
                if !value
                    .as_str()
                    .is_some_and(|vertical| VERTICALS.contains(&vertical))
                {
                    return Err(MetaError::invalid_parameter(format!(
                        "Param vertical must be one of {{{}}}.",
                        VERTICALS.join(", ")
                    )));
                }
            }
            "websites" => {
                let websites = value.as_array().ok_or_else(|| {
                    MetaError::invalid_parameter("Param websites must be an array.")
                })?;
                if websites.len() > 2 {
                    return Err(MetaError::invalid_parameter(
                        "Param websites must have at most 2 entries.",
                    ));
                }
                let url = |site: &Value| {
                    site.as_str().is_some_and(|site| {
                        site.chars().count() <= 256
                            && (site.starts_with("http://") || site.starts_with("https://"))
                    })
                };
                if !websites.iter().all(url) {
                    return Err(MetaError::invalid_parameter(
                        "Param websites must hold URLs starting with http:// or https://, each at most 256 characters long.",
                    ));
                }
            }
            "profile_picture_handle" => text(4096, 1)?,
            other => {
                return Err(MetaError::invalid_parameter(format!(
                    "Param {other} is not a valid parameter."
                )));
            }
        }
    }
    Ok(body)
}

/// `pricing_analytics.start(S).end(E).granularity(G).phone_numbers([…])…`.
#[derive(Debug, PartialEq, Eq)]
struct AnalyticsRequest {
    start: i64,
    end: i64,
    phone_numbers: Option<Vec<String>>,
}

impl AnalyticsRequest {
    fn parse(fields: &str) -> Result<Self, MetaError> {
        let field = fields
            .split_once("pricing_analytics")
            .map_or("", |(_, rest)| rest);
        let mut modifiers: HashMap<&str, &str> = HashMap::new();
        let mut rest = field;
        while let Some(after_dot) = rest.strip_prefix('.') {
            let (name, after_name) = after_dot.split_once('(').ok_or_else(|| {
                MetaError::invalid_parameter(
                    "Syntax error in pricing_analytics: expected name(value)",
                )
            })?;
            let (value, after_value) = after_name.split_once(')').ok_or_else(|| {
                MetaError::invalid_parameter(
                    "Syntax error in pricing_analytics: unclosed parenthesis",
                )
            })?;
            modifiers.insert(name, value);
            rest = after_value;
        }
        let number = |name: &str| -> Result<i64, MetaError> {
            modifiers
                .get(name)
                .and_then(|value| value.trim().parse().ok())
                .ok_or_else(|| {
                    MetaError::invalid_parameter(format!(
                        "pricing_analytics: {name} is required, in Unix seconds"
                    ))
                })
        };
        let (start, end) = (number("start")?, number("end")?);
        if modifiers.get("granularity").map(|value| value.trim()) != Some("DAILY") {
            return Err(MetaError::invalid_parameter(
                "pricing_analytics: granularity must be DAILY in the sandbox",
            ));
        }
        let phone_numbers = match modifiers.get("phone_numbers") {
            None => None,
            Some(list) => Some(serde_json::from_str::<Vec<String>>(list).map_err(|_| {
                MetaError::invalid_parameter(
                    "pricing_analytics: phone_numbers must be a JSON array of strings",
                )
            })?),
        };
        Ok(Self {
            start,
            end,
            phone_numbers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_updates_meet_metas_limits() {
        let ok = check_profile(
            json!({"messaging_product": "whatsapp", "about": "a".repeat(139),
            "websites": ["https://a.example", "http://b.example"], "vertical": "RETAIL",
            "email": "x@y.example"}),
        );
        assert_eq!(ok.map(|fields| fields.len()).ok(), Some(4));
        for (bad, names) in [
            (json!({"about": "x"}), "messaging_product"),
            (
                json!({"messaging_product": "whatsapp", "about": "a".repeat(140)}),
                "about",
            ),
            (
                json!({"messaging_product": "whatsapp", "about": ""}),
                "about",
            ),
            (
                json!({"messaging_product": "whatsapp", "description": "d".repeat(257)}),
                "description",
            ),
            (
                json!({"messaging_product": "whatsapp", "email": "nobody"}),
                "email",
            ),
            (
                json!({"messaging_product": "whatsapp", "vertical": "TECH"}),
                "vertical",
            ),
            (
                json!({"messaging_product": "whatsapp", "websites": ["a", "b", "c"]}),
                "websites",
            ),
            (
                json!({"messaging_product": "whatsapp", "websites": ["ftp://a"]}),
                "websites",
            ),
            (
                json!({"messaging_product": "whatsapp", "colour": "red"}),
                "colour",
            ),
        ] {
            match check_profile(bad.clone()) {
                Err(error) => assert!(
                    error
                        .details
                        .as_deref()
                        .is_some_and(|details| details.contains(names)),
                    "{bad}: {error:?}"
                ),
                Ok(_) => panic!("{bad} passed"),
            }
        }
    }

    #[test]
    fn reads_the_pricing_analytics_field() {
        let request = AnalyticsRequest::parse(
            r#"pricing_analytics.start(100).end(200).granularity(DAILY).phone_numbers(["4670"]).dimensions(["PRICING_CATEGORY","PRICING_TYPE"])"#,
        );
        assert_eq!(
            request.ok(),
            Some(AnalyticsRequest {
                start: 100,
                end: 200,
                phone_numbers: Some(vec!["4670".into()])
            })
        );
        assert!(
            AnalyticsRequest::parse("pricing_analytics.start(100).granularity(DAILY)").is_err()
        );
        assert!(
            AnalyticsRequest::parse("pricing_analytics.start(1).end(2).granularity(MONTHLY)")
                .is_err()
        );
    }
}
