//! A business number's own Graph API nodes, through the Cloud API client's
//! pool and error reading: its business profile (`GET`/`POST
//! /{phone-number-id}/whatsapp_business_profile`), the phone number node
//! (`GET /{phone-number-id}` with its quality, limits, throughput and
//! health fields) and the WABA's pricing analytics (`GET
//! /{waba-id}?fields=pricing_analytics…`, daily, by pricing category and
//! type). Answers are Meta's JSON as it wrote it.

use reqwest::Method;
use serde_json::Value;

use super::meta::{CloudApiClient, SendError};

/// The profile fields read.
const PROFILE_FIELDS: &str =
    "about,address,description,email,profile_picture_url,websites,vertical";

/// The phone number fields read.
const PHONE_NUMBER_FIELDS: &str = "id,display_phone_number,verified_name,quality_rating,messaging_limit_tier,throughput,health_status";

/// Unix seconds of a pricing analytics range: `start` inclusive, `end`
/// exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalyticsRange {
    pub start: i64,
    pub end: i64,
}

impl CloudApiClient {
    /// `{"data": [{…profile…}]}`.
    pub async fn business_profile(
        &self,
        phone_number_id: &str,
        access_token: &str,
    ) -> Result<Value, SendError> {
        self.graph_json(
            Method::GET,
            &[phone_number_id, "whatsapp_business_profile"],
            &[("fields", PROFILE_FIELDS)],
            access_token,
            None,
        )
        .await
    }

    /// Updates the profile: `profile` is Meta's flat body
    /// (`messaging_product` and the fields to change); `{"success": true}`.
    pub async fn update_business_profile(
        &self,
        phone_number_id: &str,
        access_token: &str,
        profile: &Value,
    ) -> Result<Value, SendError> {
        self.graph_json(
            Method::POST,
            &[phone_number_id, "whatsapp_business_profile"],
            &[],
            access_token,
            Some(profile),
        )
        .await
    }

    /// The phone number node with [`PHONE_NUMBER_FIELDS`].
    pub async fn phone_number(
        &self,
        phone_number_id: &str,
        access_token: &str,
    ) -> Result<Value, SendError> {
        self.graph_json(
            Method::GET,
            &[phone_number_id],
            &[("fields", PHONE_NUMBER_FIELDS)],
            access_token,
            None,
        )
        .await
    }

    /// The WABA's daily pricing analytics of one phone number (its digits,
    /// as Meta's `phone_numbers` filter takes them), by pricing category
    /// and type: `{"pricing_analytics": {"data": [{"data_points": […]}]}, "id"}`.
    pub async fn pricing_analytics(
        &self,
        waba_id: &str,
        access_token: &str,
        phone_digits: &str,
        range: AnalyticsRange,
    ) -> Result<Value, SendError> {
        let fields = pricing_analytics_field(phone_digits, range);
        self.graph_json(
            Method::GET,
            &[waba_id],
            &[("fields", fields.as_str())],
            access_token,
            None,
        )
        .await
    }
}

/// `pricing_analytics.start(S).end(E).granularity(DAILY).phone_numbers([…]).dimensions([…])`.
fn pricing_analytics_field(phone_digits: &str, range: AnalyticsRange) -> String {
    let phone = Value::from(phone_digits);
    format!(
        "pricing_analytics.start({}).end({}).granularity(DAILY).phone_numbers([{phone}]).dimensions([\"PRICING_CATEGORY\",\"PRICING_TYPE\"])",
        range.start, range.end
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_analytics_field_names_range_number_and_dimensions() {
        assert_eq!(
            pricing_analytics_field(
                "46700000011",
                AnalyticsRange {
                    start: 1_780_000_000,
                    end: 1_780_086_400
                }
            ),
            r#"pricing_analytics.start(1780000000).end(1780086400).granularity(DAILY).phone_numbers(["46700000011"]).dimensions(["PRICING_CATEGORY","PRICING_TYPE"])"#
        );
    }
}
