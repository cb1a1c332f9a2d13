//! The contacts message: a non-empty list of contact cards. Each needs
//! `name.formattedName` and at least one other name part (LINK Name table);
//! `birthday` is `YYYY-MM-DD` (Meta). Field names are accepted in LINK's
//! camelCase and the Cloud API's snake_case.

use serde::Deserialize;

use crate::violation::{Path, Rule};

use super::check::Violations;
use super::limits::CONTACTS_MIN;

/// One contact card as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ContactObject {
    pub addresses: Option<Vec<ContactAddress>>,
    pub birthday: Option<String>,
    pub emails: Option<Vec<ContactEmail>>,
    #[schema(required = true, nullable = false)]
    pub name: Option<ContactName>,
    pub org: Option<ContactOrg>,
    pub phones: Option<Vec<ContactPhone>>,
    pub urls: Option<Vec<ContactUrl>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
pub struct ContactAddress {
    pub city: Option<String>,
    pub country: Option<String>,
    #[serde(rename = "countryCode", alias = "country_code")]
    pub country_code: Option<String>,
    pub state: Option<String>,
    pub street: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub zip: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
pub struct ContactEmail {
    pub email: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
pub struct ContactName {
    #[serde(rename = "formattedName", alias = "formatted_name")]
    #[schema(required = true, nullable = false, min_length = 1)]
    pub formatted_name: Option<String>,
    #[serde(rename = "firstName", alias = "first_name")]
    pub first_name: Option<String>,
    #[serde(rename = "lastName", alias = "last_name")]
    pub last_name: Option<String>,
    #[serde(rename = "middleName", alias = "middle_name")]
    pub middle_name: Option<String>,
    pub suffix: Option<String>,
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
pub struct ContactOrg {
    pub company: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
pub struct ContactPhone {
    pub phone: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(rename = "waId", alias = "wa_id")]
    pub wa_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
pub struct ContactUrl {
    pub url: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A checked contact card. The sub-objects have no rules of their own and
/// are kept as sent; `name.formatted_name` is known to be present.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Contact {
    pub(crate) addresses: Vec<ContactAddress>,
    pub(crate) birthday: Option<String>,
    pub(crate) emails: Vec<ContactEmail>,
    pub(crate) name: ContactName,
    pub(crate) org: Option<ContactOrg>,
    pub(crate) phones: Vec<ContactPhone>,
    pub(crate) urls: Vec<ContactUrl>,
}

const NAME_PARTS: &[&str] = &["firstName", "lastName", "middleName", "suffix", "prefix"];
const BIRTHDAY_FORMAT: &str = "a date as YYYY-MM-DD";

pub(crate) fn validate(
    contacts: Vec<ContactObject>,
    path: &Path,
    violations: &mut Violations,
) -> Option<Vec<Contact>> {
    let counted = violations.count(path, contacts.len(), CONTACTS_MIN, usize::MAX);
    let checked: Vec<Option<Contact>> = contacts
        .into_iter()
        .enumerate()
        .map(|(index, contact)| validate_contact(contact, &path.index(index), violations))
        .collect();
    let checked: Option<Vec<Contact>> = checked.into_iter().collect();
    checked.filter(|_| counted)
}

fn validate_contact(
    contact: ContactObject,
    path: &Path,
    violations: &mut Violations,
) -> Option<Contact> {
    let name_path = path.field("name");
    let name = violations
        .required(&name_path, contact.name)
        .and_then(|name| validate_name(name, &name_path, violations));
    let birthday_ok = contact.birthday.as_deref().is_none_or(is_date);
    if !birthday_ok {
        violations.push(&path.field("birthday"), Rule::Format(BIRTHDAY_FORMAT));
    }
    Some(Contact {
        addresses: contact.addresses.unwrap_or_default(),
        birthday: contact.birthday,
        emails: contact.emails.unwrap_or_default(),
        name: name?,
        org: contact.org,
        phones: contact.phones.unwrap_or_default(),
        urls: contact.urls.unwrap_or_default(),
    })
    .filter(|_| birthday_ok)
}

fn validate_name(
    name: ContactName,
    path: &Path,
    violations: &mut Violations,
) -> Option<ContactName> {
    let formatted =
        violations.required_id(&path.field("formattedName"), name.formatted_name.clone());
    let parts = [
        &name.first_name,
        &name.last_name,
        &name.middle_name,
        &name.suffix,
        &name.prefix,
    ];
    let has_part = parts
        .iter()
        .any(|part| part.as_deref().is_some_and(|text| !text.trim().is_empty()));
    if !has_part {
        violations.push(path, Rule::AtLeastOneOf(NAME_PARTS));
    }
    formatted.filter(|_| has_part).map(|_| name)
}

/// `YYYY-MM-DD` with a plausible month and day.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .filter(|part| part.iter().all(u8::is_ascii_digit))
            .map(|part| {
                part.iter()
                    .fold(0u32, |number, digit| number * 10 + u32::from(digit - b'0'))
            })
    };
    bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && digits(0..4).is_some()
        && digits(5..7).is_some_and(|month| (1..=12).contains(&month))
        && digits(8..10).is_some_and(|day| (1..=31).contains(&day))
}
