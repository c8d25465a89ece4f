//! Optimizers on f32 and on parameter structs (`step_params`): the f32 path
//! follows the f64 one step for step, a struct is stepped exactly as its
//! flattened vector, and bad shapes are typed errors that change nothing.

use gd_runtime::optim::*;
use gd_runtime::schedule::{CosineAnnealing, Warmup};
use gd_runtime::{GdError, Params};
use nalgebra::DMatrix;

type Make = Box<dyn Fn() -> Box<dyn Optimizer>>;

/// Every update rule and wrapper, in one list: (name, a fresh optimizer).
fn cases() -> Vec<(&'static str, Make)> {
    vec![
        ("sgd", Box::new(|| Box::new(Sgd::new(0.05).unwrap()))),
        ("sgd momentum", Box::new(|| Box::new(Sgd::momentum(0.05, 0.9).unwrap()))),
        ("sgd nesterov", Box::new(|| Box::new(Sgd::nesterov(0.05, 0.9).unwrap()))),
        ("adagrad", Box::new(|| Box::new(AdagradConfig { lr: 0.1, lr_decay: 0.01, initial_accumulator_value: 0.1, ..Default::default() }.build().unwrap()))),
        ("rmsprop", Box::new(|| Box::new(RmsProp::new(0.01).unwrap()))),
        ("rmsprop centered momentum", Box::new(|| Box::new(RmsPropConfig { lr: 0.01, centered: true, momentum: 0.5, ..Default::default() }.build().unwrap()))),
        ("adam", Box::new(|| Box::new(Adam::new(0.01).unwrap()))),
        ("adam amsgrad", Box::new(|| Box::new(AdamConfig { lr: 0.01, amsgrad: true, ..Default::default() }.build().unwrap()))),
        ("adamw", Box::new(|| Box::new(AdamWConfig { lr: 0.01, weight_decay: 0.1, ..Default::default() }.build().unwrap()))),
        ("lion", Box::new(|| Box::new(Lion::new(0.01).unwrap()))),
        (
            "adam + l2 + global-norm clip + decoupled decay + value clip + schedule",
            Box::new(|| {
                Box::new(
                    Adam::new(0.01)
                        .unwrap()
                        .l2_weight_decay(1e-2)
                        .unwrap()
                        .clip_by_global_norm(0.5)
                        .unwrap()
                        .decoupled_weight_decay(1e-2)
                        .unwrap()
                        .clip_by_value(0.3)
                        .unwrap()
                        .with_schedule(Warmup::new(3, 0.0, CosineAnnealing::new(0.01, 20, 0.0).unwrap()).unwrap()),
                )
            }),
        ),
    ]
}

const N: usize = 7;
const STEPS: usize = 25;

/// A gradient sequence that does not depend on the parameters (so both
/// precisions see the same values), of both signs, away from zero.
fn grad(t: usize, i: usize) -> f64 {
    let s = ((t * 5 + i * 3) as f64).sin();
    s.signum() * (0.2 + s.abs()) * (1.0 + i as f64)
}

#[test]
fn f32_follows_f64_step_by_step() {
    for (name, make) in cases() {
        let (mut o64, mut o32) = (make(), make());
        let mut p64: Vec<f64> = (0..N).map(|i| 0.5 - 0.25 * i as f64).collect();
        let mut p32: Vec<f32> = p64.iter().map(|&v| v as f32).collect();
        for t in 0..STEPS {
            let g64: Vec<f64> = (0..N).map(|i| grad(t, i)).collect();
            let g32: Vec<f32> = g64.iter().map(|&v| v as f32).collect();
            o64.step(&mut p64, &g64).unwrap();
            o32.update(&mut leaves::WithGrad { params: &mut p32[..], grad: &g32[..] }, &GradMap::IDENTITY).unwrap();
            for i in 0..N {
                let (a, b) = (p32[i] as f64, p64[i]);
                // f32 rounding, accumulated over the steps so far.
                let tol = 2e-6 * (t + 1) as f64 * (1.0 + b.abs());
                assert!((a - b).abs() <= tol, "{name}: step {t}, coordinate {i}: f32 {a} vs f64 {b}");
            }
        }
        // The f32 run really ran in f32: it differs from the f64 run somewhere.
        assert!(p32.iter().zip(&p64).any(|(&a, &b)| a as f64 != b), "{name}: f32 run equals the f64 one bit for bit");
    }
}

use gd_runtime::leaves;

#[test]
fn f32_state_is_kept_in_f32() {
    let mut opt = Adam::new(0.01).unwrap();
    let mut p = [1.0f32, 2.0];
    opt.step_params(&mut p[..], &[0.5f32, -0.5][..]).unwrap();
    let json = serde_json::to_value(&opt).unwrap();
    let bufs = &json["state"]["bufs"];
    assert_eq!(bufs[0]["f32"].as_array().unwrap().len(), 2, "{json}");
    assert!(bufs[0]["f64"].as_array().unwrap().is_empty(), "{json}");
}

/// A model of four leaves of different shapes (weights, biases as n×1).
fn model() -> Vec<DMatrix<f64>> {
    vec![
        DMatrix::from_fn(3, 2, |i, j| 0.1 * (i as f64) - 0.2 * (j as f64) + 0.05),
        DMatrix::from_element(3, 1, 0.01),
        DMatrix::from_fn(1, 3, |_, j| 0.3 - 0.1 * j as f64),
        DMatrix::from_element(1, 1, -0.02),
    ]
}

fn step_struct(opt: &mut dyn Optimizer, p: &mut Vec<DMatrix<f64>>, g: &Vec<DMatrix<f64>>) -> Result<(), GdError> {
    // What `opt.step_params(p, g)` calls, on a `dyn Optimizer`.
    opt.update(&mut leaves::WithGrad { params: p, grad: g }, &GradMap::IDENTITY)
}

#[test]
fn a_struct_steps_exactly_as_its_flattened_vector() {
    for (name, make) in cases() {
        let (mut opt, mut opt_flat) = (make(), make());
        let mut w = model();
        let mut flat = w.to_vec();
        for t in 0..STEPS {
            // Large enough for the global-norm clip to act.
            let g: Vec<DMatrix<f64>> =
                w.iter().enumerate().map(|(k, m)| m.map_with_location(|i, j, _| grad(t, 10 * k + 3 * i + j))).collect();
            step_struct(&mut *opt, &mut w, &g).unwrap();
            opt_flat.step(&mut flat, &g.to_vec()).unwrap();
            assert_eq!(w.to_vec(), flat, "{name}: step {t}");
        }
        assert_eq!(w[0].shape(), (3, 2));
    }
}

#[test]
fn step_params_on_a_concrete_optimizer_and_a_vec_of_f32() {
    let mut opt = Adam::new(0.1).unwrap().clip_by_global_norm(1.0).unwrap();
    let mut p = vec![DMatrix::<f32>::from_element(2, 2, 1.0), DMatrix::from_element(2, 1, -1.0)];
    let g = vec![DMatrix::from_element(2, 2, 3.0f32), DMatrix::from_element(2, 1, 4.0)];
    opt.step_params(&mut p, &g).unwrap();
    // Adam's first step moves every coordinate by lr against its sign.
    assert!(p[0].iter().all(|&v| (v - 0.9).abs() < 1e-6), "{p:?}");
    assert!(p[1].iter().all(|&v| (v + 1.1).abs() < 1e-6), "{p:?}");
    let mut v = vec![1.0f32; 3];
    Sgd::new(0.5).unwrap().step_params(&mut v, &vec![2.0f32; 3]).unwrap();
    assert_eq!(v, vec![0.0; 3]);
}

#[test]
fn the_global_norm_is_over_all_leaves() {
    // Two leaves of norm 3 and 4: global norm 5, clipped to 1, so the SGD
    // step (lr 1) is g / 5 on both.
    let mut opt = Sgd::new(1.0).unwrap().clip_by_global_norm(1.0).unwrap();
    let mut p = vec![DMatrix::<f64>::zeros(1, 1), DMatrix::zeros(1, 1)];
    opt.step_params(&mut p, &vec![DMatrix::from_element(1, 1, 3.0), DMatrix::from_element(1, 1, 4.0)]).unwrap();
    assert!((p[0][0] + 0.6).abs() < 1e-15 && (p[1][0] + 0.8).abs() < 1e-15, "{p:?}");
}

#[test]
fn shape_errors_are_typed_and_change_nothing() {
    for (name, make) in cases() {
        let mut opt = make();
        let mut p = model();
        let g = p.iter().map(|m| m.map(|_| 0.5)).collect::<Vec<_>>();
        // A gradient with a leaf of another shape: checked before any leaf moves.
        let mut bad = g.clone();
        bad[2] = DMatrix::from_element(3, 1, 0.5);
        let err = step_struct(&mut *opt, &mut p, &bad).unwrap_err();
        assert!(matches!(err, GdError::DimensionMismatch { .. }), "{name}: {err}");
        assert_eq!(p, model(), "{name}: changed on error");
        // A gradient Vec of another length.
        let err = step_struct(&mut *opt, &mut p, &g[..3].to_vec()).unwrap_err();
        assert!(matches!(err, GdError::DimensionMismatch { expected: 4, got: 3, .. }), "{name}: {err}");
        assert_eq!(p, model(), "{name}: changed on error");
        // After a first step, parameters with other leaves (same total) are refused.
        step_struct(&mut *opt, &mut p, &g).unwrap();
        let stepped = p.clone();
        let mut other = vec![DMatrix::from_element(6, 1, 0.0), DMatrix::from_element(5, 1, 0.0)];
        let og = other.clone();
        let err = step_struct(&mut *opt, &mut other, &og).unwrap_err();
        assert!(matches!(err, GdError::DimensionMismatch { expected: 6, got: 6, .. } | GdError::DimensionMismatch { expected: 3, got: 5, .. }), "{name}: {err}");
        // Fewer leaves.
        let mut fewer = p[..3].to_vec();
        let fg = g[..3].to_vec();
        let err = step_struct(&mut *opt, &mut fewer, &fg).unwrap_err();
        assert!(matches!(err, GdError::DimensionMismatch { expected: 4, got: 3, .. }), "{name}: {err}");
        // Same lengths in f32: a precision error.
        let mut p32: Vec<DMatrix<f32>> = p.iter().map(|m| m.map(|v| v as f32)).collect();
        let g32: Vec<DMatrix<f32>> = g.iter().map(|m| m.map(|v| v as f32)).collect();
        let before = p32.clone();
        let err = opt.update(&mut leaves::WithGrad { params: &mut p32, grad: &g32 }, &GradMap::IDENTITY).unwrap_err();
        assert!(matches!(err, GdError::PrecisionMismatch { leaf: 0, expected: "f64", got: "f32" }), "{name}: {err}");
        assert_eq!(p32, before, "{name}: changed on error");
        // The optimizer still steps its own parameters; after reset, the f32 ones.
        assert_eq!(p, stepped);
        step_struct(&mut *opt, &mut p, &g).unwrap();
        opt.reset();
        // (Twice: the warm-up schedule's first rate is 0.)
        for _ in 0..2 {
            opt.update(&mut leaves::WithGrad { params: &mut p32, grad: &g32 }, &GradMap::IDENTITY).unwrap();
        }
        assert_ne!(p32, before, "{name}");
    }
}
