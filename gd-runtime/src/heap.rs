//! Keeping freed memory in the process between training steps.
//!
//! A step of a large model allocates its temporaries (products, saved
//! activations, adjoints) and frees them all at its end. glibc's malloc then
//! gives the top of the heap back to the kernel once more than its trim
//! threshold is free there, and that threshold follows the largest block
//! it has unmapped so far (twice its size): with a 784-256-10 MLP in `f32`
//! (batch 128) a step's 1.3 MB of temporaries crossed it every step, so
//! every step faulted its memory back in page by page, zeroed by the
//! kernel: 166 page faults a step, 25 % of the step's CPU time (perf stat,
//! task-clock 550-690 ms against 434-461 ms over 300 steps). JAX and
//! PyTorch users meet the same thing (XLA keeps its own buffers; PyTorch's
//! CPU guides recommend jemalloc or tcmalloc).
//!
//! [`retain_freed_memory`] is the opt-in fix: the process keeps what it
//! frees for the next step. It changes malloc's settings for the whole
//! process, which is why gd never calls it on its own.

/// Tell the C allocator to keep freed memory for reuse instead of giving it
/// back to the kernel after every step: on glibc, the heap is trimmed only
/// past 1 GiB free at its top, and blocks up to 32 MiB (glibc's largest
/// setting) come from the heap instead of fresh mappings. Returns whether
/// the settings took effect (`false` where the C library is not glibc: musl
/// and the other platforms' allocators keep or return memory by rules of
/// their own, and a Rust `#[global_allocator]` such as mimalloc or jemalloc
/// ignores these settings altogether).
///
/// Call it once at the start of a long training run of a model whose step
/// allocates more than a few hundred kB. The memory kept is at most what
/// the largest step used.
///
/// ```
/// let kept = gd_runtime::heap::retain_freed_memory();
/// assert_eq!(kept, cfg!(all(target_os = "linux", target_env = "gnu")));
/// ```
pub fn retain_freed_memory() -> bool {
    imp::retain()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    use std::os::raw::c_int;

    // glibc's <malloc.h>.
    const M_TRIM_THRESHOLD: c_int = -1;
    const M_MMAP_THRESHOLD: c_int = -3;

    extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }

    pub(super) fn retain() -> bool {
        // SAFETY: mallopt only changes the allocator's tunables; both values
        // are in the ranges glibc accepts (it returns 0 otherwise).
        unsafe { mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1 && mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub(super) fn retain() -> bool {
        false
    }
}
