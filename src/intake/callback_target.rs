//! A message's own callback URL (the Devino dialect's `callbackUrl`) as a
//! target of the callback pipeline.
//!
//! Callbacks go to gates: the claim gives each gate its share of the
//! delivery slots, and keeps each message's callbacks in order per gate. A
//! callback URL is therefore delivered through a gate of its tenant that
//! stands for the URL's origin (scheme, host and port), made the first time
//! the origin is named: its id is `cb-` and a digest of the tenant and the
//! origin, its format Devino's. Each delivery carries the message's own URL
//! (query and path included), so URLs that differ per message share their
//! origin's gate: the gates stay as few as the hosts called, and a slow host
//! holds only its own share of the slots.
//!
//! The URL gets the checks a gate's URL gets when it is made (an absolute
//! http(s) URL whose host is a public address, unless private addresses
//! are allowed), and the same check again before every try.

use sha2::{Digest, Sha256};

use super::IntakeError;
use crate::egress;
use crate::store::cached::CachedTenants;
use crate::store::{
    Account, Gate, GateFormat, KeyValues, MessageCallback, Millis, TenantStore as _,
};

/// The beginning of every gate id made for callback URLs; the admin API
/// does not let an operator choose one.
pub const GATE_ID_PREFIX: &str = "cb-";

/// The longest callback URL kept, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// The id of the gate that stands for `origin` in `account_id`.
pub fn gate_id(account_id: &str, origin: &str) -> String {
    let digest = Sha256::digest(format!("{account_id}\n{origin}").as_bytes());
    format!("{GATE_ID_PREFIX}{}", hex::encode(&digest[..12]))
}

/// The message's own callback URL, if `gate_id` is the gate that stands for
/// its origin: where that gate's callbacks about the message go.
pub fn url_for_gate(
    account_id: &str,
    gate_id: &str,
    callback: Option<&MessageCallback>,
) -> Option<String> {
    let callback = callback?;
    let origin = egress::callback_url(&callback.url)?
        .origin()
        .ascii_serialization();
    (gate_id == self::gate_id(account_id, &origin)).then(|| callback.url.clone())
}

/// Checks `url` and returns the id of its origin's gate, made now if the
/// tenant has none yet.
pub async fn gate_for(
    tenants: &CachedTenants,
    account: &Account,
    url: &str,
    allow_private: bool,
    now: Millis,
) -> Result<String, IntakeError> {
    if url.len() > MAX_URL_LEN {
        return Err(IntakeError::CallbackUrl(format!(
            "must be at most {MAX_URL_LEN} bytes long"
        )));
    }
    let parsed = egress::callback_url(url).ok_or_else(|| {
        IntakeError::CallbackUrl("must be an absolute http:// or https:// URL".into())
    })?;
    let origin = parsed.origin().ascii_serialization();
    let id = gate_id(&account.id, &origin);
    let gate = match tenants.gate(&id).await? {
        Some(gate) => gate,
        None => {
            egress::check(&parsed, allow_private)
                .await
                .map_err(|error| IntakeError::CallbackUrl(error.to_string()))?;
            tenants
                .ensure_gate(&Gate {
                    id: id.clone(),
                    account_id: account.id.clone(),
                    url: origin,
                    format: GateFormat::Devino,
                    custom_parameters: KeyValues::new(),
                    signing_secret: None,
                    created_at: now,
                })
                .await?
        }
    };
    if gate.account_id != account.id {
        // Only an id chosen by hand could collide, and the admin API does
        // not allow the prefix; refuse rather than report to another tenant.
        return Err(IntakeError::CallbackUrl(
            "cannot be used: its gate id is taken".into(),
        ));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_ids_differ_by_tenant_and_origin_and_fit_the_admin_rules() {
        let one = gate_id("acc-1", "https://hooks.example.com");
        assert_eq!(one, gate_id("acc-1", "https://hooks.example.com"));
        assert_ne!(one, gate_id("acc-2", "https://hooks.example.com"));
        assert_ne!(one, gate_id("acc-1", "https://hooks.example.com:8443"));
        assert!(one.starts_with(GATE_ID_PREFIX));
        assert_eq!(one.len(), GATE_ID_PREFIX.len() + 24);
        // The admin API's rule for gate ids: at most 64 letters, digits, - or _.
        assert!(one.len() <= 64);
        assert!(
            one.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn a_message_s_url_goes_with_its_origin_s_gate_only() {
        let callback = MessageCallback {
            url: "https://hooks.example.com/status?order=7".into(),
            data: None,
        };
        let own = gate_id("acc-1", "https://hooks.example.com");
        assert_eq!(
            url_for_gate("acc-1", &own, Some(&callback)).as_deref(),
            Some("https://hooks.example.com/status?order=7")
        );
        assert_eq!(url_for_gate("acc-2", &own, Some(&callback)), None);
        assert_eq!(url_for_gate("acc-1", "some-gate", Some(&callback)), None);
        assert_eq!(url_for_gate("acc-1", &own, None), None);
    }
}
