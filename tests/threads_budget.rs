//! Issue 17: `Trainer::threads(n)` bounds every thread a training step
//! uses, the generated gradients' matrix products included
//! (`gd_runtime::budget`). An MNIST-sized layer (784-256-10, batches of
//! 128: its products are 2.6·10⁷ multiply-adds, above the size at which
//! products thread) trained with `fit_params_sharded` and `fit_params`.
//!
//! The test counts the process's threads (Linux's /proc/self/task), so this
//! file holds this one test and nothing runs beside it.
#![cfg(target_os = "linux")]

use gd::runtime::optim::Adam;
use gd::runtime::{BatchMode, Trainer};
use std::sync::Mutex;

#[macro_use]
#[path = "../benches/common/xent_mlp.rs"]
mod xent_mlp;
xent_mlp!(Layer, Mlp, xent, f64);

/// A flag one thread sets and another waits for (20 s at most).
#[derive(Default)]
struct Flag(Mutex<bool>, std::sync::Condvar);

impl Flag {
    fn set(&self) {
        *self.0.lock().unwrap() = true;
        self.1.notify_all();
    }

    /// Whether it was set in time.
    fn wait(&self) -> bool {
        let timeout = std::time::Duration::from_secs(20);
        *self.1.wait_timeout_while(self.0.lock().unwrap(), timeout, |set| !*set).unwrap().0
    }
}

/// The names of the process's threads.
fn thread_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .map(|t| std::fs::read_to_string(t.unwrap().path().join("comm")).unwrap().trim().to_string())
        .collect();
    names.sort();
    names
}

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

    // The serial fit (an FnMut loss) under threads(1): serial products too.
    let seen = Mutex::new(Vec::new());
    Trainer::new()
        .batch(BatchMode::MiniBatch(128))
        .max_epochs(1)
        .progress(false)
        .threads(1)
        .fit_params(&mut Adam::new(1e-3).unwrap(), &mut init.clone(), n, |p: &Mlp, b: &[usize], g: &mut Mlp| {
            seen.lock().unwrap().push(gd::runtime::budget::threads());
            let yb: Vec<usize> = b.iter().map(|&j| y[j]).collect();
            xent::value_and_grad_set(p, &x.select_columns(b), &yb, g)
        })
        .unwrap();
    assert_eq!(seen.into_inner().unwrap(), [1, 1]);
    assert_eq!(thread_names(), start, "fit_params under threads(1) started threads");

    // threads(2), batches left whole (min_shard 128): each batch's products
    // on 2 threads, this one and one helper of gd's (`gd-helper-0`), and
    // no other (rayon's global pool included).
    let (two, seen) = fit(2, 128);
    assert_eq!(seen, [2, 2]);
    let after = thread_names();
    let mut started: Vec<&String> = after.iter().collect();
    for s in &start {
        let i = started.iter().position(|a| *a == s).unwrap();
        started.remove(i);
    }
    assert_eq!(started, ["gd-helper-0"], "threads(2) started other threads than one helper");

    // threads(2) in two shards of 64: one thread each (serial products),
    // shard 1 on the same helper.
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

    // threads(4) in two shards: 2 threads each, so each shard's products
    // thread, on helpers. Shard 0's products must not wait for shard 1 to
    // end: here shard 1, once started, waits for shard 0's gradient. (They
    // did wait when the products cleared the other threads' vector state
    // with rayon's blocking `broadcast`, which a thread busy with a shard
    // answers only once that shard ends; see gemm.rs's
    // `clear_upper_vector_state`.)
    let (started, done, waited) = (Flag::default(), Flag::default(), Mutex::new(None));
    let mut p = init.clone();
    Trainer::new()
        .batch(BatchMode::MiniBatch(128))
        .max_steps(1)
        .shuffle(false) // shard 0 is the one whose batch starts at sample 0
        .progress(false)
        .threads(4)
        .min_shard(64)
        .fit_params_sharded(&mut Adam::new(1e-3).unwrap(), &mut p, n, |p: &Mlp, b: &[usize], g: &mut Mlp| {
            assert_eq!(gd::runtime::budget::threads(), 2);
            let shard0 = b[0] == 0;
            if shard0 {
                assert!(started.wait(), "shard 1 never started");
            } else {
                started.set();
                *waited.lock().unwrap() = Some(done.wait());
            }
            let yb: Vec<usize> = b.iter().map(|&j| y[j]).collect();
            let l = xent::value_and_grad_set(p, &x.select_columns(b), &yb, g);
            if shard0 {
                done.set();
            }
            l
        })
        .unwrap();
    assert_eq!(*waited.lock().unwrap(), Some(true), "shard 0's products waited for shard 1");
    // The run of 4 threads started helpers up to 3 (this thread is the
    // fourth), and nothing else.
    let mut started: Vec<String> = thread_names();
    started.retain(|t| !after.contains(t));
    assert_eq!(started, ["gd-helper-1", "gd-helper-2"]);
}
