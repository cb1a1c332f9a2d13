//! Accounts and gates read at most once per pass of the fan-out and the
//! router, however many reports name them (from the tenant cache, see
//! [`crate::store::cached`]).

use std::collections::HashMap;

use crate::store::{Account, Gate, StoreResult, TenantStore, owned_by};

#[derive(Default)]
pub(super) struct Lookups {
    accounts: HashMap<String, Option<Account>>,
    gates: HashMap<String, Option<Gate>>,
}

impl Lookups {
    pub(super) async fn account(
        &mut self,
        tenants: &dyn TenantStore,
        id: &str,
    ) -> StoreResult<Option<Account>> {
        if !self.accounts.contains_key(id) {
            let account = tenants.account(id).await?;
            self.accounts.insert(id.to_owned(), account);
        }
        Ok(self.accounts.get(id).cloned().flatten())
    }

    /// The gate, if it exists and belongs to the account.
    pub(super) async fn gate(
        &mut self,
        tenants: &dyn TenantStore,
        account_id: &str,
        gate_id: &str,
    ) -> StoreResult<Option<Gate>> {
        if !self.gates.contains_key(gate_id) {
            let gate = tenants.gate(gate_id).await?;
            self.gates.insert(gate_id.to_owned(), gate);
        }
        Ok(owned_by(
            self.gates.get(gate_id).cloned().flatten(),
            account_id,
        ))
    }
}
