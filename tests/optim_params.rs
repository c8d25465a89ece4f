//! Optimizers stepping `#[derive(gd::Params)]` structs in place
//! (`step_params`), f32 and mixed precision, as a user crate sees them.

use gd::nalgebra::{DMatrix, DVector};
use gd::runtime::leaves::{Leaf, Leaves};
use gd::runtime::optim::{Adam, Optimizer, OptimizerExt};
use gd::runtime::GdError;
use gd::Params;

#[derive(Clone, Debug, PartialEq, gd::Params)]
struct Layer {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

#[derive(Clone, Debug, PartialEq, gd::Params)]
struct Net {
    layers: Vec<Layer>,
    #[params(skip)]
    name: String,
    scale: f64,
    coeffs: Vec<f64>,
}

/// Mixed precision: an f32 matrix, an f64 vector, an f32 scalar.
#[derive(Clone, Debug, PartialEq, gd::Params)]
struct Mixed {
    w: DMatrix<f32>,
    b: DVector<f64>,
    t: f32,
}

fn net(shift: f64) -> Net {
    let layer = |r: usize, c: usize| Layer {
        w: DMatrix::from_fn(r, c, |i, j| shift + 0.1 * i as f64 - 0.05 * j as f64),
        b: DVector::from_fn(r, |i, _| shift - 0.02 * i as f64),
    };
    Net { layers: vec![layer(3, 2), layer(1, 3)], name: "net".into(), scale: 0.5 + shift, coeffs: vec![shift; 4] }
}

#[test]
fn derived_leaves_follow_the_flat_order() {
    let n = net(0.0);
    let mut lens = Vec::new();
    n.visit_leaves(&mut |l: Leaf<'_>| lens.push(l.len()));
    // w 3×2, b 3, w 1×3, b 1, scale, coeffs as one leaf.
    assert_eq!(lens, [6, 3, 3, 1, 1, 4]);
    assert_eq!(lens.iter().sum::<usize>(), n.num_params());
}

#[test]
fn a_derived_struct_steps_as_its_flat_vector() {
    let mut opt = Adam::new(0.05).unwrap().clip_by_global_norm(1.0).unwrap().l2_weight_decay(1e-2).unwrap();
    let mut opt_flat = opt.clone();
    let mut p = net(0.1);
    let mut flat = p.to_vec();
    for t in 0..10 {
        let mut g = net(0.3 + t as f64 * 0.1);
        g.name = "grad".into();
        opt.step_params(&mut p, &g).unwrap();
        opt_flat.step(&mut flat, &g.to_vec()).unwrap();
        assert_eq!(p.to_vec(), flat, "step {t}");
    }
    assert_eq!(p.name, "net");
}

#[test]
fn mixed_precision_keeps_each_leaf_in_its_type() {
    let mut p = Mixed { w: DMatrix::from_element(2, 2, 1.0), b: DVector::from_element(3, 1.0), t: 1.0 };
    let g = Mixed { w: DMatrix::from_element(2, 2, 0.5), b: DVector::from_element(3, -0.5), t: 2.0 };
    let mut opt = Adam::new(0.1).unwrap();
    opt.step_params(&mut p, &g).unwrap();
    assert!(p.w.iter().all(|&v| (v - 0.9).abs() < 1e-6));
    assert!(p.b.iter().all(|&v| (v - 1.1).abs() < 1e-8));
    assert!((p.t - 0.9).abs() < 1e-6);
}

#[test]
fn a_gradient_of_another_shape_is_an_error() {
    let mut p = net(0.1);
    let mut g = net(0.2);
    g.layers[1].b = DVector::zeros(2);
    let err = Adam::default().step_params(&mut p, &g).unwrap_err();
    assert!(matches!(err, GdError::DimensionMismatch { .. }), "{err}");
    assert_eq!(p, net(0.1));
    g.layers.pop();
    let err = Adam::default().step_params(&mut p, &g).unwrap_err();
    assert!(matches!(err, GdError::DimensionMismatch { expected: 2, got: 1, .. }), "{err}");
    assert_eq!(p, net(0.1));
}

/// An f32 `#[differentiable]` loss: trained by the `Trainer` in f32 end to
/// end (parameters, gradient buffers, optimizer state), with no conversion
/// in user code. The parameters are [w₀, w₁, b].
#[gd::differentiable(wrt(p))]
fn mse32(p: &[f32], xs: &[f32], ys: &[f32]) -> f32 {
    let mut s: f32 = 0.0;
    for i in 0..ys.len() {
        let r = p[0] * xs[2 * i] + p[1] * xs[2 * i + 1] + p[2] - ys[i];
        s += r * r;
    }
    s / ys.len() as f32
}

#[test]
fn trainer_fits_an_f32_differentiable_loss() {
    use gd::runtime::{BatchMode, Trainer};
    let n = 32;
    let xs: Vec<f32> = (0..2 * n).map(|k| ((k * 7) % 13) as f32 / 13.0 - 0.5).collect();
    let ys: Vec<f32> = (0..n).map(|i| 2.0 * xs[2 * i] - 1.0 * xs[2 * i + 1] + 0.5).collect();
    let mut p = vec![0.0f32; 3];
    let (mut bx, mut by) = (Vec::new(), Vec::new());
    let report = Trainer::new()
        .progress(false)
        .max_epochs(200)
        .batch(BatchMode::MiniBatch(8))
        .fit_params(&mut Adam::new(0.05).unwrap(), &mut p, n, |p: &Vec<f32>, batch, g: &mut Vec<f32>| {
            bx.clear();
            by.clear();
            for &i in batch {
                bx.extend_from_slice(&xs[2 * i..2 * i + 2]);
                by.push(ys[i]);
            }
            mse32::value_and_grad_set(p, &bx, &by, g) as f64
        })
        .unwrap();
    assert!(report.final_loss < 1e-4, "{}", report.final_loss);
    assert!((p[0] - 2.0).abs() < 1e-2 && (p[1] + 1.0).abs() < 1e-2 && (p[2] - 0.5).abs() < 1e-2, "{p:?}");
}
