//! Random ids in Meta's styles: message ids (`wamid.…`), conversation ids,
//! media ids and upload session ids.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// `wamid.` and 40 base64 characters, like the Cloud API's message ids.
pub fn wamid() -> String {
    format!("wamid.{}", STANDARD.encode(rand::random::<[u8; 30]>()))
}

/// 32 hex digits.
pub fn conversation_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// 16 decimal digits, like the Cloud API's media ids.
pub fn media_id() -> String {
    format!(
        "{}",
        rand::random_range(1_000_000_000_000_000u64..10_000_000_000_000_000)
    )
}

/// 32 URL-safe base64 characters (an upload session's id, a file handle).
pub fn upload_session() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_metas_and_differ() {
        let id = wamid();
        assert!(id.starts_with("wamid."));
        assert_eq!(id.len(), "wamid.".len() + 40);
        assert_ne!(wamid(), id);
        assert_eq!(conversation_id().len(), 32);
        let media = media_id();
        assert_eq!(media.len(), 16);
        assert!(media.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(upload_session().len(), 32);
    }
}
