//! Message ids: 22 characters of base62 (`0-9A-Za-z`) encoding a UUIDv7, so
//! ids sort by creation time both as numbers and as strings; and for an
//! incoming message, a positive 63-bit number from the same UUIDv7 (Devino's
//! `incomingMessageId`, which must be a number).

use std::fmt;

/// The id LINK hands back per destination, e.g. `1aU6cwxAKE9NzMLrS6M82C`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(String);

/// Length of every [`MessageId`].
pub const MESSAGE_ID_LEN: usize = 22;

impl MessageId {
    /// A new id, later than every id made before it in this process' clock.
    pub fn generate() -> Self {
        Self::from_u128(uuid::Uuid::now_v7().as_u128())
    }

    /// A new id and the positive 63-bit number derived from the same
    /// UUIDv7: the milliseconds since 2020-01-01 (41 bits, enough until
    /// 2089) above the UUID's 22 lowest counter bits. Within one process the
    /// UUID's counter rises within a millisecond, so numbers made here never
    /// repeat (up to 4 million a millisecond); two processes repeat one only
    /// when both make an id in the same millisecond with the same 22 counter
    /// bits (drawn at random each millisecond).
    pub fn generate_numbered() -> (Self, i64) {
        let value = uuid::Uuid::now_v7().as_u128();
        (Self::from_u128(value), number_of(value))
    }

    fn from_u128(value: u128) -> Self {
        Self(format!(
            "{:0>width$}",
            base62::encode(value),
            width = MESSAGE_ID_LEN
        ))
    }

    /// Accepts a string that has the shape of a message id.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == MESSAGE_ID_LEN && text.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 2020-01-01T00:00:00Z in Unix milliseconds: where the numbers' clock
/// starts.
const NUMBER_EPOCH_MS: u64 = 1_577_836_800_000;

/// Bits of a number below its milliseconds.
const NUMBER_COUNTER_BITS: u32 = 22;

/// The number of a UUIDv7 (see [`MessageId::generate_numbered`]). A UUIDv7
/// holds its Unix milliseconds in its top 48 bits; its 42-bit counter
/// (`uuid`'s `ContextV7`) ends at bit 32, random bits below.
fn number_of(value: u128) -> i64 {
    let millis = u64::try_from(value >> 80).unwrap_or(u64::MAX);
    let since_epoch = millis.saturating_sub(NUMBER_EPOCH_MS) & ((1 << 41) - 1);
    let counter = u64::try_from((value >> 32) & ((1 << NUMBER_COUNTER_BITS) - 1)).unwrap_or(0);
    // 41 + 22 bits: the sign bit stays clear.
    i64::try_from((since_epoch << NUMBER_COUNTER_BITS) | counter).unwrap_or(i64::MAX)
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_22_base62_characters_and_sort_by_time() {
        let ids: Vec<MessageId> = (0..1000).map(|_| MessageId::generate()).collect();
        for id in &ids {
            assert_eq!(id.as_str().len(), MESSAGE_ID_LEN, "{id}");
            assert!(MessageId::parse(id.as_str()).is_some());
        }
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ids, "string order must follow creation order");
    }

    #[test]
    fn numbers_are_positive_distinct_and_carry_the_time() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let numbers: Vec<i64> = (0..100_000)
            .map(|_| MessageId::generate_numbered().1)
            .collect();
        assert!(numbers.iter().all(|n| *n > 0));
        let distinct: std::collections::HashSet<i64> = numbers.iter().copied().collect();
        assert_eq!(distinct.len(), numbers.len(), "a number repeats");
        let millis = u128::try_from(numbers[0] >> NUMBER_COUNTER_BITS).unwrap_or_default()
            + u128::from(NUMBER_EPOCH_MS);
        assert!(
            millis >= before && millis < before + 60_000,
            "{millis} vs {before}"
        );
        // The id and its number come from one UUID.
        let value = (u128::from(NUMBER_EPOCH_MS + 5) << 80) | (7 << 32) | 0xffff_ffff;
        assert_eq!(number_of(value), (5 << 22) | 7);
    }

    #[test]
    fn small_values_are_zero_padded() {
        assert_eq!(MessageId::from_u128(61).as_str(), "000000000000000000000z");
    }

    #[test]
    fn parse_rejects_wrong_shapes() {
        assert!(MessageId::parse("short").is_none());
        assert!(MessageId::parse("1aU6cwxAKE9NzMLrS6M8-C").is_none());
        assert!(MessageId::parse("1aU6cwxAKE9NzMLrS6M82C").is_some());
    }
}
