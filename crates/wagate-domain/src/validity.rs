//! How long a message may wait to be submitted: LINK's
//! `relativeValidityTime` (milliseconds) and `absoluteValidityTime` (an
//! instant, the winner when both are set) turned into the instant the
//! message expires, never further ahead than the longest validity allowed.
//! Every sum and difference is checked: no value a client can send
//! overflows into a wrong expiry.

use crate::{Rule, Violation};

/// Validity when the request sets none: 48 hours (LINK's default), or the
/// longest validity allowed when that is shorter.
pub const DEFAULT_MS: i64 = 48 * 3600 * 1000;

/// When a message expires (Unix milliseconds) as of `now`, from its
/// validity fields, `absolute` already parsed; `max_ms` is the longest
/// validity allowed (at least 1). Every broken rule, in field order.
pub fn expires_at(
    now: i64,
    relative: Option<i64>,
    absolute: Option<i64>,
    max_ms: i64,
) -> Result<i64, Vec<Violation>> {
    let mut violations = Vec::new();
    let relative_range = || {
        Violation::new(
            "relativeValidityTime",
            Rule::Range {
                min: 1,
                max: max_ms,
            },
        )
    };
    if relative.is_some_and(|ms| !(1..=max_ms).contains(&ms)) {
        violations.push(relative_range());
    }
    let expiry = match absolute {
        Some(at) if at <= now => {
            violations.push(Violation::new("absoluteValidityTime", Rule::InThePast));
            None
        }
        Some(at) => match at.checked_sub(now) {
            Some(ahead) if ahead <= max_ms => Some(at),
            _ => {
                violations.push(Violation::new(
                    "absoluteValidityTime",
                    Rule::MaxAhead { millis: max_ms },
                ));
                None
            }
        },
        None => {
            let validity = relative.unwrap_or(DEFAULT_MS.min(max_ms));
            let at = now.checked_add(validity);
            if at.is_none() && violations.is_empty() {
                violations.push(relative_range());
            }
            at
        }
    };
    match expiry {
        Some(at) if violations.is_empty() => Ok(at),
        _ => Err(violations),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000_000;
    const DAY: i64 = 24 * 3600 * 1000;
    const MAX: i64 = 30 * DAY;

    fn rules(result: Result<i64, Vec<Violation>>) -> Vec<String> {
        result
            .expect_err("refused")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn absolute_wins_and_the_default_is_48_hours() {
        assert_eq!(expires_at(NOW, None, None, MAX), Ok(NOW + DEFAULT_MS));
        assert_eq!(expires_at(NOW, Some(60_000), None, MAX), Ok(NOW + 60_000));
        assert_eq!(
            expires_at(NOW, Some(60_000), Some(NOW + DAY), MAX),
            Ok(NOW + DAY)
        );
        assert_eq!(expires_at(NOW, None, None, 3_600_000), Ok(NOW + 3_600_000));
    }

    #[test]
    fn validity_up_to_the_maximum_is_kept_exactly() {
        assert_eq!(expires_at(NOW, Some(MAX), None, MAX), Ok(NOW + MAX));
        assert_eq!(expires_at(NOW, None, Some(NOW + MAX), MAX), Ok(NOW + MAX));
        assert_eq!(expires_at(NOW, Some(1), None, MAX), Ok(NOW + 1));
        assert_eq!(expires_at(NOW, None, Some(NOW + 1), MAX), Ok(NOW + 1));
    }

    #[test]
    fn huge_validity_is_refused_without_overflowing() {
        let range = "relativeValidityTime: must be between 1 and 2592000000";
        let ahead = "absoluteValidityTime: must be at most 2592000000 milliseconds from now";
        for relative in [MAX + 1, i64::MAX - 1, i64::MAX, 0, -1, i64::MIN] {
            assert_eq!(rules(expires_at(NOW, Some(relative), None, MAX)), [range]);
        }
        for absolute in [NOW + MAX + 1, i64::MAX] {
            assert_eq!(rules(expires_at(NOW, None, Some(absolute), MAX)), [ahead]);
        }
        for absolute in [NOW, NOW - 1, i64::MIN] {
            assert_eq!(
                rules(expires_at(NOW, None, Some(absolute), MAX)),
                ["absoluteValidityTime: has already passed"]
            );
        }
        // Both fields broken: both reported, in field order.
        assert_eq!(
            rules(expires_at(NOW, Some(i64::MAX), Some(i64::MAX), MAX)),
            [range, ahead]
        );
    }

    #[test]
    fn arithmetic_at_the_ends_of_time_is_checked() {
        // A clock or a maximum at the edge of i64 never wraps around.
        assert_eq!(
            rules(expires_at(i64::MAX - 10, Some(11), None, i64::MAX)),
            ["relativeValidityTime: must be between 1 and 9223372036854775807"]
        );
        assert_eq!(
            expires_at(i64::MAX - 10, Some(10), None, i64::MAX),
            Ok(i64::MAX)
        );
        assert_eq!(
            rules(expires_at(-10, None, Some(i64::MAX), i64::MAX)),
            ["absoluteValidityTime: must be at most 9223372036854775807 milliseconds from now"]
        );
        assert_eq!(expires_at(i64::MIN, None, Some(-1), i64::MAX), Ok(-1));
    }
}
