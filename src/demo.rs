//! The demo tenant: with the sandbox upstream and an empty database,
//! `wagate serve` creates an account, a user with a random password and a
//! source number, and prints how to send a first message.

use std::net::SocketAddr;

use crate::auth::{api_key_digest, hash_password_off_thread, random_token};
use crate::clock::now_millis;
use crate::store::{Account, Source, SourceLevel, Store, StoreError, User};

pub const DEMO_PLATFORM_ID: &str = "demo";
pub const DEMO_PLATFORM_PARTNER_ID: &str = "demo";
pub const DEMO_USERNAME: &str = "demo";
pub const DEMO_SOURCE: &str = "+15550100001";

/// Creates the demo tenant when the store has no account at all; prints its
/// credentials (the only time the password is shown).
pub async fn provision_if_empty(store: &dyn Store, address: SocketAddr) -> anyhow::Result<()> {
    if !store.accounts().await?.is_empty() {
        return Ok(());
    }
    let password = random_token(20);
    if !create(store, &password).await? {
        return Ok(());
    }
    let base = format!("http://{address}");
    println!(
        "\nwagate: sandbox demo tenant created (shown once; keep the password)\n\
         \x20 user {DEMO_USERNAME}, password {password}\n\
         \x20 platformId {DEMO_PLATFORM_ID}, platformPartnerId {DEMO_PLATFORM_PARTNER_ID}, source {DEMO_SOURCE}\n\
         \x20 send Meta's sample template to a sandbox user:\n\n\
         curl -u {DEMO_USERNAME}:{password} {base}/whatsapp-message/messages \\\n\
         \x20 -H 'content-type: application/json' \\\n\
         \x20 -d '{}'\n",
        demo_request("+46701234567")
    );
    Ok(())
}

/// The request body the demo `curl` sends.
pub fn demo_request(destination: &str) -> String {
    serde_json::json!({
        "platformId": DEMO_PLATFORM_ID,
        "platformPartnerId": DEMO_PLATFORM_PARTNER_ID,
        "priority": "NORMAL",
        "refId": "demo-1",
        "source": DEMO_SOURCE,
        "destinations": [destination],
        "messages": [{"type": "template", "template": {"name": "hello_world", "language": {"code": "en_US"}}}]
    })
    .to_string()
}

/// Creates the demo tenant; `false` when another instance sharing the
/// database is creating it at the same moment (its account came first).
async fn create(store: &dyn Store, password: &str) -> anyhow::Result<bool> {
    let now = now_millis();
    let account = Account {
        id: random_token(12),
        platform_id: DEMO_PLATFORM_ID.into(),
        platform_partner_id: DEMO_PLATFORM_PARTNER_ID.into(),
        name: Some("wagate sandbox demo".into()),
        default_country: None,
        created_at: now,
    };
    match store.insert_account(&account).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Ok(false),
        Err(error) => return Err(error.into()),
    }
    let password_hash = hash_password_off_thread(password.to_owned()).await?;
    store
        .insert_user(&User {
            username: DEMO_USERNAME.into(),
            account_id: account.id.clone(),
            password_hash,
            api_key_hash: api_key_digest(&random_token(40)),
            created_at: now,
        })
        .await?;
    store
        .insert_source(&Source {
            id: random_token(12),
            account_id: account.id,
            number: DEMO_SOURCE.into(),
            phone_number_id: Some("sandbox-15550100001".into()),
            waba_id: Some("sandbox-waba".into()),
            access_token: None,
            level: SourceLevel::Standard,
            throughput: None,
            care_window_check: true,
            created_at: now,
        })
        .await?;
    Ok(true)
}
