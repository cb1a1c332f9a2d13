//! This instance's callback slots: how many tries run at once in all
//! (`--callback-concurrency`) and to one gate (`--callback-gate-concurrency`).
//!
//! The claim already gives a gate no more than its share less what is
//! leased for it (see [`CallbackStore::claim_deliveries`]); the count per gate
//! here holds this instance to the share even where the two disagree (a
//! lease that ran out while its try went on).
//!
//! [`CallbackStore::claim_deliveries`]: crate::store::CallbackStore::claim_deliveries

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

type Busy = Arc<Mutex<HashMap<String, usize>>>;

/// The slots of all gates, and the tries running per gate.
pub struct Slots {
    all: Arc<Semaphore>,
    per_gate: usize,
    busy: Busy,
}

/// One try's slot: given back when dropped.
pub struct Slot {
    _all: OwnedSemaphorePermit,
    gate: String,
    busy: Busy,
}

impl Slots {
    pub fn new(all: usize, per_gate: usize) -> Self {
        Self {
            all: Arc::new(Semaphore::new(all)),
            per_gate,
            busy: Busy::default(),
        }
    }

    /// Slots free in all.
    pub fn free(&self) -> usize {
        self.all.available_permits()
    }

    /// A slot for a try to `gate`, if one is free in all and the gate has
    /// fewer than its share running.
    pub fn take(&self, gate: &str) -> Option<Slot> {
        let all = self.all.clone().try_acquire_owned().ok()?;
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let running = busy.entry(gate.to_owned()).or_default();
        if *running >= self.per_gate {
            return None;
        }
        *running += 1;
        Some(Slot {
            _all: all,
            gate: gate.to_owned(),
            busy: self.busy.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(running) = busy.get_mut(&self.gate) {
            *running = running.saturating_sub(1);
            if *running == 0 {
                busy.remove(&self.gate);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gate_gets_its_share_and_all_gates_the_total() {
        let slots = Slots::new(3, 2);
        let first = slots.take("slow").expect("a slot");
        let second = slots.take("slow").expect("a slot");
        assert!(slots.take("slow").is_none(), "the gate's share is used up");
        assert_eq!(slots.free(), 1, "a refused gate holds no slot");
        let other = slots.take("fast").expect("another gate's slot");
        assert!(slots.take("other").is_none(), "all slots are taken");
        drop(first);
        assert!(slots.take("fast").is_some(), "a slot given back is free");
        drop((second, other));
        assert_eq!(slots.free(), 3);
        assert!(slots.busy.lock().expect("lock").is_empty());
    }
}
