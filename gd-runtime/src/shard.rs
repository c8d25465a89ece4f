//! A batch's loss and gradient computed on several threads: the batch is cut
//! into contiguous shards, each shard's mean loss and gradient go into that
//! shard's own buffer, and the buffers are combined, weighted by shard
//! length, in shard order (0, 1, 2, …). The sum never depends on which
//! thread finished first, so a run is bitwise repeatable for a given thread
//! count, and agrees with the serial run up to rounding.
//!
//! Used by [`crate::Trainer::fit_sharded`] / [`crate::Trainer::fit_params_sharded`]
//! and by [`crate::objective::sharded`].

use std::borrow::BorrowMut;

use crate::budget;
use crate::error::{check, GdError};
use crate::train::TrainParams;

/// Shard size below which a batch is not split further, by default, so a
/// batch under 64 samples stays on one thread. Measured on 2 idle cores
/// (README, "All cores"): the digits MLP's batches of 32 cut in two shards
/// of 16 took 1.26–1.34× the serial time (handing a shard over and waiting for
/// it costs 11–18 µs a step, the serial step is 90 µs), while the mlp
/// bench's batches of 256 in shards of 128 took 0.68–0.73×. A loss much cheaper
/// per sample (a logistic regression on 20 features: 0.1 µs) wants a
/// larger `min_shard` still, or one thread.
pub const DEFAULT_MIN_SHARD: usize = 32;

/// The number of threads the sharded paths use by default: the machine's
/// available parallelism (1 if it cannot be read).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// How many shards a batch of `n` samples is cut into: at most `threads`,
/// and none shorter than `min_shard` samples (so at least one).
pub fn shard_count(n: usize, threads: usize, min_shard: usize) -> usize {
    threads.min(n / min_shard.max(1)).max(1)
}

/// The per-shard gradient buffers of one run, kept between steps so a step
/// allocates none (they are made, once, the first time a batch needs them).
pub(crate) struct Shards<B> {
    threads: usize,
    min_shard: usize,
    /// Each shard's gradient buffer and mean loss.
    bufs: Vec<(B, f64)>,
}

impl<B> Shards<B> {
    /// Checked settings: both at least 1.
    pub(crate) fn new(threads: usize, min_shard: usize) -> Result<Self, GdError> {
        check::at_least_one("threads", threads)?;
        check::at_least_one("min_shard", min_shard)?;
        Ok(Shards { threads, min_shard, bufs: Vec::new() })
    }

    /// The thread count.
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// Drop the buffers (the parameters' shape changed).
    pub(crate) fn clear(&mut self) {
        self.bufs.clear();
    }

    /// `loss(p, batch, g)` computed shard by shard: the mean loss over
    /// `batch`, its mean gradient written into `g`. One shard (a small
    /// batch, or one thread) is the plain call on this thread.
    ///
    /// Every call runs under a thread budget ([`crate::budget`]) that the
    /// generated gradients' matrix products read: one shard gets all the
    /// threads, k shards share them (`threads / k` each, the first
    /// `threads % k` shards one more), so a step never uses more than
    /// `threads` threads, and `threads(1)` is serial throughout.
    ///
    /// A panic in a shard is raised again on the calling thread, with its
    /// own payload, once every shard has ended (rayon's scope does that).
    pub(crate) fn eval<P, L>(&mut self, loss: &L, p: &P, batch: &[usize], g: &mut P) -> f64
    where
        P: TrainParams<Owned = B> + Sync + ?Sized,
        B: BorrowMut<P> + Send,
        L: Fn(&P, &[usize], &mut P) -> f64 + Sync,
    {
        let (n, threads) = (batch.len(), self.threads);
        let k = shard_count(n, threads, self.min_shard);
        if k == 1 {
            return budget::with(threads, threads, || loss(p, batch, g));
        }
        while self.bufs.len() < k {
            self.bufs.push((p.zeros(), 0.0));
        }
        // Shard i is batch[i·n/k .. (i+1)·n/k]: contiguous, lengths within one.
        let bounds = |i: usize| i * n / k..(i + 1) * n / k;
        let share = |i: usize| threads / k + usize::from(i < threads % k);
        // Shard 0 here, the others on gd's helpers (not rayon's global
        // pool: that has every core), which persist between steps and spin
        // a while before they sleep: a scoped thread's start and join cost
        // about 3 times what a rayon pool's dispatch did (35 µs against
        // 11 µs a step, README "All cores"), and that dispatch mostly waited
        // for a sleeping thread to wake. A shard's threaded products use
        // other idle helpers; a run starts at most `threads - 1` of them.
        budget::fan_out(&mut self.bufs[..k], &|i, (buf, out): &mut (B, f64)| {
            *out = budget::with(share(i), threads, || loss(p, &batch[bounds(i)], buf.borrow_mut()));
        });
        // The fixed-order reduction: Σ nᵢ·gᵢ / n, Σ nᵢ·lᵢ / n. Rounded as
        // `g ← 0`, `g += nᵢ·gᵢ` for each shard, `g /= n`, in k passes over
        // `g` instead of k + 2 (train/passes.rs).
        let mut total = 0.0;
        for (i, (buf, l)) in self.bufs[..k].iter_mut().enumerate() {
            let w = bounds(i).len() as f64;
            let b: &mut P = buf.borrow_mut();
            match i {
                0 => g.set_scaled(w, b),
                _ if i + 1 == k => g.add_scaled_div(w, b, n as f64),
                _ => g.add_scaled(w, b),
            }
            total += w * *l;
        }
        total / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_counts() {
        assert_eq!(shard_count(32, 2, 8), 2);
        assert_eq!(shard_count(63, 2, 32), 1);
        assert_eq!(shard_count(64, 2, 32), 2);
        assert_eq!(shard_count(32, 8, 8), 4);
        assert_eq!(shard_count(7, 8, 8), 1);
        assert_eq!(shard_count(0, 4, 1), 1);
        assert_eq!(shard_count(3, 7, 1), 3);
        assert_eq!(shard_count(100, 1, 1), 1);
    }

    /// The budget each shard's loss sees (`budget::threads`) and where it
    /// runs: one shard, on this thread, with every thread; k shards with
    /// `threads / k` each (the first `threads % k` one more), shard 0 here
    /// and the rest on gd's helpers (named `gd-helper-<i>`), not rayon's
    /// global pool (tests/threads_budget.rs counts the threads started).
    #[test]
    fn each_shard_runs_under_its_share_of_the_threads() {
        use std::sync::Mutex;
        let here = std::thread::current().name().map(String::from);
        // (threads, samples, min_shard) -> (first sample, budget) per shard
        let cases: [(usize, usize, usize, &[(usize, usize)]); 6] = [
            (1, 64, 1, &[(0, 1)]),
            (2, 16, 32, &[(0, 2)]),
            (2, 64, 32, &[(0, 1), (32, 1)]),
            (3, 64, 32, &[(0, 2), (32, 1)]),
            (4, 64, 16, &[(0, 1), (16, 1), (32, 1), (48, 1)]),
            (4, 64, 32, &[(0, 2), (32, 2)]),
        ];
        for (threads, n, min_shard, want) in cases {
            let seen = Mutex::new(Vec::new());
            let loss = |_: &[f64], b: &[usize], g: &mut [f64]| {
                let name = std::thread::current().name().map(String::from);
                seen.lock().unwrap().push((b[0], budget::threads(), name));
                g.fill(1.0);
                1.0
            };
            let batch: Vec<usize> = (0..n).collect();
            let mut g = vec![0.0; 3];
            let mut shards = Shards::<Vec<f64>>::new(threads, min_shard).unwrap();
            assert_eq!(shards.eval(&loss, &[0.0; 3][..], &batch, &mut g), 1.0);
            assert_eq!(g, [1.0; 3]);
            let mut seen = seen.into_inner().unwrap();
            seen.sort();
            let budgets: Vec<(usize, usize)> = seen.iter().map(|(i, t, _)| (*i, *t)).collect();
            assert_eq!(budgets, want, "threads {threads}, {n} samples, min_shard {min_shard}");
            for (i, _, name) in &seen {
                if *i == 0 {
                    assert_eq!(name, &here, "shard 0 runs on the calling thread");
                } else {
                    // Here when every helper was busy (other tests of this
                    // process use them too), else on one.
                    let helper = name.as_deref().is_some_and(|n| n.starts_with("gd-helper-"));
                    assert!(helper || name == &here, "shard at {i} ran on {name:?}");
                }
            }
        }
        // Outside the shards, the budget is what it was (none here).
        assert_eq!(budget::threads(), rayon::current_num_threads());
    }
}
