//! The `Authorization: Basic` header of LINK requests. Beyond "no panic":
//! a username read never holds `:` or NUL, and the credentials read are
//! read back the same from their own canonical header.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use wagate::api::link::auth::basic_credentials;

fuzz_target!(|header: &str| {
    let Some((user, password)) = basic_credentials(header) else {
        return;
    };
    assert!(!user.contains(':') && !user.contains('\0'), "{user:?}");
    let canonical = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
    assert_eq!(
        basic_credentials(&canonical),
        Some((user, password)),
        "{header:?}"
    );
});
