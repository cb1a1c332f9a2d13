//! The business profile: `GET …/profile` answers Meta's `{"data": [{…}]}`
//! as it wrote it; `POST …/profile` takes LINK's body,
//! `{"messaging_product": "whatsapp", "profile": {…}}`, hands Meta the
//! profile's fields in its flat form (Meta checks them: lengths, the
//! vertical, the websites) and answers `204`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value};
use wagate_domain::{Rule, Violation};

use super::admit;
use crate::api::AppState;
use crate::api::link::error::LinkError;
use crate::api::link::send::read_json;
use crate::api::link::source_path::OwnedSource;
use crate::api::protocol::RawBody;

pub async fn get(
    State(state): State<AppState>,
    owned: OwnedSource,
) -> Result<Json<Value>, LinkError> {
    let (phone_number_id, token) = (owned.phone_number_id()?, owned.access_token(&state)?);
    admit(&state, &owned)?;
    let profile = state
        .cloud_api
        .business_profile(phone_number_id, token)
        .await?;
    Ok(Json(profile))
}

pub async fn update(
    State(state): State<AppState>,
    owned: OwnedSource,
    body: RawBody<LinkError>,
) -> Result<StatusCode, LinkError> {
    let update = metas_body(read_json(&body.bytes)?)?;
    drop(body);
    let (phone_number_id, token) = (owned.phone_number_id()?, owned.access_token(&state)?);
    admit(&state, &owned)?;
    state
        .cloud_api
        .update_business_profile(phone_number_id, token, &update)
        .await?;
    tracing::info!(source = %owned.source.number, "business profile updated at Meta");
    Ok(StatusCode::NO_CONTENT)
}

/// LINK's `{"messaging_product", "profile": {…}}` as Meta's flat body.
fn metas_body(body: Value) -> Result<Value, LinkError> {
    let invalid = |path: &str, rule: Rule| LinkError::Invalid(Violation::new(path, rule));
    let Value::Object(mut body) = body else {
        return Err(invalid(
            "",
            Rule::Type("the body must be a JSON object".into()),
        ));
    };
    match body.get("messaging_product") {
        None => {}
        Some(Value::String(product)) if product == "whatsapp" => {}
        Some(_) => return Err(invalid("messaging_product", Rule::OneOf(&["whatsapp"]))),
    }
    let profile = match body.remove("profile") {
        Some(Value::Object(profile)) => profile,
        Some(_) => {
            return Err(invalid(
                "profile",
                Rule::Type("must be an object of profile fields".into()),
            ));
        }
        None => return Err(invalid("profile", Rule::Required)),
    };
    if profile.is_empty() {
        return Err(invalid("profile", Rule::NotEmpty));
    }
    let mut flat = Map::new();
    flat.insert("messaging_product".into(), "whatsapp".into());
    flat.extend(
        profile
            .into_iter()
            .filter(|(field, _)| field != "messaging_product"),
    );
    Ok(Value::Object(flat))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn links_profile_becomes_metas_flat_body() {
        let body = metas_body(json!({
            "messaging_product": "whatsapp",
            "profile": {"about": "Hi", "websites": ["https://a.example"]},
        }));
        assert_eq!(
            body.ok(),
            Some(
                json!({"messaging_product": "whatsapp", "about": "Hi", "websites": ["https://a.example"]})
            )
        );
        for (bad, path) in [
            (json!({"messaging_product": "whatsapp"}), "profile"),
            (json!({"profile": "about"}), "profile"),
            (json!({"profile": {}}), "profile"),
            (
                json!({"messaging_product": "sms", "profile": {"about": "x"}}),
                "messaging_product",
            ),
        ] {
            match metas_body(bad.clone()) {
                Err(LinkError::Invalid(violation)) => {
                    assert_eq!(violation.path, path, "{bad}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
