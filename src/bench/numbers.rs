//! Random phone numbers for the bench: E.164, and never ending in one of
//! the sandbox's special endings (9900–9904), which fail or retry on
//! purpose.

use std::collections::HashSet;

use rand::Rng;

/// Sources: the North American fictional 555 range.
const SOURCE_PREFIX: &str = "+1555";
/// Destinations: Swedish mobile numbers.
const DESTINATION_PREFIX: &str = "+4670";
/// Random digits after the prefix.
const RANDOM_DIGITS: usize = 7;

/// A random source number, `+1555` and seven digits.
pub fn source() -> String {
    number(SOURCE_PREFIX)
}

/// `count` distinct random destination numbers.
pub fn destinations(count: usize) -> Vec<String> {
    let mut seen = HashSet::with_capacity(count);
    let mut numbers = Vec::with_capacity(count);
    while numbers.len() < count {
        let candidate = number(DESTINATION_PREFIX);
        if seen.insert(candidate.clone()) {
            numbers.push(candidate);
        }
    }
    numbers
}

/// Whether the sandbox treats `number` specially (its last four digits are
/// 9900 to 9904).
pub fn is_special(number: &str) -> bool {
    number.len() >= 4
        && number
            .get(number.len() - 4..)
            .and_then(|ending| ending.parse::<u32>().ok())
            .is_some_and(|ending| (9900..=9904).contains(&ending))
}

fn number(prefix: &str) -> String {
    let mut rng = rand::rng();
    loop {
        let mut text = String::with_capacity(prefix.len() + RANDOM_DIGITS);
        text.push_str(prefix);
        for _ in 0..RANDOM_DIGITS {
            text.push(char::from(b'0' + rng.random_range(0..10u8)));
        }
        if !is_special(&text) {
            return text;
        }
    }
}

#[cfg(test)]
mod tests {
    use wagate_domain::Msisdn;

    use super::*;

    #[test]
    fn special_endings_are_recognised() {
        for special in ["+46701239900", "+46701239902", "+46701239904"] {
            assert!(is_special(special), "{special}");
        }
        for plain in ["+46701239899", "+46701239905", "+46701230000", "99"] {
            assert!(!is_special(plain), "{plain}");
        }
    }

    #[test]
    fn numbers_are_valid_distinct_and_plain() {
        let numbers = destinations(500);
        assert_eq!(numbers.iter().collect::<HashSet<_>>().len(), 500);
        for number in numbers.iter().chain([&source()]) {
            assert!(!is_special(number), "{number}");
            let parsed = Msisdn::parse(number).expect("valid E.164");
            assert_eq!(parsed.as_str(), number);
        }
    }
}
