//! The training loop: batching, accumulation, stopping rules, divergence,
//! validation with best-parameter restore, history.

use std::cell::RefCell;

use gd_runtime::optim::{Optimizer, OptimizerExt, Sgd};
use gd_runtime::schedule::{PlateauConfig, StepDecay};
use gd_runtime::train::TrainConfig;
use gd_runtime::{BatchMode, DivergenceCause, GdError, StopReason, Trainer};

/// Noise-free linear data y = 3x − 1 on x = i/n.
fn data(n: usize) -> Vec<(f64, f64)> {
    (0..n).map(|i| {
        let x = i as f64 / n as f64;
        (x, 3.0 * x - 1.0)
    }).collect()
}

/// Mean squared error of w x + b over the batch.
fn mse<'a>(d: &'a [(f64, f64)]) -> impl FnMut(&[f64], &[usize], &mut [f64]) -> f64 + 'a {
    move |p, batch, g| {
        let (mut l, mut gw, mut gb) = (0.0, 0.0, 0.0);
        for &i in batch {
            let (x, y) = d[i];
            let r = p[0] * x + p[1] - y;
            l += r * r;
            gw += 2.0 * r * x;
            gb += 2.0 * r;
        }
        let m = batch.len() as f64;
        g[0] = gw / m;
        g[1] = gb / m;
        l / m
    }
}

#[test]
fn minibatches_cover_every_sample_once_per_epoch_and_are_seeded() {
    let d = data(10);
    let seen = RefCell::new(Vec::<Vec<usize>>::new());
    let mut inner = mse(&d);
    let loss = |p: &[f64], b: &[usize], g: &mut [f64]| {
        seen.borrow_mut().push(b.to_vec());
        inner(p, b, g)
    };
    let r = Trainer::new()
        .batch(BatchMode::MiniBatch(4))
        .max_epochs(3)
        .seed(1)
        .fit(&mut Sgd::new(0.1).unwrap(), &mut [0.0, 0.0], 10, loss)
        .unwrap();
    assert_eq!(r.steps, 9); // batches of 4, 4, 2
    let seen = seen.into_inner();
    let sizes: Vec<usize> = seen.iter().map(|b| b.len()).collect();
    assert_eq!(sizes, [4, 4, 2, 4, 4, 2, 4, 4, 2]);
    for e in 0..3 {
        let mut all: Vec<usize> = seen[3 * e..3 * e + 3].concat();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }
    // Shuffled: epochs differ in order.
    assert_ne!(seen[0..3].concat(), seen[3..6].concat());

    let run = |seed| {
        let mut p = [0.0, 0.0];
        Trainer::new().batch(BatchMode::MiniBatch(3)).max_epochs(5).seed(seed).fit(&mut Sgd::new(0.1).unwrap(), &mut p, 10, mse(&d)).unwrap();
        p
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
}

#[test]
fn stochastic_takes_one_step_per_sample() {
    let d = data(7);
    let r = Trainer::new().batch(BatchMode::Stochastic).max_epochs(4).fit(&mut Sgd::new(0.1).unwrap(), &mut [0.0, 0.0], 7, mse(&d)).unwrap();
    assert_eq!(r.steps, 28);
    assert_eq!(r.history.steps.len(), 28);
    assert_eq!(r.history.epochs.len(), 4);
}

#[test]
fn accumulation_equals_the_larger_batch() {
    let d = data(12);
    let run = |bs, k| {
        let mut p = [0.5, 0.5];
        let r = Trainer::new()
            .batch(BatchMode::MiniBatch(bs))
            .accumulate(k)
            .max_epochs(20)
            .seed(9)
            .fit(&mut Sgd::momentum(0.2, 0.5).unwrap(), &mut p, 12, mse(&d))
            .unwrap();
        (p, r.steps)
    };
    let (a, sa) = run(2, 3);
    let (b, sb) = run(6, 1);
    assert_eq!((sa, sb), (40, 40));
    assert!((a[0] - b[0]).abs() < 1e-12 && (a[1] - b[1]).abs() < 1e-12, "{a:?} vs {b:?}");
    // Without accumulation, batches of 2 take 3× the steps and land elsewhere.
    let (c, sc) = run(2, 1);
    assert_eq!(sc, 120);
    assert!((c[0] - a[0]).abs() > 1e-6);
    // Uneven: 10 samples, batches of 4, k = 2: groups of 8 and 2 samples,
    // the group weighted by sample count.
    let d = data(10);
    let r = Trainer::new().batch(BatchMode::MiniBatch(4)).accumulate(2).max_epochs(3).fit(&mut Sgd::new(0.1).unwrap(), &mut [0.0, 0.0], 10, mse(&d)).unwrap();
    assert_eq!(r.steps, 6);
    // Accumulating every batch of a full-batch epoch is full batch.
    let (mut p, mut q) = ([0.0, 0.0], [0.0, 0.0]);
    Trainer::new().batch(BatchMode::Stochastic).accumulate(10).max_epochs(30).fit(&mut Sgd::new(0.3).unwrap(), &mut p, 10, mse(&d)).unwrap();
    Trainer::new().max_epochs(30).fit(&mut Sgd::new(0.3).unwrap(), &mut q, 10, mse(&d)).unwrap();
    assert!((p[0] - q[0]).abs() < 1e-12 && (p[1] - q[1]).abs() < 1e-12);
}

#[test]
fn minibatch_sgd_fits_the_line() {
    let d = data(50);
    let mut p = [0.0, 0.0];
    let r = Trainer::new()
        .batch(BatchMode::MiniBatch(8))
        .max_epochs(2000)
        .grad_tol(1e-6)
        .fit(&mut Sgd::momentum(0.1, 0.9).unwrap(), &mut p, 50, mse(&d))
        .unwrap();
    assert_eq!(r.stop, StopReason::GradTol);
    assert!(r.epochs < 2000);
    assert!((p[0] - 3.0).abs() < 1e-4 && (p[1] + 1.0).abs() < 1e-4, "{p:?}");
    assert!(r.history.epochs.last().unwrap().grad_norm <= 1e-6);
}

#[test]
fn max_steps_and_max_epochs_bound_the_run() {
    let d = data(10);
    let r = Trainer::new().batch(BatchMode::MiniBatch(3)).max_epochs(100).max_steps(10).fit(&mut Sgd::new(0.1).unwrap(), &mut [0.0, 0.0], 10, mse(&d)).unwrap();
    assert_eq!((r.stop, r.steps), (StopReason::MaxSteps, 10));
    let r = Trainer::new().max_epochs(0).fit(&mut Sgd::new(0.1).unwrap(), &mut [0.0, 0.0], 10, mse(&d)).unwrap();
    assert_eq!((r.stop, r.steps, r.epochs), (StopReason::MaxEpochs, 0, 0));
}

#[test]
fn loss_plateau_stops_after_patience() {
    // A flat loss: never improves after the first epoch.
    let flat = |_: &[f64], _: &[usize], g: &mut [f64]| {
        g.iter_mut().for_each(|v| *v = 0.0);
        1.0
    };
    let r = Trainer::new().max_epochs(1000).plateau(4, 1e-3).fit(&mut Sgd::new(0.1).unwrap(), &mut [1.0], 3, flat).unwrap();
    assert_eq!(r.stop, StopReason::LossPlateau);
    assert_eq!(r.epochs, 5);
    // A loss that keeps improving by 1 % runs to max_epochs.
    let mut k = 0;
    let shrinking = |_: &[f64], _: &[usize], g: &mut [f64]| {
        g[0] = 0.0;
        k += 1;
        0.99f64.powi(k)
    };
    let r = Trainer::new().max_epochs(50).plateau(2, 1e-3).fit(&mut Sgd::new(0.1).unwrap(), &mut [1.0], 3, shrinking).unwrap();
    assert_eq!(r.stop, StopReason::MaxEpochs);
}

#[test]
fn early_stopping_restores_best_parameters() {
    // Train loss (p − 3)², validation loss (p − 1)²; GD with lr 0.1 from 0
    // gives p_k = 3(1 − 0.8ᵏ), passing 1 between k = 1 and 2.
    let train = |p: &[f64], _: &[usize], g: &mut [f64]| {
        g[0] = 2.0 * (p[0] - 3.0);
        (p[0] - 3.0).powi(2)
    };
    let val = |p: &[f64]| (p[0] - 1.0).powi(2);
    let pk = |k: i32| 3.0 * (1.0 - 0.8f64.powi(k));
    let best_k = (1..20).min_by(|&a, &b| val(&[pk(a)]).total_cmp(&val(&[pk(b)]))).unwrap();
    let mut p = [0.0];
    let r = Trainer::new().max_epochs(100).validation(val, 3).fit(&mut Sgd::new(0.1).unwrap(), &mut p, 1, train).unwrap();
    assert_eq!(r.stop, StopReason::EarlyStopping);
    let (epoch, v) = r.best_validation.unwrap();
    assert_eq!(epoch as i32 + 1, best_k);
    assert!((p[0] - pk(best_k)).abs() < 1e-12, "restored {}, best {}", p[0], pk(best_k));
    assert_eq!(v, val(&p));
    assert_eq!(r.epochs, epoch + 1 + 3);
    assert!(r.history.epochs.iter().all(|e| e.val_loss.is_some()));
}

#[test]
fn divergence_on_nan_gradient_and_nan_loss() {
    // NaN gradient at the first evaluation: nothing was stepped.
    let nan_grad = |_: &[f64], _: &[usize], g: &mut [f64]| {
        g[0] = 0.0;
        g[1] = f64::NAN;
        1.0
    };
    let mut p = [1.0, 2.0];
    let err = Trainer::new().fit(&mut Sgd::new(0.1).unwrap(), &mut p, 1, nan_grad).unwrap_err();
    assert!(matches!(err, GdError::Divergence { step: 0, last_finite_loss: None, cause: DivergenceCause::NonFiniteGradient { index: 1, .. }, .. }), "{err}");
    assert_eq!(p, [1.0, 2.0]);

    // sqrt of a parameter that GD drives negative: NaN loss at some step;
    // the error names it, and the parameters are the last finite-loss iterate.
    let f = |p: &[f64], _: &[usize], g: &mut [f64]| {
        g[0] = 1.0;
        p[0].sqrt()
    };
    let mut p = [1.0];
    let err = Trainer::new().max_epochs(100).fit(&mut Sgd::new(0.3).unwrap(), &mut p, 1, f).unwrap_err();
    match err {
        GdError::Divergence { step, lr, last_finite_loss, cause: DivergenceCause::NonFiniteLoss(l) } => {
            // p after k steps: 1 − 0.3k; negative first at k = 4.
            assert_eq!(step, 4);
            assert_eq!(lr, 0.3);
            assert!(l.is_nan());
            assert!((last_finite_loss.unwrap() - (1.0f64 - 0.9).sqrt()).abs() < 1e-12);
            assert!((p[0] - 0.1).abs() < 1e-12);
        }
        e => panic!("{e}"),
    }
}

#[test]
fn bad_training_inputs() {
    let d = data(4);
    let mut opt = Sgd::new(0.1).unwrap();
    let e = Trainer::new().fit(&mut opt, &mut [0.0, 0.0], 0, mse(&d)).unwrap_err();
    assert_eq!(e, GdError::EmptyDataset);
    let e = Trainer::new().batch(BatchMode::MiniBatch(0)).fit(&mut opt, &mut [0.0, 0.0], 4, mse(&d)).unwrap_err();
    assert!(matches!(e, GdError::ZeroBatchSize { what: "batch size" }), "{e}");
    let e = Trainer::new().accumulate(0).fit(&mut opt, &mut [0.0, 0.0], 4, mse(&d)).unwrap_err();
    assert!(matches!(e, GdError::ZeroBatchSize { .. }));
    assert!(e.to_string().contains("accumulation"));
    let e = Trainer::new().blowup_factor(Some(-1.0)).fit(&mut opt, &mut [0.0, 0.0], 4, mse(&d)).unwrap_err();
    assert!(matches!(e, GdError::BadHyperparameter { .. }));
    opt.set_lr(f64::NAN);
    let e = Trainer::new().fit(&mut opt, &mut [0.0, 0.0], 4, mse(&d)).unwrap_err();
    assert!(matches!(e, GdError::BadHyperparameter { .. }));
    // Parameter/gradient length mismatch from the optimizer surfaces as is.
    let mut opt = Sgd::new(0.1).unwrap();
    opt.step(&mut [0.0; 3], &[0.0; 3]).unwrap();
    let e = Trainer::new().fit(&mut opt, &mut [0.0, 0.0], 4, mse(&d)).unwrap_err();
    assert!(matches!(e, GdError::DimensionMismatch { expected: 3, got: 2, .. }));
}

#[test]
fn history_records_loss_grad_norm_and_scheduled_lr() {
    let d = data(6);
    let mut opt = Sgd::new(1.0).unwrap().with_schedule(StepDecay::new(0.1, 2, 0.5).unwrap());
    let r = Trainer::new().max_epochs(5).fit(&mut opt, &mut [0.0, 0.0], 6, mse(&d)).unwrap();
    let lrs: Vec<f64> = r.history.steps.iter().map(|s| s.lr).collect();
    assert_eq!(lrs, [0.1, 0.1, 0.05, 0.05, 0.025]);
    // Loss and gradient norm as evaluated at the recorded step.
    let mut g = [0.0; 2];
    let l0 = mse(&d)(&[0.0, 0.0], &[0, 1, 2, 3, 4, 5], &mut g);
    assert_eq!(r.history.steps[0].loss, l0);
    assert_eq!(r.history.steps[0].grad_norm, gd_runtime::norm2(&g));
    assert_eq!(r.history.epochs[0].loss, l0);
    let csv = r.history.steps_csv();
    assert_eq!(csv.lines().count(), 6);
    assert!(csv.starts_with("step,epoch,loss,grad_norm,lr\n0,0,"));
    assert_eq!(r.history.epochs_csv().lines().count(), 6);
}

#[test]
fn reduce_lr_on_plateau_in_the_loop() {
    let flat = |_: &[f64], _: &[usize], g: &mut [f64]| {
        g[0] = 0.0;
        2.0
    };
    let rule = PlateauConfig { patience: 2, ..Default::default() }.build().unwrap();
    let mut opt = Sgd::new(1.0).unwrap();
    let r = Trainer::new().max_epochs(8).reduce_lr_on_plateau(rule).fit(&mut opt, &mut [0.0], 1, flat).unwrap();
    let lrs: Vec<f64> = r.history.epochs.iter().map(|e| e.lr).collect();
    // epoch 0 best; 1, 2 bad; 3 bad > patience → 0.1; 4, 5 bad; 6 → 0.01.
    assert_eq!(lrs[..3], [1.0, 1.0, 1.0]);
    assert!((lrs[3] - 0.1).abs() < 1e-15 && (lrs[6] - 0.01).abs() < 1e-15, "{lrs:?}");
    assert!((opt.lr() - 0.01).abs() < 1e-15);
}

#[test]
fn config_struct_and_builder_agree() {
    let cfg = TrainConfig { max_epochs: 7, batch: BatchMode::MiniBatch(2), seed: 3, ..Default::default() };
    let d = data(5);
    let (mut p, mut q) = ([0.0, 0.0], [0.0, 0.0]);
    Trainer::with_config(cfg).fit(&mut Sgd::new(0.1).unwrap(), &mut p, 5, mse(&d)).unwrap();
    Trainer::new().max_epochs(7).batch(BatchMode::MiniBatch(2)).seed(3).fit(&mut Sgd::new(0.1).unwrap(), &mut q, 5, mse(&d)).unwrap();
    assert_eq!(p, q);
    assert_eq!(TrainConfig::default().blowup_factor, Some(1e6));
}
