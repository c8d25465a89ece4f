//! The thread budget of a computation: how many threads the code running on
//! this thread may use, so that `Trainer::threads(n)` and
//! `objective::sharded(n, ..)` bound every thread a step uses, the matrix
//! products of generated gradients included (gd's
//! `src/__private/tensor/gemm.rs` reads [`threads`] and splits a large
//! product in halves with [`both`]).
//!
//! The sharded paths ([`crate::shard`]) set it: each shard gets its share of
//! the `n` threads (with as many shards as threads, one each: serial
//! products), a batch left whole gets all `n`. Every thread gd adds is one
//! of its helpers (`budget/helpers.rs`): the shards after the first
//! ([`fan_out`]) and the second halves of threaded products, maps and
//! optimizer steps ([`both`]) go to idle helpers, never to rayon's global
//! pool (every core, whatever `n`); a budget of `n` starts at most `n - 1`
//! of them (the calling thread is the other). Before, `threads(1)` still ran
//! large products on every core; then gd kept a rayon pool per thread
//! count, whose idle threads sleep and took ~40 µs to wake for each
//! threaded piece of a step (helpers spin a while instead).
//!
//! Outside any budget (a generated gradient called directly) products
//! thread on as many threads as rayon's current pool has, or run serially
//! on a thread of a rayon pool (its siblings have work of their own).

use std::cell::Cell;
mod helpers;

/// A computation's budget: `threads` threads, of a run of `run` threads
/// in all (its shards' shares add up to it; gd starts `run - 1` helpers).
#[derive(Clone, Copy)]
struct Budget {
    threads: usize,
    run: usize,
}

thread_local! {
    /// The budget on this thread, if one is set.
    static BUDGET: Cell<Option<Budget>> = const { Cell::new(None) };
}

/// Run `f` with a budget of `threads` threads (at least 1) of a run of
/// `run` threads on this thread; the previous budget comes back after, a
/// panic in `f` included. Helpers start only when something threads.
pub(crate) fn with<R>(threads: usize, run: usize, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Budget>);
    impl Drop for Restore {
        fn drop(&mut self) {
            BUDGET.with(|b| b.set(self.0));
        }
    }
    let budget = Budget { threads: threads.max(1), run: run.max(threads).max(1) };
    let _restore = Restore(BUDGET.with(|b| b.replace(Some(budget))));
    f()
}

/// `loss` with each call under a budget of `threads` threads of a run of
/// as many: the serial fits (`Trainer::fit`, `fit_params`, `lr_find`,
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
/// pool's own threads, or on one of gd's helpers). Enough helpers are
/// started for it. Starts rayon's global pool only outside a budget.
#[doc(hidden)]
pub fn threads() -> usize {
    let (threads, run) = match BUDGET.with(Cell::get) {
        Some(b) => (b.threads, b.run),
        None if rayon::current_thread_index().is_some() || helpers::on_helper() => (1, 1),
        None => {
            let n = rayon::current_num_threads();
            (n, n)
        }
    };
    if threads > 1 {
        helpers::ensure(run - 1);
    }
    threads
}

/// `a` on this thread and `b` on an idle helper, both ended when this
/// returns; a panic in either is raised here, after both have ended. With
/// no helper idle (or the helper not started on `b` by the time `a` ends),
/// `b` runs here after `a`, so a parked helper costs an `unpark`, never a
/// wait. Callers size the halves by [`threads`], which starts the helpers.
#[doc(hidden)]
pub fn both(a: impl FnOnce() + Send, b: impl FnOnce() + Send) {
    helpers::both(a, b)
}

/// `f(i, &mut items[i])` for every `i`, `items[0]` on this thread and the
/// rest on helpers (split in halves, [`both`]), all ended when this
/// returns; a panic is raised here after the others have ended.
pub(crate) fn fan_out<T: Send>(items: &mut [T], f: &(impl Fn(usize, &mut T) + Sync)) {
    helpers::ensure(items.len().saturating_sub(1));
    fn from<T: Send>(first: usize, items: &mut [T], f: &(impl Fn(usize, &mut T) + Sync)) {
        match items.len() {
            0 => {}
            1 => f(first, &mut items[0]),
            n => {
                let (l, r) = items.split_at_mut(n / 2);
                both(|| from(first, l, f), || from(first + n / 2, r, f));
            }
        }
    }
    from(0, items, f)
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
        with(3, 3, || {
            assert_eq!(threads(), 3);
            with(1, 3, || assert_eq!(threads(), 1));
            assert_eq!(threads(), 3);
            let r = std::panic::catch_unwind(|| with(2, 2, || panic!("in the loss")));
            assert!(r.is_err());
            assert_eq!(threads(), 3);
        });
        assert_eq!(std::thread::spawn(threads).join().unwrap(), none);
        assert_eq!(with(0, 0, threads), 1, "a budget is at least one thread");
    }

    /// `fan_out` runs every item once, the first on this thread, the rest
    /// on helpers when some are idle, a panic raised here.
    #[test]
    fn fan_out_runs_each_item_once() {
        let here = std::thread::current().id();
        for n in [0, 1, 2, 3, 7] {
            let mut items: Vec<(usize, Option<std::thread::ThreadId>)> = vec![(0, None); n];
            with(4, 4, || {
                fan_out(&mut items, &|i, it| *it = (it.0 + i + 1, Some(std::thread::current().id())));
            });
            assert_eq!(items.iter().map(|it| it.0).collect::<Vec<_>>(), (1..=n).collect::<Vec<_>>());
            if n > 0 {
                assert_eq!(items[0].1, Some(here));
            }
        }
        let r = std::panic::catch_unwind(|| fan_out(&mut [0, 1, 2], &|i, _| assert!(i != 2, "item 2")));
        assert!(r.is_err());
    }
}
