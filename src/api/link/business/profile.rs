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
use crate::api::link::management::{BodyFailures, RateLimited, SourceFailures, SourcePath};
use crate::api::link::send::read_json;
use crate::api::link::source_path::OwnedSource;
use crate::api::protocol::RawBody;

/// The number's business profile, as Meta gives it.
#[utoipa::path(
    get,
    path = "/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}/profile",
    tag = "LINK business number",
    operation_id = "get_business_profile",
    security(("link_basic" = [])),
    params(SourcePath),
    responses(
        (status = 200, description = "Meta's answer: `data`, a list of one profile.",
            body = Object,
            example = json!({"data": [{
                "about": "My Butterfly Business sells butterflies",
                "address": "101 Butterfly Ln., Butterfly, Ohio",
                "description": "We sell butterflies.",
                "email": "butterflies@butterflies.com",
                "messaging_product": "whatsapp",
                "profile_picture_url": "2:c2FtcGxl...",
                "websites": ["https://www.butterflies.com/", "https://www.butterflies.com/amea/"],
                "vertical": "INDUSTRY"}]})),
        SourceFailures,
        RateLimited,
    ),
)]
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

/// Updates the number's business profile at Meta with the fields given.
#[utoipa::path(
    post,
    path = "/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}/profile",
    tag = "LINK business number",
    operation_id = "update_business_profile",
    security(("link_basic" = [])),
    params(SourcePath),
    request_body(content = ProfileUpdate, example = json!({
        "messaging_product": "whatsapp",
        "profile": {
            "about": "Helping businesses grow with digital solutions.",
            "address": "Karl Johans gate 1, 0154 Oslo, Norway",
            "description": "SomeDescription",
            "vertical": "TECHNOLOGY",
            "email": "contact@yourcompany.com",
            "websites": ["https://yourcompany.com", "https://support.yourcompany.com"],
            "profile_picture_handle": "abc123_profile_pic_handle"}})),
    responses(
        (status = 204, description = "Updated."),
        SourceFailures,
        BodyFailures,
        RateLimited,
    ),
)]
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

/// LINK's body of `POST …/profile`: the profile fields to change.
#[derive(utoipa::ToSchema)]
pub struct ProfileUpdate {
    /// `whatsapp`, when given.
    #[schema(nullable = false, pattern = "^whatsapp$", example = "whatsapp")]
    pub messaging_product: Option<String>,
    /// The fields to change, at least one, as Meta names them: `about`,
    /// `address`, `description`, `vertical`, `email`, `websites`,
    /// `profile_picture_handle` (Meta checks them: a refusal is 400
    /// `112501`).
    pub profile: ProfileFields,
}

/// The profile's fields (Meta's).
#[derive(utoipa::ToSchema)]
#[schema(min_properties = 1)]
pub struct ProfileFields {
    #[schema(nullable = false)]
    pub about: Option<String>,
    #[schema(nullable = false)]
    pub address: Option<String>,
    #[schema(nullable = false)]
    pub description: Option<String>,
    #[schema(nullable = false)]
    pub vertical: Option<String>,
    #[schema(nullable = false)]
    pub email: Option<String>,
    #[schema(nullable = false)]
    pub websites: Option<Vec<String>>,
    /// A handle of a resumable upload (`POST /media/resumable`).
    #[schema(nullable = false)]
    pub profile_picture_handle: Option<String>,
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
