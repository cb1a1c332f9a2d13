//! Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex>`, the
//! HMAC-SHA256 of the raw request body keyed with the app secret. The
//! simulator signs with it; the webhook receiver checks it (in constant
//! time).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header Meta signs webhooks with.
pub const HEADER: &str = "x-hub-signature-256";

const PREFIX: &str = "sha256=";

fn mac(secret: &[u8], body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    mac
}

/// The header value for `body` signed with `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    format!(
        "{PREFIX}{}",
        hex::encode(mac(secret, body).finalize().into_bytes())
    )
}

/// Whether `header` is the signature of `body` under `secret`; compares in
/// constant time.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix(PREFIX) else {
        return false;
    };
    let Ok(digest) = hex::decode(hex_digest) else {
        return false;
    };
    mac(secret, body).verify_slice(&digest).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_meta_and_verifies() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let header = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            header,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(b"Jefe", b"what do ya want for nothing?", &header));
        assert!(!verify(b"Jefe", b"what do ya want for nothing!", &header));
        assert!(!verify(b"jefe", b"what do ya want for nothing?", &header));
        assert!(!verify(
            b"Jefe",
            b"what do ya want for nothing?",
            &header[7..]
        ));
        assert!(!verify(
            b"Jefe",
            b"what do ya want for nothing?",
            "sha256=zz"
        ));
    }
}
