//! Recipient addresses: an MSISDN, normalised to E.164, or a business-scoped
//! user id (BSUID: `CC.digits`, parent `CC.ENT.digits`).
//!
//! A number is in international form when it starts with `+` or `00`. LINK
//! allows numbers "in local or international format": a number without
//! either prefix is read in a default country ([`Country`]), and refused when
//! there is none, rather than guessed.

use std::fmt;

use crate::country::Country;
use crate::violation::Rule;

/// A phone number in E.164: `+` and 8 to 15 digits, the first not 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Msisdn(String);

const MSISDN_FORMAT: &str =
    "an international phone number (E.164, 8 to 15 digits, e.g. +46701234567)";
const MSISDN_OR_NATIONAL_FORMAT: &str = "a phone number, international (e.g. +46701234567) or national to the default country, of 8 to 15 digits with the country code";
const NEEDS_COUNTRY: &str = "in international form, starting with + or 00 (e.g. +4792555555): a number in local form needs a default country (the account's defaultCountry)";

/// Why a number was refused.
enum Refusal {
    /// Not a phone number, or not 8 to 15 digits.
    Format,
    /// In local form, with no default country to read it in.
    NeedsCountry,
}

/// A number's digits, separators removed, and whether it was written in
/// international form (the `00` taken off).
struct Written {
    international: bool,
    digits: String,
}

impl Written {
    fn scan(text: &str) -> Result<Self, Refusal> {
        let trimmed = text.trim();
        let mut digits = String::with_capacity(trimmed.len());
        let mut plus = false;
        for (position, character) in trimmed.chars().enumerate() {
            match character {
                '0'..='9' => digits.push(character),
                '+' if digits.is_empty() && !plus && position <= 1 => plus = true,
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(Refusal::Format),
            }
        }
        Ok(match digits.strip_prefix("00") {
            Some(rest) if !plus => Self {
                international: true,
                digits: rest.to_owned(),
            },
            _ => Self {
                international: plus,
                digits,
            },
        })
    }
}

impl Msisdn {
    /// Accepts `+46 70-123 45 67`, `(+46) 701234567`, `0046701234567` or
    /// `46701234567` (a number without prefix is read as international, as the
    /// Cloud API writes its numbers) and normalises them to `+46701234567`.
    /// For numbers from LINK clients, which may be local, see
    /// [`Self::parse_dialled`].
    pub fn parse(text: &str) -> Result<Self, Rule> {
        let written = Written::scan(text).map_err(|_| Rule::Format(MSISDN_FORMAT))?;
        Self::e164(written.digits).map_err(|_| Rule::Format(MSISDN_FORMAT))
    }

    /// A number as a person writes it: international with `+` or `00`
    /// (`+47 92 55 55 55`, `004792555555`), or national, read in
    /// `default_country` (`92555555` in NO, `070-123 45 67` in SE, whose
    /// trunk `0` is dropped). A national number without a default country is
    /// refused, saying so.
    pub fn parse_dialled(text: &str, default_country: Option<Country>) -> Result<Self, Rule> {
        Self::dialled(text, default_country).map_err(|refusal| match (refusal, default_country) {
            (Refusal::NeedsCountry, _) => Rule::Format(NEEDS_COUNTRY),
            (Refusal::Format, None) => Rule::Format(MSISDN_FORMAT),
            (Refusal::Format, Some(_)) => Rule::Format(MSISDN_OR_NATIONAL_FORMAT),
        })
    }

    fn dialled(text: &str, default_country: Option<Country>) -> Result<Self, Refusal> {
        let written = Written::scan(text)?;
        if written.international {
            return Self::e164(written.digits);
        }
        if written.digits.is_empty() {
            return Err(Refusal::Format);
        }
        let country = default_country.ok_or(Refusal::NeedsCountry)?;
        Self::e164(country.international_digits(&written.digits))
    }

    /// `+` and the digits, when they are 8 to 15 and the first is not 0.
    fn e164(digits: String) -> Result<Self, Refusal> {
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(Refusal::Format);
        }
        Ok(Self(format!("+{digits}")))
    }

    /// `+46701234567`
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without `+`, as the Cloud API's `to` and `wa_id` carry them.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A business-scoped user id, `SE.13491208655302741918`, or a parent one,
/// `SE.ENT.11815799212886844830`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bsuid(String);

const BSUID_FORMAT: &str = "a BSUID: a two-letter country code, '.', optionally 'ENT.', then 1 to 128 letters or digits (e.g. SE.13491208655302741918)";

impl Bsuid {
    pub fn parse(text: &str) -> Result<Self, Rule> {
        let text = text.trim();
        let (country, rest) = text.split_once('.').ok_or(Rule::Format(BSUID_FORMAT))?;
        let id = rest.strip_prefix("ENT.").unwrap_or(rest);
        let country_ok = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
        let id_ok = (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
        if country_ok && id_ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(Rule::Format(BSUID_FORMAT))
        }
    }

    /// A parent BSUID (`CC.ENT.…`), shared by the business portfolio's apps.
    pub fn is_parent(&self) -> bool {
        self.0[2..].starts_with(".ENT.")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Bsuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whom a message goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Destination {
    Msisdn(Msisdn),
    Bsuid(Bsuid),
}

const DESTINATION_FORMAT: &str =
    "an international phone number (e.g. +46701234567) or a BSUID (e.g. SE.13491208655302741918)";
const DESTINATION_OR_NATIONAL_FORMAT: &str = "a phone number, international (e.g. +46701234567) or national to the default country, or a BSUID (e.g. SE.13491208655302741918)";

impl Destination {
    /// A value with a letter in it is read as a BSUID, anything else as a
    /// phone number ([`Msisdn::parse_dialled`]: national numbers are read in
    /// `default_country`, and refused without one).
    pub fn parse(text: &str, default_country: Option<Country>) -> Result<Self, Rule> {
        let format = match default_country {
            None => DESTINATION_FORMAT,
            Some(_) => DESTINATION_OR_NATIONAL_FORMAT,
        };
        if text.bytes().any(|b| b.is_ascii_alphabetic()) {
            Bsuid::parse(text)
                .map(Self::Bsuid)
                .map_err(|_| Rule::Format(format))
        } else {
            Msisdn::dialled(text, default_country)
                .map(Self::Msisdn)
                .map_err(|refusal| match refusal {
                    Refusal::NeedsCountry => Rule::Format(NEEDS_COUNTRY),
                    Refusal::Format => Rule::Format(format),
                })
        }
    }

    /// The normalised text: `+46701234567` or `SE.1349…`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Msisdn(msisdn) => msisdn.as_str(),
            Self::Bsuid(bsuid) => bsuid.as_str(),
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msisdns_normalise_to_e164() {
        for (input, expected) in [
            ("+46701234567", "+46701234567"),
            ("+46 70-123 45 67", "+46701234567"),
            ("0046701234567", "+46701234567"),
            ("46701234567", "+46701234567"),
            ("(+1) 650 555 1234", "+16505551234"),
            ("+460000000001", "+460000000001"),
        ] {
            assert_eq!(
                Msisdn::parse(input).map(|m| m.0),
                Ok(expected.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn bad_msisdns_are_refused() {
        for input in [
            "",
            "+",
            "1234567",
            "+1234567890123456",
            "+46 70 abc",
            "0701234567",
            "++46701234567",
            "4670+1234567",
        ] {
            assert!(Msisdn::parse(input).is_err(), "{input} should be refused");
        }
    }

    #[test]
    fn bsuids_and_parents_parse() {
        let child = Bsuid::parse("SE.13491208655302741918").expect("child");
        assert!(!child.is_parent());
        let parent = Bsuid::parse("SE.ENT.11815799212886844830").expect("parent");
        assert!(parent.is_parent());
        for input in [
            "se.123",
            "SWE.123",
            "SE.",
            "SE.12-3",
            "SE",
            &format!("SE.{}", "1".repeat(129)),
        ] {
            assert!(Bsuid::parse(input).is_err(), "{input} should be refused");
        }
    }

    #[test]
    fn destinations_pick_the_right_kind() {
        assert!(matches!(
            Destination::parse("+46701234567", None),
            Ok(Destination::Msisdn(_))
        ));
        assert!(matches!(
            Destination::parse("SE.11815799212886844830", None),
            Ok(Destination::Bsuid(_))
        ));
        assert!(Destination::parse("hello", None).is_err());
        // Digits alone are never a BSUID: they are a number, read in the
        // default country.
        let norway = Country::parse("NO");
        assert_eq!(
            Destination::parse("92555555", norway).map(|d| d.to_string()),
            Ok("+4792555555".to_owned())
        );
        assert_eq!(
            Destination::parse("SE.92555555", norway).map(|d| d.to_string()),
            Ok("SE.92555555".to_owned())
        );
    }

    /// (input, default country, the E.164 number it is read as).
    const DIALLED: &[(&str, Option<&str>, &str)] = &[
        // International forms are the same in every country, and without one.
        ("+4792555555", None, "+4792555555"),
        ("+4792555555", Some("SE"), "+4792555555"),
        ("004792555555", None, "+4792555555"),
        ("004792555555", Some("US"), "+4792555555"),
        ("00 46 70-123 45 67", Some("NO"), "+46701234567"),
        ("(+46) 70 123 45 67", Some("DE"), "+46701234567"),
        ("+460000000001", Some("NO"), "+460000000001"),
        // No trunk prefix: the digits follow the calling code as they are.
        ("92555555", Some("NO"), "+4792555555"),
        ("925 55 555", Some("no"), "+4792555555"),
        ("20123456", Some("DK"), "+4520123456"),
        ("0612345678", Some("IT"), "+390612345678"),
        ("3123456789", Some("IT"), "+393123456789"),
        ("612345678", Some("ES"), "+34612345678"),
        ("512345678", Some("PL"), "+48512345678"),
        ("55123456", Some("QA"), "+97455123456"),
        ("91234567", Some("SG"), "+6591234567"),
        // Trunk 0, dropped when written, optional.
        ("0701234567", Some("SE"), "+46701234567"),
        ("070-123 45 67", Some("SE"), "+46701234567"),
        ("701234567", Some("SE"), "+46701234567"),
        ("07911123456", Some("GB"), "+447911123456"),
        ("01711234567", Some("DE"), "+491711234567"),
        ("0612345678", Some("FR"), "+33612345678"),
        ("0412345678", Some("AU"), "+61412345678"),
        ("09171234567", Some("PH"), "+639171234567"),
        ("0501234567", Some("AE"), "+971501234567"),
        ("09012345678", Some("JP"), "+819012345678"),
        // Other trunk prefixes.
        ("(650) 555-1234", Some("US"), "+16505551234"),
        ("1 650 555 1234", Some("US"), "+16505551234"),
        ("4165551234", Some("CA"), "+14165551234"),
        ("8 916 123-45-67", Some("RU"), "+79161234567"),
        ("9161234567", Some("RU"), "+79161234567"),
        ("87011234567", Some("KZ"), "+77011234567"),
        ("06 20 123 4567", Some("HU"), "+36201234567"),
        ("8 029 123-45-67", Some("BY"), "+375291234567"),
        ("029 1234567", Some("BY"), "+375291234567"),
        ("861234567", Some("LT"), "+37061234567"),
        ("061234567", Some("LT"), "+37061234567"),
    ];

    #[test]
    fn dialled_numbers_are_read_in_the_default_country() {
        for &(input, country, expected) in DIALLED {
            let country = country.map(|code| Country::parse(code).expect(code));
            assert_eq!(
                Msisdn::parse_dialled(input, country).map(|m| m.0),
                Ok(expected.to_owned()),
                "{input} in {country:?}"
            );
        }
    }

    #[test]
    fn local_numbers_without_a_default_country_are_refused_not_guessed() {
        for input in ["92555555", "0701234567", "46701234567", "4792555555"] {
            assert_eq!(
                Msisdn::parse_dialled(input, None),
                Err(Rule::Format(NEEDS_COUNTRY)),
                "{input}"
            );
            assert_eq!(
                Destination::parse(input, None),
                Err(Rule::Format(NEEDS_COUNTRY)),
                "{input}"
            );
        }
        let needs = Rule::Format(NEEDS_COUNTRY).to_string();
        assert!(
            needs.contains("+ or 00") && needs.contains("defaultCountry"),
            "{needs}"
        );
    }

    #[test]
    fn junk_is_refused_with_or_without_a_default_country() {
        for country in [None, Country::parse("NO"), Country::parse("SE")] {
            for input in [
                "",
                " ",
                "+",
                "00",
                "0",
                "1234",
                "+4670123",
                "004670123",
                "+1234567890123456",
                "0012345678901234567",
                "+0701234567",
                "0004792555555",
                "92555555x",
                "92 555 555 ext 1",
                "++4792555555",
                "4792+555555",
                "9255\u{0}5555",
                "١٢٣٤٥٦٧٨٩",
                "1234567890123456",
            ] {
                assert!(
                    Msisdn::parse_dialled(input, country).is_err(),
                    "{input:?} in {country:?}"
                );
                assert!(
                    Destination::parse(input, country).is_err(),
                    "{input:?} in {country:?}"
                );
            }
        }
    }

    #[test]
    fn the_format_message_says_when_national_numbers_are_allowed() {
        let norway = Country::parse("NO");
        assert_eq!(
            Destination::parse("123", norway),
            Err(Rule::Format(DESTINATION_OR_NATIONAL_FORMAT))
        );
        assert_eq!(
            Destination::parse("+123", None),
            Err(Rule::Format(DESTINATION_FORMAT))
        );
        assert_eq!(
            Msisdn::parse_dialled("123", norway),
            Err(Rule::Format(MSISDN_OR_NATIONAL_FORMAT))
        );
    }

    #[test]
    fn the_cloud_api_reading_keeps_bare_digits_international() {
        assert_eq!(
            Msisdn::parse("4792555555").map(|m| m.0),
            Ok("+4792555555".to_owned())
        );
    }
}
