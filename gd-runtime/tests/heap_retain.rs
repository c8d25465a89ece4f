//! `heap::retain_freed_memory`: after it, a training-step-like pattern of
//! allocations (several blocks of 1 MB, written, then all freed) reuses its
//! memory instead of faulting it in again every cycle. One test in its own
//! process: the setting is the whole process's.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn freed_memory_is_reused_without_page_faults() {
    use std::hint::black_box;

    /// Minor page faults of this process so far (/proc/self/stat, field 10).
    fn minor_faults() -> u64 {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        after_name.split_whitespace().nth(7).unwrap().parse().unwrap()
    }
    const BLOCK: usize = 1 << 20;
    const BLOCKS: usize = 6;
    let step = || {
        let blocks: Vec<Vec<u8>> = (0..BLOCKS)
            .map(|k| {
                let mut v = vec![0u8; BLOCK];
                v.iter_mut().step_by(4096).for_each(|b| *b = k as u8 + 1);
                v
            })
            .collect();
        black_box(&blocks);
    };
    assert!(gd_runtime::heap::retain_freed_memory());
    step();
    let before = minor_faults();
    for _ in 0..20 {
        step();
    }
    let per_step = (minor_faults() - before) / 20;
    let pages = (BLOCK * BLOCKS / 4096) as u64;
    assert!(per_step < pages / 10, "{per_step} page faults per step of {pages} pages: freed memory went back to the kernel");
}
