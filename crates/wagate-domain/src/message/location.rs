//! The location message (and a template `location` header parameter):
//! latitude −90..90 and longitude −180..180, both required, as numbers or
//! numeric strings; `name` and `address` optional.

use serde::Deserialize;

use crate::violation::{Path, Rule};

use super::check::{NUMBER, Violations};
use super::lenient::NumberOrText;
use super::limits::{LATITUDE_MAX, LATITUDE_MIN, LONGITUDE_MAX, LONGITUDE_MIN};

/// `location` as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct LocationObject {
    #[schema(required = true, nullable = false)]
    pub latitude: Option<NumberOrText>,
    #[schema(required = true, nullable = false)]
    pub longitude: Option<NumberOrText>,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// A checked location.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Location {
    pub(crate) latitude: f64,
    pub(crate) longitude: f64,
    pub(crate) name: Option<String>,
    pub(crate) address: Option<String>,
}

pub(crate) fn validate(
    object: LocationObject,
    path: &Path,
    violations: &mut Violations,
) -> Option<Location> {
    let latitude = degrees(
        &path.field("latitude"),
        object.latitude,
        (LATITUDE_MIN, LATITUDE_MAX),
        violations,
    );
    let longitude = degrees(
        &path.field("longitude"),
        object.longitude,
        (LONGITUDE_MIN, LONGITUDE_MAX),
        violations,
    );
    Some(Location {
        latitude: latitude?,
        longitude: longitude?,
        name: object.name,
        address: object.address,
    })
}

fn degrees(
    path: &Path,
    value: Option<NumberOrText>,
    (min, max): (f64, f64),
    violations: &mut Violations,
) -> Option<f64> {
    let value = violations.required(path, value)?;
    let Some(degrees) = value.as_f64() else {
        violations.push(path, Rule::Format(NUMBER));
        return None;
    };
    if !(min..=max).contains(&degrees) {
        violations.push(
            path,
            Rule::Range {
                min: min as i64,
                max: max as i64,
            },
        );
        return None;
    }
    Some(degrees)
}
