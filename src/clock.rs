//! Time as the store keeps it (Unix milliseconds) and as the APIs show it
//! (RFC 3339, UTC).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::store::Millis;

pub fn now_millis() -> Millis {
    millis_of(OffsetDateTime::now_utc())
}

pub fn millis_of(at: OffsetDateTime) -> Millis {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// `2026-11-21T10:00:00.12Z`; an out-of-range value shows as the epoch.
pub fn rfc3339(at: Millis) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Parses an RFC 3339 date (`2010-03-30T12:59:40+02:00`) into milliseconds.
pub fn parse_rfc3339(text: &str) -> Option<Millis> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(millis_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_with_offsets() {
        let at = parse_rfc3339("2010-03-30T12:59:40+02:00").expect("parse");
        assert_eq!(at, 1_269_946_780_000);
        assert_eq!(rfc3339(at), "2010-03-30T10:59:40Z");
        assert_eq!(parse_rfc3339(&rfc3339(at + 120)), Some(at + 120));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
