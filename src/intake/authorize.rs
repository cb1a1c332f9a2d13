//! What a request may name: its own tenant's source numbers and gates,
//! read through the tenant cache. Another tenant's row is refused exactly
//! like a missing one.

use super::IntakeError;
use crate::store::cached::CachedTenants;
use crate::store::{Account, TenantStore as _, owned_by};

/// The source number (E.164) must be one of the account's.
pub async fn owned_source(
    tenants: &CachedTenants,
    account: &Account,
    number: &str,
) -> Result<(), IntakeError> {
    let source = tenants.source_by_number(number).await?;
    match owned_by(source, &account.id) {
        Some(_) => Ok(()),
        None => Err(IntakeError::ForeignSource(number.to_owned())),
    }
}

/// Every gate named must be one of the account's.
pub async fn owned_gates(
    tenants: &CachedTenants,
    account: &Account,
    gate_ids: &[String],
) -> Result<(), IntakeError> {
    for (index, gate_id) in gate_ids.iter().enumerate() {
        let gate = tenants.gate(gate_id).await?;
        if owned_by(gate, &account.id).is_none() {
            return Err(IntakeError::UnknownGate { index });
        }
    }
    Ok(())
}
