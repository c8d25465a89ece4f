//! The Trainer's run controls: a target loss, a per-epoch callback that can
//! stop the run, and the history kept when a run diverges.

use std::ops::ControlFlow;

use gd_runtime::optim::{Optimizer, Sgd};
use gd_runtime::train::{EpochRecord, TrainConfig};
use gd_runtime::{BatchMode, DivergenceCause, GdError, StopReason, Trainer};

/// L(x) = Σ (x_i − i)², minimum 0 at x = (0, 1, 2, …).
fn quadratic(p: &[f64], g: &mut [f64]) -> f64 {
    let mut l = 0.0;
    for (i, (&x, gi)) in p.iter().zip(g.iter_mut()).enumerate() {
        let r = x - i as f64;
        *gi = 2.0 * r;
        l += r * r;
    }
    l
}

/// The seeds' bowl L(w, b) = w² + 4b².
fn bowl(p: &[f64], g: &mut [f64]) -> f64 {
    g[0] = 2.0 * p[0];
    g[1] = 8.0 * p[1];
    p[0] * p[0] + 4.0 * p[1] * p[1]
}

/// Noise-free y = 3x − 1 on x = i/n, mean squared error of w x + b.
fn line_mse(n: usize) -> impl FnMut(&[f64], &[usize], &mut [f64]) -> f64 {
    let d: Vec<(f64, f64)> = (0..n).map(|i| (i as f64 / n as f64, 3.0 * (i as f64 / n as f64) - 1.0)).collect();
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
fn target_loss_stops_full_batch_at_the_first_loss_below_it() {
    let target = 1e-8;
    let max_epochs = 10_000;
    let mut x = [5.0, -3.0, 7.0];
    let mut t = Trainer::new().progress(false).max_epochs(max_epochs).target_loss(target);
    let r = t.minimize(&mut Sgd::new(0.1).unwrap(), &mut x, quadratic).unwrap();
    assert_eq!(r.stop, StopReason::TargetReached);
    assert!(r.final_loss <= target, "final loss {}", r.final_loss);
    assert!(r.epochs < max_epochs && r.steps < max_epochs, "{} epochs", r.epochs);
    // The parameters returned are those with the final loss.
    let mut g = [0.0; 3];
    assert_eq!(quadratic(&x, &mut g), r.final_loss);
    // It stopped at the first loss at or below the target: every recorded
    // step (taken) had a larger loss, and it took the expected number of
    // steps: L_k = 0.8^(2k) L_0 on this quadratic with lr 0.1.
    assert!(r.history.steps.iter().all(|s| s.loss > target));
    let l0 = 25.0 + 16.0 + 25.0;
    let expected = (0..).find(|&k| l0 * 0.64f64.powi(k) <= target).unwrap() as usize;
    assert_eq!(r.steps, expected);
    assert!(t.error_history().is_none());

    // Without the target the same run goes on to max_epochs.
    let mut x = [5.0, -3.0, 7.0];
    let r = Trainer::new().progress(false).max_epochs(200).minimize(&mut Sgd::new(0.1).unwrap(), &mut x, quadratic).unwrap();
    assert_eq!((r.stop, r.epochs), (StopReason::MaxEpochs, 200));
}

#[test]
fn target_loss_on_minibatches_uses_the_epoch_loss() {
    let target = 1e-3;
    let max_epochs = 5000;
    let mut p = [0.0, 0.0];
    let r = Trainer::new()
        .progress(false)
        .batch(BatchMode::MiniBatch(4))
        .max_epochs(max_epochs)
        .target_loss(target)
        .fit(&mut Sgd::new(0.2).unwrap(), &mut p, 16, line_mse(16))
        .unwrap();
    assert_eq!(r.stop, StopReason::TargetReached);
    assert!(r.epochs < max_epochs);
    let last = r.history.epochs.last().unwrap();
    assert_eq!(last.epoch + 1, r.epochs);
    assert!(last.loss <= target, "last epoch loss {}", last.loss);
    assert!(r.history.epochs[..r.epochs - 1].iter().all(|e| e.loss > target));
}

#[test]
fn target_loss_must_be_finite_and_is_in_the_config() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = Trainer::new().progress(false).target_loss(bad).minimize(&mut Sgd::new(0.1).unwrap(), &mut [1.0], quadratic).unwrap_err();
        assert!(matches!(err, GdError::BadHyperparameter { name: "TrainConfig.target_loss", .. }), "{err}");
    }
    assert_eq!(TrainConfig::default().target_loss, None);
    assert_eq!(Trainer::new().target_loss(0.5).config.target_loss, Some(0.5));
    // Old serialized configs (without the field) still load.
    let mut v = serde_json::to_value(TrainConfig::default()).unwrap();
    v.as_object_mut().unwrap().remove("target_loss");
    let c: TrainConfig = serde_json::from_value(v).unwrap();
    assert_eq!(c, TrainConfig::default());
}

#[test]
fn callback_stops_after_the_third_epoch() {
    let mut seen: Vec<EpochRecord> = Vec::new();
    let mut p = [0.0, 0.0];
    let r = Trainer::new()
        .progress(false)
        .batch(BatchMode::MiniBatch(4))
        .max_epochs(100)
        .on_epoch(|rec: &EpochRecord| {
            seen.push(*rec);
            if seen.len() == 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .fit(&mut Sgd::new(0.1).unwrap(), &mut p, 10, line_mse(10))
        .unwrap();
    assert_eq!(r.stop, StopReason::Callback);
    assert_eq!(r.epochs, 3);
    assert_eq!(r.history.epochs.len(), 3);
    // 3 epochs of ⌈10/4⌉ = 3 batches.
    assert_eq!(r.steps, 9);
    assert_eq!(r.history.steps.len(), 9);
    // The callback got exactly the records of the history.
    assert_eq!(seen, r.history.epochs);
    assert_eq!(seen.iter().map(|e| e.epoch).collect::<Vec<_>>(), [0, 1, 2]);
    assert!(seen.iter().all(|e| e.lr == 0.1 && e.loss.is_finite()));
}

#[test]
fn callback_that_continues_changes_nothing_and_sees_every_epoch() {
    let mut calls = 0usize;
    let mut x = [5.0, -3.0];
    let r = Trainer::new()
        .progress(false)
        .max_epochs(25)
        .on_epoch(|_| {
            calls += 1;
            ControlFlow::Continue(())
        })
        .minimize(&mut Sgd::new(0.1).unwrap(), &mut x, quadratic)
        .unwrap();
    let mut y = [5.0, -3.0];
    let plain = Trainer::new().progress(false).max_epochs(25).minimize(&mut Sgd::new(0.1).unwrap(), &mut y, quadratic).unwrap();
    assert_eq!(calls, 25);
    assert_eq!((r.stop, r.epochs), (StopReason::MaxEpochs, 25));
    assert_eq!(r.history, plain.history);
    assert_eq!(x, y);
}

#[test]
fn callback_stop_still_restores_the_best_validated_parameters() {
    // Validation loss is the epoch index itself: epoch 0 is the best.
    let mut epoch = 0usize;
    let mut first: Option<Vec<f64>> = None;
    let mut p = [0.0, 0.0];
    let r = Trainer::new()
        .progress(false)
        .batch(BatchMode::MiniBatch(5))
        .max_epochs(50)
        .validation(
            |p: &[f64]| {
                first.get_or_insert_with(|| p.to_vec());
                epoch += 1;
                epoch as f64
            },
            100,
        )
        .on_epoch(|rec| if rec.epoch == 4 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
        .fit(&mut Sgd::new(0.1).unwrap(), &mut p, 10, line_mse(10))
        .unwrap();
    assert_eq!((r.stop, r.epochs), (StopReason::Callback, 5));
    assert_eq!(r.best_validation, Some((0, 1.0)));
    assert_eq!(p.to_vec(), first.unwrap());
}

#[test]
fn divergence_keeps_the_history_up_to_the_blow_up() {
    // lr 1.1 on the bowl: w ← −1.2 w, b ← −7.8 b; the loss grows every step
    // until it exceeds 1e6 × the first loss.
    let start = [1.0, 1.0];
    let mut p = start;
    let mut opt = Sgd::new(1.1).unwrap();
    let mut t = Trainer::new().progress(false).max_epochs(1000);
    let err = t.minimize(&mut opt, &mut p, bowl).unwrap_err();
    let (step, last_finite, blown) = match err {
        GdError::Divergence { step, lr, last_finite_loss, cause: DivergenceCause::BlowUp { loss, threshold } } => {
            assert_eq!(lr, 1.1);
            assert_eq!(threshold, 5e6);
            (step, last_finite_loss.unwrap(), loss)
        }
        e => panic!("expected a blow-up, got {e}"),
    };
    let h = t.error_history().expect("history kept on divergence").clone();
    // One record per step taken, all of them, in order, rising.
    assert_eq!(h.steps.len(), step);
    assert!(step > 3 && step < 20, "step {step}");
    assert_eq!(h.steps.iter().map(|s| s.step).collect::<Vec<_>>(), (0..step).collect::<Vec<_>>());
    let losses: Vec<f64> = h.steps.iter().map(|s| s.loss).collect();
    assert!(losses.windows(2).all(|w| w[1] > w[0]), "{losses:?}");
    assert_eq!(losses[0], 5.0);
    assert_eq!(*losses.last().unwrap(), last_finite);
    assert!(blown > last_finite);
    // They are the bowl's losses along the closed-form iterates.
    for (k, l) in losses.iter().enumerate() {
        let (w, b) = (1.2f64.powi(k as i32), 7.8f64.powi(k as i32));
        assert!((l / (w * w + 4.0 * b * b) - 1.0).abs() < 1e-12);
    }
    // Full batch: one completed epoch per step.
    assert_eq!(h.epochs.len(), step);
    assert!(h.epochs.windows(2).all(|w| w[1].loss > w[0].loss));
    // The curve can be written out.
    assert_eq!(h.steps_csv().lines().count(), step + 1);
    // take_ empties it; the next successful run leaves none.
    assert_eq!(t.take_error_history(), Some(h));
    assert!(t.error_history().is_none());
    let mut q = start;
    t.minimize(&mut Sgd::new(0.01).unwrap(), &mut q, bowl).unwrap();
    assert!(t.error_history().is_none());
}

#[test]
fn non_finite_divergence_and_setup_errors_keep_what_was_recorded() {
    // Loss becomes NaN at the 4th evaluation on minibatches: the three steps
    // taken are kept.
    let mut calls = 0usize;
    let mut p = [0.0, 0.0];
    let mut t = Trainer::new().progress(false).batch(BatchMode::MiniBatch(2)).max_epochs(10);
    let mut mse = line_mse(4);
    let err = t
        .fit(&mut Sgd::new(0.1).unwrap(), &mut p, 4, |p: &[f64], b: &[usize], g: &mut [f64]| {
            calls += 1;
            let l = mse(p, b, g);
            if calls == 4 { f64::NAN } else { l }
        })
        .unwrap_err();
    assert!(matches!(err, GdError::Divergence { step: 3, cause: DivergenceCause::NonFiniteLoss(_), .. }), "{err}");
    let h = t.error_history().unwrap();
    assert_eq!(h.steps.len(), 3);
    assert_eq!(h.epochs.len(), 1);

    // Rejected settings: empty history.
    let err = t.fit(&mut Sgd::new(0.1).unwrap(), &mut p, 0, line_mse(4)).unwrap_err();
    assert_eq!(err, GdError::EmptyDataset);
    assert_eq!(t.error_history().map(|h| h.steps.len() + h.epochs.len()), Some(0));

    // An optimizer error mid-run (length mismatch) keeps the records too.
    let mut opt = Sgd::momentum(0.1, 0.9).unwrap();
    opt.step(&mut [0.0, 0.0, 0.0], &[1.0, 1.0, 1.0]).unwrap();
    let err = t.fit(&mut opt, &mut p, 4, line_mse(4)).unwrap_err();
    assert!(matches!(err, GdError::DimensionMismatch { .. }), "{err}");
    let h = t.error_history().unwrap();
    assert!(h.steps.len() == 1 && h.epochs.is_empty());
}

/// `shuffle(false)`: every epoch takes the batches in sample order; the
/// default shuffles (so the two runs see different batches).
#[test]
fn shuffle_off_takes_batches_in_order() {
    let batches = |shuffle: bool| {
        let mut seen: Vec<Vec<usize>> = Vec::new();
        let mut p = [0.0];
        Trainer::new()
            .progress(false)
            .max_epochs(2)
            .batch(BatchMode::MiniBatch(4))
            .shuffle(shuffle)
            .fit(&mut Sgd::new(0.1).unwrap(), &mut p, 10, |p: &[f64], b: &[usize], g: &mut [f64]| {
                seen.push(b.to_vec());
                g[0] = p[0] - 1.0;
                0.5 * (p[0] - 1.0).powi(2)
            })
            .unwrap();
        seen
    };
    let in_order: Vec<Vec<usize>> = vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]];
    assert_eq!(batches(false), [in_order.clone(), in_order.clone()].concat());
    let shuffled = batches(true);
    assert_eq!(shuffled.len(), 6);
    assert_ne!(shuffled[..3], in_order[..], "the default shuffles");
    assert!(TrainConfig::default().shuffle);
}
