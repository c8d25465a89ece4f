//! Issue 17: `Trainer::threads(n)` bounds every thread a training step
//! uses, the generated gradients' matrix products included
//! (`gd_runtime::budget`). An MNIST-sized layer (784-256-10, batches of
//! 128: its products are 2.6·10⁷ multiply-adds, above the size at which
//! products thread) trained with `fit_params_sharded`.
//!
//! The test counts the process's threads (Linux's /proc/self/task), so this
//! file holds this one test and nothing runs beside it.

use gd::runtime::optim::Adam;
use gd::runtime::{BatchMode, Trainer};
use std::sync::Mutex;

#[macro_use]
#[path = "../benches/common/xent_mlp.rs"]
mod xent_mlp;
xent_mlp!(Layer, Mlp, xent, f64);

/// The names of the process's threads.
fn thread_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .map(|t| std::fs::read_to_string(t.unwrap().path().join("comm")).unwrap().trim().to_string())
        .collect();
    names.sort();
    names
}

#[cfg(target_os = "linux")]
#[test]
fn threads_bound_every_thread_of_a_step() {
    let (d, hidden, classes, n) = (784, 256, 10, 256);
    let x = gd::nalgebra::DMatrix::from_fn(d, n, |j, s| (0.1 * ((31 * s + 17 * j) % 101) as f64).sin());
    let y: Vec<usize> = (0..n).map(|s| ((31 * s) % 101) % classes).collect();
    let init = Mlp {
        layers: [(hidden, d), (classes, hidden)]
            .iter()
            .enumerate()
            .map(|(l, &(o, i))| Layer {
                w: gd::nalgebra::DMatrix::from_fn(o, i, |r, c| (1.0 + 0.7 * r as f64 + 1.3 * c as f64 + l as f64).sin() / (i as f64).sqrt()),
                b: gd::nalgebra::DVector::zeros(o),
            })
            .collect(),
    };
    // One epoch of two batches of 128; the budget each loss call saw.
    let fit = |threads: usize, min_shard: usize| {
        let (mut p, seen) = (init.clone(), Mutex::new(Vec::new()));
        Trainer::new()
            .batch(BatchMode::MiniBatch(128))
            .max_epochs(1)
            .progress(false)
            .threads(threads)
            .min_shard(min_shard)
            .fit_params_sharded(&mut Adam::new(1e-3).unwrap(), &mut p, n, |p: &Mlp, b: &[usize], g: &mut Mlp| {
                seen.lock().unwrap().push(gd::runtime::budget::threads());
                let yb: Vec<usize> = b.iter().map(|&j| y[j]).collect();
                xent::value_and_grad_set(p, &x.select_columns(b), &yb, g)
            })
            .unwrap();
        (p, seen.into_inner().unwrap())
    };
    let start = thread_names();

    // threads(1): every product serial on this thread; no thread started,
    // rayon's global pool included.
    let (one, seen) = fit(1, 32);
    assert_eq!(seen, [1, 1]);
    assert_eq!(thread_names(), start, "threads(1) started threads");

    // threads(2), batches left whole (min_shard 128): each batch's products
    // on 2 threads, of gd's pool of 2 (`gd-2-0`, `gd-2-1`), and no other.
    let (two, seen) = fit(2, 128);
    assert_eq!(seen, [2, 2]);
    let after = thread_names();
    let mut started: Vec<&String> = after.iter().collect();
    for s in &start {
        let i = started.iter().position(|a| *a == s).unwrap();
        started.remove(i);
    }
    assert_eq!(started, ["gd-2-0", "gd-2-1"], "threads(2) started other threads than its pool's");

    // threads(2) in two shards of 64: one thread each (serial products),
    // on the same pool.
    let (sharded, seen) = fit(2, 32);
    assert_eq!(seen, [1, 1, 1, 1]);
    assert_eq!(thread_names(), after);

    // Bitwise repeatable for a given thread count; and the threaded
    // products agree with the serial ones bit for bit (faer splits the
    // output, not the sums), so one batch on 2 threads is the 1-thread run.
    let same = |a: &Mlp, b: &Mlp| a.layers.iter().zip(&b.layers).all(|(a, b)| a.w == b.w && a.b == b.b);
    assert!(same(&fit(2, 128).0, &two) && same(&fit(2, 32).0, &sharded));
    assert!(same(&one, &two), "threads(2) on whole batches differs from threads(1)");
    assert!(!same(&one, &sharded), "two shards sum in another order");
}
