//! `Trainer::fit_params`, `minimize_params` and `lr_find_params`: parameter
//! structs and f32 trained in place, as the flat f64 loop trains their
//! flattened vector.

use gd_runtime::optim::{Adam, OptimizerExt, Sgd};
use gd_runtime::{lr_find, lr_find_params, BatchMode, DivergenceCause, GdError, LrFindConfig, Params, Trainer};
use nalgebra::DMatrix;

/// y = 1.5 x₀ − 0.5 x₁ + 0.25 on 20 points.
fn data() -> Vec<([f64; 2], f64)> {
    (0..20)
        .map(|i| {
            let x = [((i * 7) % 11) as f64 / 11.0, ((i * 3) % 5) as f64 / 5.0 - 0.5];
            (x, 1.5 * x[0] - 0.5 * x[1] + 0.25)
        })
        .collect()
}

/// Linear model as two leaves: weights (1×2) and bias (1×1).
fn model() -> Vec<DMatrix<f64>> {
    vec![DMatrix::from_element(1, 2, 0.1), DMatrix::from_element(1, 1, 0.0)]
}

/// Mean squared error over `batch` and its gradient, on the flat [w0, w1, b].
fn mse_flat(d: &[([f64; 2], f64)], p: &[f64], batch: &[usize], g: &mut [f64]) -> f64 {
    let (mut l, mut gw0, mut gw1, mut gb) = (0.0, 0.0, 0.0, 0.0);
    for &i in batch {
        let (x, y) = d[i];
        let r = p[0] * x[0] + p[1] * x[1] + p[2] - y;
        l += r * r;
        gw0 += 2.0 * r * x[0];
        gw1 += 2.0 * r * x[1];
        gb += 2.0 * r;
    }
    let m = batch.len() as f64;
    g.copy_from_slice(&[gw0 / m, gw1 / m, gb / m]);
    l / m
}

/// The same loss on the struct (through its flat view, to share the math).
fn mse_struct(d: &[([f64; 2], f64)], p: &Vec<DMatrix<f64>>, batch: &[usize], g: &mut Vec<DMatrix<f64>>) -> f64 {
    let mut flat = [0.0; 3];
    let l = mse_flat(d, &p.to_vec(), batch, &mut flat);
    g.set_from_slice(&flat).unwrap();
    l
}

#[test]
fn fit_params_trains_a_struct_as_fit_trains_its_flat_vector() {
    let d = data();
    let trainer = || Trainer::new().progress(false).max_epochs(40).batch(BatchMode::MiniBatch(6)).seed(3);
    let mut opt = Adam::new(0.05).unwrap().clip_by_global_norm(2.0).unwrap();
    let mut opt_flat = opt.clone();
    let mut p = model();
    let mut flat = p.to_vec();
    let r = trainer().fit_params(&mut opt, &mut p, d.len(), |p, b, g| mse_struct(&d, p, b, g)).unwrap();
    let rf = trainer().fit(&mut opt_flat, &mut flat, d.len(), |p, b, g| mse_flat(&d, p, b, g)).unwrap();
    assert_eq!(p.to_vec(), flat);
    assert_eq!(r.history.steps, rf.history.steps);
    assert_eq!((r.steps, r.final_loss), (rf.steps, rf.final_loss));
    // The epoch's mean gradient is divided (flat) or scaled by the inverse
    // (struct): its norm agrees to rounding.
    for (a, b) in r.history.epochs.iter().zip(&rf.history.epochs) {
        assert_eq!((a.epoch, a.loss), (b.epoch, b.loss));
        assert!((a.grad_norm - b.grad_norm).abs() <= 1e-14 * b.grad_norm, "{a:?} vs {b:?}");
    }
    assert!(r.final_loss < 1e-2, "{}", r.final_loss);
}

#[test]
fn fit_params_with_accumulation_and_validation_matches_fit() {
    let d = data();
    let trainer = || {
        Trainer::new()
            .progress(false)
            .max_epochs(30)
            .batch(BatchMode::MiniBatch(4))
            .accumulate(2)
            .validation(|p: &[f64]| (p[0] - 1.5).abs() + (p[1] + 0.5).abs() + (p[2] - 0.25).abs(), 5)
    };
    let mut p = model();
    let mut flat = p.to_vec();
    let r = trainer().fit_params(&mut Sgd::momentum(0.1, 0.5).unwrap(), &mut p, d.len(), |p, b, g| mse_struct(&d, p, b, g)).unwrap();
    let rf = trainer().fit(&mut Sgd::momentum(0.1, 0.5).unwrap(), &mut flat, d.len(), |p, b, g| mse_flat(&d, p, b, g)).unwrap();
    // The accumulated gradient is divided (flat) or scaled by the inverse
    // (struct): equal to rounding.
    for (a, b) in p.to_vec().iter().zip(&flat) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    assert_eq!(r.best_validation.map(|b| b.0), rf.best_validation.map(|b| b.0));
}

#[test]
fn f32_parameters_train_in_f32() {
    let d = data();
    let mut p = vec![0.1f32, 0.1, 0.0];
    let mut p64 = vec![0.1f64, 0.1, 0.0];
    let trainer = || Trainer::new().progress(false).max_epochs(60).batch(BatchMode::MiniBatch(5)).seed(1);
    let r = trainer()
        .fit_params(&mut Adam::new(0.02).unwrap(), &mut p, d.len(), |p: &Vec<f32>, batch, g: &mut Vec<f32>| {
            let (mut l, mut gr) = (0.0f32, [0.0f32; 3]);
            for &i in batch {
                let (x, y) = (d[i].0.map(|v| v as f32), d[i].1 as f32);
                let r = p[0] * x[0] + p[1] * x[1] + p[2] - y;
                l += r * r;
                gr[0] += 2.0 * r * x[0];
                gr[1] += 2.0 * r * x[1];
                gr[2] += 2.0 * r;
            }
            let m = batch.len() as f32;
            g.iter_mut().zip(gr).for_each(|(g, v)| *g = v / m);
            (l / m) as f64
        })
        .unwrap();
    trainer().fit(&mut Adam::new(0.02).unwrap(), &mut p64, d.len(), |p, b, g| mse_flat(&d, p, b, g)).unwrap();
    for (a, b) in p.iter().zip(&p64) {
        assert!((*a as f64 - b).abs() < 1e-4, "f32 {a} vs f64 {b}");
    }
    assert!(r.final_loss < 1e-2);
}

#[test]
fn a_non_finite_f32_gradient_is_divergence_and_restores_the_parameters() {
    let mut p = vec![DMatrix::<f32>::from_element(2, 1, 1.0), DMatrix::from_element(1, 1, 2.0)];
    let mut calls = 0;
    let err = Trainer::new()
        .progress(false)
        .max_epochs(10)
        .minimize_params(&mut Sgd::new(0.1).unwrap(), &mut p, |_p, g| {
            calls += 1;
            g[0].fill(1.0);
            g[1].fill(if calls == 3 { f32::NAN } else { 1.0 });
            1.0
        })
        .unwrap_err();
    match err {
        GdError::Divergence { step: 2, cause: DivergenceCause::NonFiniteGradient { index: 2, value }, .. } => assert!(value.is_nan()),
        e => panic!("{e}"),
    }
    // As `fit`: the iterate before the last step (one step of 0.1 from the start).
    assert!((p[0][0] - 0.9).abs() < 1e-6 && (p[1][0] - 1.9).abs() < 1e-6, "{p:?}");
}

#[test]
fn lr_find_params_matches_lr_find_and_restores() {
    let d = data();
    let cfg = LrFindConfig { num_iter: 30, batch: BatchMode::MiniBatch(5), ..Default::default() };
    let opt = Adam::default();
    let mut p = model();
    let mut flat = p.to_vec();
    let r = lr_find_params(&opt, &mut p, d.len(), |p, b, g| mse_struct(&d, p, b, g), cfg).unwrap();
    let rf = lr_find(&opt, &mut flat, d.len(), |p, b, g| mse_flat(&d, p, b, g), cfg).unwrap();
    assert_eq!(r, rf);
    assert_eq!(p, model());
}
