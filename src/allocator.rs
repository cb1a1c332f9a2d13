//! The allocator's settings. The binary allocates with mimalloc (see
//! `main.rs`), which by default keeps memory it no longer uses committed
//! for a second (ten for its arenas) before it gives it back to the OS.
//! Here it waits [`PURGE_DELAY_MILLIS`]: under the full loop's load the
//! default delay held about 20–60 MB more of the peak RSS, and purging at
//! once cost a tenth to a fifth of the throughput, where 10 ms cost none
//! measurable (the README's benchmark notes).
//!
//! It also keeps the kernel from backing the process's memory with
//! transparent huge pages ([`without_huge_pages`]): mimalloc asks for them
//! on its arenas, and a 2 MiB page stays resident whole while any of it is
//! in use, which a purge of the rest cannot give back.

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

/// Has the kernel back this process's memory with ordinary pages only
/// (`PR_SET_THP_DISABLE`, what mimalloc itself does under
/// `MIMALLOC_ALLOW_THP=0`), unless `MIMALLOC_ALLOW_THP` is set: then the
/// operator chose, and it is left alone. Under the full loop's load, huge
/// pages held about a quarter of the peak RSS (the README's benchmark
/// notes). `true` when the process runs without them now.
pub fn without_huge_pages() -> bool {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
        return false;
    }
    disable_huge_pages()
}

#[cfg(target_os = "linux")]
fn disable_huge_pages() -> bool {
    const DISABLE: libc::c_ulong = 1;
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only how
    // the kernel backs this process's memory, never its contents.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, DISABLE, 0, 0, 0) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn disable_huge_pages() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After the call, the kernel says huge pages are off for the process.
    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_off_after_the_call() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
            assert!(without_huge_pages());
            // SAFETY: PR_GET_THP_DISABLE reads the process's flag.
            let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
            assert_eq!(disabled, 1, "PR_GET_THP_DISABLE");
        }
    }

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
