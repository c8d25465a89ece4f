//! The data-parallel paths on one process (`dist::Single`, no MPI needed):
//! the same run as the plain loop, checkpoints and resuming, and the
//! errors of bad settings and bad checkpoint files. The runs across
//! processes are in tests/mpi.rs (feature `mpi`).

#[path = "common/tiny_net.rs"]
mod tiny_net;

use std::ops::ControlFlow;
use std::path::PathBuf;

use gd_runtime::dist::{self, Checkpoint, Single};
use gd_runtime::optim::Adam;
use gd_runtime::{BatchMode, GdError, Lbfgs, NewtonCg, RankFailure, StopReason, Trainer};

fn trainer(epochs: usize) -> Trainer<'static> {
    Trainer::new().progress(false).max_epochs(epochs).batch(BatchMode::MiniBatch(16)).seed(3)
}

fn loss(p: &[f64], s: &[usize], g: &mut [f64]) -> f64 {
    tiny_net::loss(p, 0, s, g)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gd-dist-single-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("ckpt.json")
}

#[test]
fn one_process_trains_as_the_plain_loop() {
    let mut a = tiny_net::init();
    trainer(5).fit(&mut Adam::new(0.02).unwrap(), &mut a, tiny_net::N, loss).unwrap();
    let mut b = tiny_net::init();
    let r = trainer(5).fit_distributed(&Single, &mut Adam::new(0.02).unwrap(), &mut b, tiny_net::N, loss).unwrap();
    assert_eq!((r.epochs, r.stop), (5, StopReason::MaxEpochs));
    // The mean is formed as (n·g)/n: equal up to the last bits.
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{a:?}\n{b:?}");
    }
}

#[test]
fn a_stopped_run_resumes_to_the_bits_of_an_uninterrupted_one() {
    let path = scratch("resume");
    let mut full = tiny_net::init();
    trainer(5).checkpoint(&path, 2).fit_distributed(&Single, &mut Adam::new(0.02).unwrap(), &mut full, tiny_net::N, loss).unwrap();
    std::fs::remove_file(&path).unwrap();

    // Stopped after epoch 3: the checkpoint holds epochs 1-2.
    let mut p = tiny_net::init();
    let stop = |rec: &gd_runtime::train::EpochRecord| if rec.epoch == 2 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) };
    trainer(5).checkpoint(&path, 2).on_epoch(stop).fit_distributed(&Single, &mut Adam::new(0.02).unwrap(), &mut p, tiny_net::N, loss).unwrap();
    let ck: Checkpoint<Adam> = Checkpoint::read(&path).unwrap();
    assert_eq!((ck.epochs, ck.ranks, ck.seed, ck.params.len()), (2, 1, 3, tiny_net::DIM));

    // Resumed with fresh parameters and optimizer: they come from the file.
    let mut q = tiny_net::init();
    let r = trainer(5).resume(true).checkpoint(&path, 2).fit_distributed(&Single, &mut Adam::new(0.02).unwrap(), &mut q, tiny_net::N, loss).unwrap();
    assert_eq!(r.epochs, 5);
    assert_eq!(r.history.epochs.len(), 5, "the resumed run's history holds the checkpointed epochs too");
    assert_eq!(q, full);
}

/// A run whose epoch-level rules all carry state (early stopping on a noisy
/// validation loss, the loss-plateau rule, reduce-on-plateau), stopped after
/// epoch `stop_at` and resumed: the same stop, epochs, best validation,
/// history and parameters as without the stop.
#[test]
fn a_resumed_run_keeps_its_stopping_rules_and_history() {
    let val = |p: &[f64]| tiny_net::full_loss(p) * (1.0 + 0.05 * (40.0 * p.iter().sum::<f64>()).sin());
    let rules = |t: Trainer<'static>| {
        let lr_rule = gd_runtime::schedule::PlateauConfig { factor: 0.5, patience: 0, ..Default::default() }.build().unwrap();
        t.validation(val, 4).plateau(3, 0.02).reduce_lr_on_plateau(lr_rule)
    };
    let run = |t: Trainer<'static>, p: &mut Vec<f64>| rules(t).fit_distributed(&Single, &mut Adam::new(0.08).unwrap(), p, tiny_net::N, loss).unwrap();
    let path = scratch("rules");
    let mut full = tiny_net::init();
    let whole = run(trainer(60).checkpoint(&path, 1), &mut full);
    let stop_at = 16;
    assert!(matches!(whole.stop, StopReason::EarlyStopping | StopReason::LossPlateau) && whole.epochs > stop_at + 1, "{:?} after {}", whole.stop, whole.epochs);
    let lrs: Vec<f64> = whole.history.epochs.iter().take(stop_at + 1).map(|e| e.lr).collect();
    assert!(lrs.windows(2).any(|w| w[1] < w[0]), "the LR rule acts before the stop: {lrs:?}");
    std::fs::remove_file(&path).unwrap();

    let mut p = tiny_net::init();
    let stop = move |rec: &gd_runtime::train::EpochRecord| if rec.epoch == stop_at { ControlFlow::Break(()) } else { ControlFlow::Continue(()) };
    run(trainer(60).checkpoint(&path, 1).on_epoch(stop), &mut p);
    let ck: Checkpoint<Adam> = Checkpoint::read(&path).unwrap();
    assert_eq!(ck.epochs, stop_at + 1);
    assert!(ck.stopping.validation_bad_epochs + ck.stopping.plateau_bad_epochs > 0, "the rules carry state at the stop: {:?}", ck.stopping);
    assert!(ck.best_params.is_some() && ck.lr_rule.is_some());

    let mut q = tiny_net::init();
    let resumed = run(trainer(60).checkpoint(&path, 1).resume(true), &mut q);
    assert_eq!((resumed.stop, resumed.epochs, resumed.steps), (whole.stop, whole.epochs, whole.steps));
    assert_eq!(resumed.best_validation, whole.best_validation);
    assert_eq!(resumed.history, whole.history);
    assert_eq!(q, full, "the best validated parameters, restored at the end");
}

#[test]
fn resume_without_a_file_starts_fresh() {
    let path = scratch("fresh");
    let mut p = tiny_net::init();
    trainer(2).checkpoint(&path, 1).resume(true).fit_distributed(&Single, &mut Adam::new(0.02).unwrap(), &mut p, tiny_net::N, loss).unwrap();
    let ck: Checkpoint<Adam> = Checkpoint::read(&path).unwrap();
    assert_eq!((ck.epochs, ck.params), (2, p));
}

#[test]
fn bad_settings_and_checkpoints_are_errors() {
    let mut p = tiny_net::init();
    let mut opt = Adam::new(0.02).unwrap();
    let err = trainer(2).checkpoint("x.json", 0).fit_distributed(&Single, &mut opt, &mut p, tiny_net::N, loss).unwrap_err();
    assert!(matches!(err, GdError::BadHyperparameter { name: "Trainer.checkpoint every", .. }), "{err}");
    let err = trainer(2).resume(true).fit_distributed(&Single, &mut opt, &mut p, tiny_net::N, loss).unwrap_err();
    assert!(matches!(err, GdError::Checkpoint { .. }), "{err}");

    let path = scratch("bad");
    std::fs::write(&path, "{ not json").unwrap();
    let err = trainer(2).checkpoint(&path, 1).resume(true).fit_distributed(&Single, &mut opt, &mut p, tiny_net::N, loss).unwrap_err();
    match &err {
        GdError::Checkpoint { path: at, .. } => assert!(at.ends_with("ckpt.json"), "{err}"),
        other => panic!("{other}"),
    }
    // A checkpoint of other parameters.
    trainer(1).checkpoint(&path, 1).fit_distributed(&Single, &mut opt, &mut p, tiny_net::N, loss).unwrap();
    let mut other = vec![0.0; 3];
    let err = trainer(2).checkpoint(&path, 1).resume(true).fit_distributed(&Single, &mut opt, &mut other, tiny_net::N, |_p: &[f64], _s: &[usize], g: &mut [f64]| {
        g.fill(0.0);
        0.0
    });
    let err = err.unwrap_err();
    assert!(err.to_string().contains(&format!("it holds {} parameters, this run has 3", tiny_net::DIM)), "{err}");
}

#[test]
fn a_panic_or_nan_in_the_loss_is_a_rank_failure() {
    let mut p = tiny_net::init();
    let err = trainer(2)
        .fit_distributed(&Single, &mut Adam::new(0.02).unwrap(), &mut p, tiny_net::N, |_p: &[f64], _s: &[usize], _g: &mut [f64]| -> f64 {
            panic!("bad sample")
        })
        .unwrap_err();
    assert_eq!(err, GdError::RankFailed { rank: 0, size: 1, step: Some(0), cause: RankFailure::Panic("bad sample".into()) });
    let err = trainer(2)
        .fit_distributed(&Single, &mut Adam::new(0.02).unwrap(), &mut p, tiny_net::N, |_p: &[f64], _s: &[usize], g: &mut [f64]| {
            g.fill(1.0);
            f64::INFINITY
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "rank 0 of 1 failed at step 0: its shard's loss is inf");
    assert_eq!(p, tiny_net::init(), "no step was taken");
    // Setup failures.
    let err = dist::agree(&Single, Err::<(), _>("cannot read shard.csv")).unwrap_err();
    assert_eq!(err.to_string(), "rank 0 of 1 failed: cannot read shard.csv");
    assert_eq!(dist::agree(&Single, Ok::<_, String>(7)).unwrap(), 7);
}

#[test]
fn the_full_batch_objective_with_lbfgs() {
    let mut obj = dist::objective(&Single, tiny_net::N, loss).unwrap();
    let r = Lbfgs::new().minimize(&mut obj, &tiny_net::init());
    let r = obj.result(r).unwrap();
    assert!(r.value < 0.5 * tiny_net::full_loss(&tiny_net::init()));
    assert!(matches!(dist::objective(&Single, 0, loss), Err(GdError::EmptyDataset)));
    // A failing evaluation: the solver stops, the failure is the result.
    let mut bad = dist::objective(&Single, tiny_net::N, |_p: &[f64], _s: &[usize], _g: &mut [f64]| -> f64 { panic!("no data") }).unwrap();
    let r = Lbfgs::new().minimize(&mut bad, &tiny_net::init());
    let err = bad.result(r).unwrap_err();
    assert!(matches!(&err, GdError::RankFailed { cause: RankFailure::Panic(m), .. } if m == "no data"), "{err}");
}

#[test]
fn newton_cg_with_the_distributed_hvp_matches_the_plain_one() {
    let all: Vec<usize> = (0..tiny_net::N).collect();
    let plain = NewtonCg::new()
        .minimize(
            &mut |p: &[f64], g: &mut [f64]| tiny_net::logistic(p, 0, &all, g),
            |p: &[f64], v: &[f64], out: &mut [f64]| tiny_net::logistic_hvp(p, v, 0, &all, out),
            &[0.0; 4],
        )
        .unwrap();
    let mut obj = dist::objective(&Single, tiny_net::N, |p: &[f64], s: &[usize], g: &mut [f64]| tiny_net::logistic(p, 0, s, g)).unwrap();
    let mut hvp = dist::hvp(&Single, tiny_net::N, |p: &[f64], v: &[f64], s: &[usize], out: &mut [f64]| tiny_net::logistic_hvp(p, v, 0, s, out)).unwrap();
    let r = NewtonCg::new().minimize(&mut obj, |x: &[f64], v: &[f64], o: &mut [f64]| hvp.apply(x, v, o), &[0.0; 4]);
    let r = hvp.result(obj.result(r)).unwrap();
    assert!(r.converged(), "{r:?}");
    assert!((r.value - plain.value).abs() <= 1e-12 * plain.value, "{} vs {}", r.value, plain.value);
    // A failing product: NaN to the solver, the failure as the result.
    let mut obj = dist::objective(&Single, tiny_net::N, |p: &[f64], s: &[usize], g: &mut [f64]| tiny_net::logistic(p, 0, s, g)).unwrap();
    let mut bad = dist::hvp(&Single, tiny_net::N, |_p: &[f64], _v: &[f64], _s: &[usize], out: &mut [f64]| out.fill(f64::INFINITY)).unwrap();
    let r = NewtonCg::new().minimize(&mut obj, |x: &[f64], v: &[f64], o: &mut [f64]| bad.apply(x, v, o), &[0.0; 4]);
    let err = bad.result(r).unwrap_err();
    assert!(matches!(&err, GdError::RankFailed { cause: RankFailure::NonFiniteGradient { index: 0, .. }, .. }), "{err}");
}
