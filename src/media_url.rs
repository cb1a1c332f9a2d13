//! Expiring signed URLs for the media users send: Meta's own media URLs
//! need the business's access token, so an incoming media message reaches
//! the gate with a wagate URL instead,
//! `{public-url}/media/v1/{phone-number-id}/{media-id}?expires=<unix s>&signature=<hex>`,
//! where the signature is HMAC-SHA256 over `phone-number-id/media-id/expires`
//! under the media URL secret. wagate fetches the media from the Cloud API
//! when the URL is used.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use url::Url;

/// Signs and checks media URLs; cheap to clone.
#[derive(Clone)]
pub struct MediaUrls {
    public_url: Url,
    secret: Vec<u8>,
    ttl: Duration,
}

impl MediaUrls {
    pub fn new(public_url: Url, secret: Vec<u8>, ttl: Duration) -> Self {
        Self {
            public_url,
            secret,
            ttl,
        }
    }

    /// The gateway's URL as others reach it (`--public-url`).
    pub fn public_url(&self) -> &Url {
        &self.public_url
    }

    fn signature(&self, phone_number_id: &str, media_id: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .expect("HMAC takes keys of any length");
        mac.update(format!("{phone_number_id}/{media_id}/{expires}").as_bytes());
        mac
    }

    /// The URL a gate gets for a media id, valid from `now` (Unix ms) for
    /// the configured time.
    pub fn url(&self, phone_number_id: &str, media_id: &str, now: i64) -> String {
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let expires = (now / 1000).saturating_add(ttl);
        let signature = hex::encode(
            self.signature(phone_number_id, media_id, expires)
                .finalize()
                .into_bytes(),
        );
        let mut url = self.public_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(["media", "v1", phone_number_id, media_id]);
        }
        url.query_pairs_mut()
            .append_pair("expires", &expires.to_string())
            .append_pair("signature", &signature);
        url.to_string()
    }

    /// Whether a URL's parts are genuine and not expired at `now` (Unix
    /// ms); the signature is compared in constant time.
    pub fn check(
        &self,
        phone_number_id: &str,
        media_id: &str,
        expires: i64,
        signature: &str,
        now: i64,
    ) -> bool {
        let Ok(given) = hex::decode(signature) else {
            return false;
        };
        now / 1000 <= expires
            && self
                .signature(phone_number_id, media_id, expires)
                .verify_slice(&given)
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_verify_until_they_expire_and_not_when_changed() {
        let urls = MediaUrls::new(
            Url::parse("https://gw.example/base/").expect("url"),
            b"secret".to_vec(),
            Duration::from_secs(60),
        );
        let url = Url::parse(&urls.url("pnid", "media-1", 1_000_000)).expect("url");
        assert_eq!(url.path(), "/base/media/v1/pnid/media-1");
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        let expires: i64 = query["expires"].parse().expect("expires");
        let signature = &query["signature"];
        assert_eq!(expires, 1_000 + 60);
        assert!(urls.check("pnid", "media-1", expires, signature, 1_000_000));
        assert!(urls.check("pnid", "media-1", expires, signature, 1_060_999));
        assert!(
            !urls.check("pnid", "media-1", expires, signature, 1_061_000),
            "expired"
        );
        assert!(!urls.check("pnid", "media-2", expires, signature, 1_000_000));
        assert!(!urls.check("other", "media-1", expires, signature, 1_000_000));
        assert!(!urls.check("pnid", "media-1", expires + 1, signature, 1_000_000));
        assert!(!urls.check("pnid", "media-1", expires, "zz", 1_000_000));
    }
}
