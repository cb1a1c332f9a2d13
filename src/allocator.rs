//! The allocator's settings. The binary allocates with mimalloc (see
//! `main.rs`), which by default keeps memory it no longer uses committed
//! for a second (ten for its arenas) before it gives it back to the OS.
//! Here it waits [`PURGE_DELAY_MILLIS`]: under the full loop's load the
//! default delay held about 20–60 MB more of the peak RSS, and purging at
//! once cost a tenth to a fifth of the throughput, where 10 ms cost none
//! measurable (the README's benchmark notes).

use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};

/// `mi_option_purge_delay`, by its place in mimalloc v3's `mi_option_e`
/// (the bindings name no constant for it): milliseconds before freed
/// memory is purged.
const PURGE_DELAY: mi_option_t = 15;
/// mimalloc v3's default for it.
const DEFAULT_PURGE_DELAY: std::os::raw::c_long = 1000;
/// The purge delay set here (mimalloc v2's default).
pub const PURGE_DELAY_MILLIS: std::os::raw::c_long = 10;

/// Has mimalloc purge freed memory after [`PURGE_DELAY_MILLIS`], unless its
/// purge delay is not the default (`MIMALLOC_PURGE_DELAY` set by the
/// operator, or a mimalloc whose options are numbered otherwise): then it
/// is left as it is, and the answer is `false`.
pub fn purge_freed_memory_soon() -> bool {
    // SAFETY: reading and setting an option of mimalloc, which any thread
    // may do at any time; the index is checked against the default it has.
    unsafe {
        if mi_option_get(PURGE_DELAY) != DEFAULT_PURGE_DELAY {
            return false;
        }
        mi_option_set(PURGE_DELAY, PURGE_DELAY_MILLIS);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index names the purge delay of the mimalloc this crate builds:
    /// its default, then the value set.
    #[test]
    fn the_purge_delay_is_the_option_set() {
        // SAFETY: as above.
        let before = unsafe { mi_option_get(PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(
                before, DEFAULT_PURGE_DELAY,
                "option {PURGE_DELAY} is not the purge delay"
            );
            assert!(purge_freed_memory_soon());
            // SAFETY: as above.
            assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, PURGE_DELAY_MILLIS);
            assert!(!purge_freed_memory_soon(), "set once, left alone after");
        }
    }
}
