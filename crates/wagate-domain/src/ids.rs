//! Message ids: 22 characters of base62 (`0-9A-Za-z`) encoding a UUIDv7, so
//! ids sort by creation time both as numbers and as strings.

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
