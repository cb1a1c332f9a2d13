//! Recipient addresses: an MSISDN, normalised to E.164, or a business-scoped
//! user id (BSUID: `CC.digits`, parent `CC.ENT.digits`).

use std::fmt;

use crate::violation::Rule;

/// A phone number in E.164: `+` and 8 to 15 digits, the first not 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Msisdn(String);

const MSISDN_FORMAT: &str =
    "an international phone number (E.164, 8 to 15 digits, e.g. +46701234567)";

impl Msisdn {
    /// Accepts `+46 70-123 45 67`, `(+46) 701234567`, `0046701234567` or
    /// `46701234567` (a number without prefix is read as international, as the
    /// Cloud API does) and normalises them to `+46701234567`.
    pub fn parse(text: &str) -> Result<Self, Rule> {
        let trimmed = text.trim();
        let mut digits = String::with_capacity(trimmed.len());
        let mut plus = false;
        for (position, character) in trimmed.chars().enumerate() {
            match character {
                '0'..='9' => digits.push(character),
                '+' if digits.is_empty() && !plus && position <= 1 => plus = true,
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(Rule::Format(MSISDN_FORMAT)),
            }
        }
        let digits = match digits.strip_prefix("00") {
            Some(rest) if !plus => rest.to_owned(),
            _ => digits,
        };
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(Rule::Format(MSISDN_FORMAT));
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

impl Destination {
    /// A value with a letter in it is read as a BSUID, anything else as a
    /// phone number.
    pub fn parse(text: &str) -> Result<Self, Rule> {
        if text.bytes().any(|b| b.is_ascii_alphabetic()) {
            Bsuid::parse(text)
                .map(Self::Bsuid)
                .map_err(|_| Rule::Format(DESTINATION_FORMAT))
        } else {
            Msisdn::parse(text)
                .map(Self::Msisdn)
                .map_err(|_| Rule::Format(DESTINATION_FORMAT))
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
            Destination::parse("+46701234567"),
            Ok(Destination::Msisdn(_))
        ));
        assert!(matches!(
            Destination::parse("SE.11815799212886844830"),
            Ok(Destination::Bsuid(_))
        ));
        assert!(Destination::parse("hello").is_err());
    }
}
