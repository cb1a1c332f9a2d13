//! Random ids in Meta's styles: message ids (`wamid.…`) and conversation ids.

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
    }
}
