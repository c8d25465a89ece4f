//! The thread budget of a computation: how many threads the code running on
//! this thread may use, so that `Trainer::threads(n)` and
//! `objective::sharded(n, ..)` bound every thread a step uses, the matrix
//! products of generated gradients included (gd's
//! `src/__private/tensor/gemm.rs` reads [`threads`] and threads a large
//! product through [`install`]).
//!
//! The sharded paths ([`crate::shard`]) set it: each shard gets its share of
//! the `n` threads (with as many shards as threads, one each: serial
//! products), a batch left whole gets all `n`. Products threaded under a
//! budget run on a pool of gd's own with exactly `n` threads (every shard's
//! on the same one), never on rayon's global pool (every core, whatever
//! `n`). Before, `threads(1)` still ran large products on every core, and
//! with `threads(2)` shard 0 (on the calling thread, not a pool thread)
//! threaded its products on the global pool, whose other thread was busy
//! with shard 1, then waited for shard 1 to end (the products' blocking
//! `vzeroupper` broadcast, since made non-blocking in gemm.rs).
//!
//! Outside any budget (a generated gradient called directly) products
//! behave as before the budget: every thread of the current rayon pool, or
//! one on a thread of that pool (its siblings have work of their own).

use std::cell::Cell;
use std::sync::Mutex;

use rayon::{ThreadPool, ThreadPoolBuilder};

/// A computation's budget: `threads` threads, of gd's pool of `pool`
/// threads (the run's whole count, which its shards share: a shard's
/// threaded product runs on that pool, never on a pool of its own share).
#[derive(Clone, Copy)]
struct Budget {
    threads: usize,
    pool: usize,
}

thread_local! {
    /// The budget on this thread, if one is set.
    static BUDGET: Cell<Option<Budget>> = const { Cell::new(None) };
}

/// Run `f` with a budget of `threads` threads (at least 1) of gd's pool of
/// `pool` threads on this thread; the previous budget comes back after, a
/// panic in `f` included. The pool is made only when something threads.
pub(crate) fn with<R>(threads: usize, pool: usize, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Budget>);
    impl Drop for Restore {
        fn drop(&mut self) {
            BUDGET.with(|b| b.set(self.0));
        }
    }
    let budget = Budget { threads: threads.max(1), pool: pool.max(threads).max(1) };
    let _restore = Restore(BUDGET.with(|b| b.replace(Some(budget))));
    f()
}

/// `loss` with each call under a budget of `threads` threads of gd's pool
/// of as many: the serial fits (`Trainer::fit`, `fit_params`, `lr_find`,
/// `lr_find_params`) bound their matrix products by their `threads` setting
/// as the sharded ones do (`threads(1)`: serial products, no thread started).
pub(crate) fn serial<P: ?Sized>(
    threads: usize,
    mut loss: impl FnMut(&P, &[usize], &mut P) -> f64,
) -> impl FnMut(&P, &[usize], &mut P) -> f64 {
    move |p, batch, g| with(threads, threads, || loss(p, batch, g))
}

/// The threads the code running on this thread may use: its budget, or
/// with none set, every thread of rayon's current pool (1 on one of that
/// pool's own threads). Starts rayon's global pool only outside a budget.
#[doc(hidden)]
pub fn threads() -> usize {
    match BUDGET.with(Cell::get) {
        Some(b) => b.threads,
        None if rayon::current_thread_index().is_some() => 1,
        None => rayon::current_num_threads(),
    }
}

/// Run `op`, which threads through rayon on [`threads`] threads, where
/// those threads are: on the budget's pool of gd's, or with no budget, here
/// (rayon's current pool, as before the budget).
#[doc(hidden)]
pub fn install<R: Send>(op: impl FnOnce() -> R + Send) -> R {
    match BUDGET.with(Cell::get) {
        Some(b) => pool(b.pool).install(op),
        None => op(),
    }
}

/// `a` on this thread and `b` on another of the current pool (rayon's
/// global one outside a pool), both ended when this returns; a panic in
/// either is raised here. Unlike `rayon::join`, which from outside a pool
/// sends both halves to the pool and leaves the caller waiting, the caller
/// takes its half: after a threaded matrix product, an MNIST-sized Adam
/// step (two ranges of 100 k `f32`) took 1.02–1.28e-6 s a sample against
/// 1.24–1.57e-6 with `join` (six alternating runs each, 2 cores).
#[doc(hidden)]
pub fn both(a: impl FnOnce() + Send, b: impl FnOnce() + Send) {
    rayon::in_place_scope(|s| {
        s.spawn(|_| b());
        a();
    });
}

/// gd's pool of `threads` threads: built at first use, then kept for the
/// process, so its threads persist between steps and between runs (a fresh
/// pool per run would start `threads` threads each time, and the peers
/// bench makes a `Trainer` per epoch).
pub(crate) fn pool(threads: usize) -> &'static ThreadPool {
    static POOLS: Mutex<Vec<&'static ThreadPool>> = Mutex::new(Vec::new());
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = pools.iter().find(|p| p.current_num_threads() == threads) {
        return p;
    }
    let p = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("gd-{threads}-{i}"))
        .build()
        .expect("gd: could not start a thread pool");
    let p: &'static ThreadPool = Box::leak(Box::new(p));
    pools.push(p);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `with` sets the budget for its closure only, nested or unwinding.
    #[test]
    fn a_budget_holds_inside_its_closure_only() {
        let none = std::thread::spawn(threads).join().unwrap();
        assert_eq!(none, rayon::current_num_threads());
        // On a thread of rayon's pool with no budget: 1 (today's rule).
        assert_eq!(rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap().install(threads), 1);
        let on = || install(|| std::thread::current().name().map(String::from)).unwrap_or_default();
        with(3, 3, || {
            assert_eq!(threads(), 3);
            with(1, 3, || assert_eq!(threads(), 1));
            assert_eq!(threads(), 3);
            let r = std::panic::catch_unwind(|| with(2, 2, || panic!("in the loss")));
            assert!(r.is_err());
            assert_eq!(threads(), 3);
            // `install` runs on gd's pool of the budget's pool size.
            assert!(on().starts_with("gd-3-"), "{}", on());
        });
        // A share of a larger pool threads on that pool.
        with(2, 5, || assert!(on().starts_with("gd-5-"), "{}", on()));
        assert_eq!(std::thread::spawn(threads).join().unwrap(), none);
        assert_eq!(with(0, 0, threads), 1, "a budget is at least one thread");
    }

    /// One pool per size, kept.
    #[test]
    fn pools_are_made_once_per_size() {
        let (a, b, c) = (pool(5), pool(5), pool(6));
        assert!(std::ptr::eq(a, b) && !std::ptr::eq(a, c));
        assert_eq!((a.current_num_threads(), c.current_num_threads()), (5, 6));
    }
}
