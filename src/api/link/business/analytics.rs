//! `GET …/analytics?startDate=…&endDate=…`: delivered messages per day,
//! by LINK's categories, from Meta's daily pricing analytics of the WABA
//! filtered to the number.
//!
//! Dates are ISO 8601 UTC timestamps (`2026-05-24T22:00:00Z`); `startDate`
//! is inclusive, `endDate` exclusive, so the range must hold time (end
//! after start), and Meta keeps analytics for 90 days, so `startDate` may
//! be at most 90 days back. Each day is one of Meta's reporting days (in
//! the WABA's time zone, written in UTC); days Meta reports nothing for
//! are not listed.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::admit;
use crate::api::AppState;
use crate::api::link::error::LinkError;
use crate::api::link::management::{RateLimited, SourceFailures, SourcePath};
use crate::api::link::source_path::OwnedSource;
use crate::upstream::business::AnalyticsRange;

/// How far back Meta keeps analytics.
pub const MAX_DAYS_BACK: i64 = 90;

/// One reporting day in LINK's shape: messages delivered, by category.
#[derive(Debug, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"startDate": "2026-05-31T22:00:00Z", "endDate": "2026-06-01T22:00:00Z",
    "authenticationMessages": 11, "authenticationInternationalMessages": 0,
    "marketingMessages": 16, "mmLiteMessages": 28, "utilityMessages": 14,
    "freeCustomerServiceMessages": 67, "freeEntryPointMessages": 0,
    "totalMessagesDelivered": 136}))]
pub struct Day {
    /// The reporting day's start (inclusive), in UTC.
    #[schema(format = DateTime)]
    start_date: String,
    /// Its end (exclusive), in UTC.
    #[schema(format = DateTime)]
    end_date: String,
    /// Delivered authentication template messages.
    authentication_messages: u64,
    /// Delivered international authentication template messages.
    authentication_international_messages: u64,
    /// Delivered marketing template messages (Cloud API).
    marketing_messages: u64,
    /// Delivered marketing template messages (Marketing Messages Lite API).
    mm_lite_messages: u64,
    /// Delivered paid utility template messages.
    utility_messages: u64,
    /// Free messages delivered within customer service windows.
    free_customer_service_messages: u64,
    /// Messages delivered within free entry point windows.
    free_entry_point_messages: u64,
    /// All messages delivered.
    total_messages_delivered: u64,
}

/// The query of `…/analytics`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct AnalyticsQuery {
    /// The range's start, inclusive: an ISO 8601 UTC timestamp (`Z`), at
    /// most 90 days back; align it to the start of a reporting day in the
    /// WABA's time zone.
    #[param(format = DateTime, example = "2026-05-31T22:00:00Z")]
    pub start_date: String,
    /// The range's end, exclusive: an ISO 8601 UTC timestamp (`Z`) after
    /// `startDate`.
    #[param(format = DateTime, example = "2026-06-03T22:00:00Z")]
    pub end_date: String,
}

/// Delivered messages per reporting day, by LINK's categories, from
/// Meta's pricing analytics of the number (days without data are left out).
#[utoipa::path(
    get,
    path = "/platformId/{platform_id}/platformPartnerId/{platform_partner_id}/source/{source}/analytics",
    tag = "LINK business number",
    operation_id = "analytics",
    security(("link_basic" = [])),
    params(SourcePath, AnalyticsQuery),
    responses(
        (status = 200, description = "The days, oldest first.", body = [Day]),
        SourceFailures,
        RateLimited,
    ),
)]
pub async fn daily(
    State(state): State<AppState>,
    owned: OwnedSource,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Day>>, LinkError> {
    let range = parse_range(
        query.as_deref().unwrap_or_default(),
        OffsetDateTime::now_utc(),
    )?;
    let (waba_id, token) = (owned.waba_id()?, owned.access_token(&state)?);
    admit(&state, &owned)?;
    let digits = owned.source.number.trim_start_matches('+');
    let answer = state
        .cloud_api
        .pricing_analytics(waba_id, token, digits, range)
        .await?;
    Ok(Json(days(&answer)))
}

/// `startDate` and `endDate` of the query, checked against `now`.
fn parse_range(query: &str, now: OffsetDateTime) -> Result<AnalyticsRange, LinkError> {
    let find = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let date = |name: &str| -> Result<OffsetDateTime, LinkError> {
        let text = find(name).ok_or_else(|| {
            LinkError::BadParameter(format!(
                "{name}: is required (an ISO 8601 UTC timestamp, e.g. 2026-05-24T22:00:00Z)"
            ))
        })?;
        OffsetDateTime::parse(&text, &Rfc3339)
            .ok()
            .filter(|date| date.offset().is_utc())
            .ok_or_else(|| {
                LinkError::BadParameter(format!(
                    "{name}: must be an ISO 8601 UTC timestamp, e.g. 2026-05-24T22:00:00Z (got {text:?})"
                ))
            })
    };
    let (start, end) = (date("startDate")?, date("endDate")?);
    if end <= start {
        return Err(LinkError::BadParameter(
            "endDate: must be after startDate (startDate is inclusive, endDate exclusive)".into(),
        ));
    }
    if start < now - time::Duration::days(MAX_DAYS_BACK) {
        return Err(LinkError::BadParameter(format!(
            "startDate: must be at most {MAX_DAYS_BACK} days back (Meta keeps analytics for {MAX_DAYS_BACK} days)"
        )));
    }
    Ok(AnalyticsRange {
        start: start.unix_timestamp(),
        end: end.unix_timestamp(),
    })
}

/// Meta's data points (`start`, `end`, `volume`, `pricing_category`,
/// `pricing_type`), summed per day into LINK's categories.
fn days(answer: &Value) -> Vec<Day> {
    let points = answer["pricing_analytics"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["data_points"].as_array())
        .flatten();
    let mut days: BTreeMap<(i64, i64), Day> = BTreeMap::new();
    for point in points {
        let (Some(start), Some(end)) = (point["start"].as_i64(), point["end"].as_i64()) else {
            continue;
        };
        let volume = point["volume"].as_u64().unwrap_or(0);
        let day = days.entry((start, end)).or_insert_with(|| Day {
            start_date: utc(start),
            end_date: utc(end),
            ..Day::default()
        });
        let counter = match (
            point["pricing_type"].as_str().unwrap_or_default(),
            point["pricing_category"].as_str().unwrap_or_default(),
        ) {
            ("FREE_CUSTOMER_SERVICE", _) | (_, "SERVICE") => {
                Some(&mut day.free_customer_service_messages)
            }
            ("FREE_ENTRY_POINT", _) => Some(&mut day.free_entry_point_messages),
            (_, "AUTHENTICATION") => Some(&mut day.authentication_messages),
            (_, "AUTHENTICATION_INTERNATIONAL") => {
                Some(&mut day.authentication_international_messages)
            }
            (_, "MARKETING") => Some(&mut day.marketing_messages),
            (_, "MARKETING_LITE") => Some(&mut day.mm_lite_messages),
            (_, "UTILITY") => Some(&mut day.utility_messages),
            _ => None,
        };
        if let Some(counter) = counter {
            *counter = counter.saturating_add(volume);
        }
        day.total_messages_delivered = day.total_messages_delivered.saturating_add(volume);
    }
    days.into_values().collect()
}

/// Unix seconds as `2026-05-24T22:00:00Z`.
fn utc(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|date| date.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-06-10 12:00 UTC);

    fn refused(query: &str) -> String {
        match parse_range(query, NOW) {
            Err(LinkError::BadParameter(why)) => why,
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn checks_the_range() {
        assert_eq!(
            parse_range(
                "startDate=2026-05-31T22:00:00Z&endDate=2026-06-03T22:00:00Z",
                NOW
            )
            .ok(),
            Some(AnalyticsRange {
                start: datetime!(2026-05-31 22:00 UTC).unix_timestamp(),
                end: datetime!(2026-06-03 22:00 UTC).unix_timestamp(),
            })
        );
        assert!(refused("endDate=2026-06-03T22:00:00Z").starts_with("startDate: is required"));
        assert!(refused("startDate=2026-06-03T22:00:00Z").starts_with("endDate: is required"));
        assert!(
            refused("startDate=2026-06-01&endDate=2026-06-03T22:00:00Z")
                .starts_with("startDate: must be an ISO 8601 UTC timestamp")
        );
        assert!(
            refused("startDate=2026-06-01T00:00:00%2B02:00&endDate=2026-06-03T22:00:00Z")
                .starts_with("startDate: must be an ISO 8601 UTC timestamp")
        );
        for end in ["2026-06-01T22:00:00Z", "2026-05-31T22:00:00Z"] {
            assert!(
                refused(&format!("startDate=2026-06-01T22:00:00Z&endDate={end}"))
                    .starts_with("endDate: must be after startDate")
            );
        }
        assert!(
            refused("startDate=2026-03-12T11:59:59Z&endDate=2026-06-03T22:00:00Z")
                .starts_with("startDate: must be at most 90 days back")
        );
        assert!(
            parse_range(
                "startDate=2026-03-12T12:00:00Z&endDate=2026-03-13T12:00:00Z",
                NOW
            )
            .is_ok()
        );
    }

    #[test]
    fn sums_metas_points_per_day_into_links_categories() {
        let day1 = datetime!(2026-05-31 22:00 UTC).unix_timestamp();
        let day2 = day1 + 86_400;
        let point = |start: i64, category: &str, kind: &str, volume: u64| {
            json!({"start": start, "end": start + 86_400, "pricing_category": category,
                   "pricing_type": kind, "volume": volume, "phone_number": "4670"})
        };
        let answer = json!({"pricing_analytics": {"data": [{"data_points": [
            point(day2, "MARKETING", "REGULAR", 4),
            point(day1, "AUTHENTICATION", "REGULAR", 11),
            point(day1, "MARKETING", "REGULAR", 16),
            point(day1, "MARKETING_LITE", "REGULAR", 28),
            point(day1, "UTILITY", "REGULAR", 14),
            point(day1, "UTILITY", "FREE_CUSTOMER_SERVICE", 7),
            point(day1, "SERVICE", "FREE_CUSTOMER_SERVICE", 60),
            point(day1, "MARKETING", "FREE_ENTRY_POINT", 2),
        ]}]}, "id": "waba"});
        let days = days(&answer);
        assert_eq!(
            serde_json::to_value(&days).unwrap_or_default(),
            json!([
                {"startDate": "2026-05-31T22:00:00Z", "endDate": "2026-06-01T22:00:00Z",
                 "authenticationMessages": 11, "authenticationInternationalMessages": 0,
                 "marketingMessages": 16, "mmLiteMessages": 28, "utilityMessages": 14,
                 "freeCustomerServiceMessages": 67, "freeEntryPointMessages": 2,
                 "totalMessagesDelivered": 138},
                {"startDate": "2026-06-01T22:00:00Z", "endDate": "2026-06-02T22:00:00Z",
                 "authenticationMessages": 0, "authenticationInternationalMessages": 0,
                 "marketingMessages": 4, "mmLiteMessages": 0, "utilityMessages": 0,
                 "freeCustomerServiceMessages": 0, "freeEntryPointMessages": 0,
                 "totalMessagesDelivered": 4},
            ])
        );
    }
}
