//! The CPU reference MLP's backward pass against central finite differences
//! (in f64), for both losses and every activation.

mod common;

use gd_cuda::cpu::mlp::{loss_and_grad, BatchTargets, Workspace};
use gd_cuda::{Activation, Loss, MlpSpec, OptimSpec};
use gd_runtime::optim::SgdConfig;

fn spec(acts: [Activation; 3], loss: Loss) -> MlpSpec {
    MlpSpec { sizes: vec![5, 4, 3, 3], activations: acts.to_vec(), loss, optimizer: OptimSpec::Sgd(SgdConfig::default()) }
}

fn check(spec: &MlpSpec) {
    let rows = 4;
    let p: Vec<f64> = common::uniform(spec.n_params(), -0.8, 0.8, 1);
    let x = common::uniform(rows * spec.n_in(), -1.0, 1.0, 2);
    let lab = common::labels(rows, spec.n_out() as u32, 3);
    let vals = common::uniform(rows * spec.n_out(), -1.0, 1.0, 4);
    let t = match spec.loss {
        Loss::SoftmaxCrossEntropy => BatchTargets::Classes(&lab),
        Loss::Mse => BatchTargets::Values(&vals),
    };
    let mut ws = Workspace::new(spec, rows);
    let mut g = vec![0.0; p.len()];
    let f0 = loss_and_grad(spec, &p, &x, t, rows, &mut g, &mut ws);
    assert!(f0.is_finite());
    let mut scratch = vec![0.0; p.len()];
    for i in 0..p.len() {
        let h = f64::EPSILON.cbrt() * p[i].abs().max(1.0);
        let mut q = p.clone();
        q[i] = p[i] + h;
        let fp = loss_and_grad(spec, &q, &x, t, rows, &mut scratch, &mut ws);
        q[i] = p[i] - h;
        let fm = loss_and_grad(spec, &q, &x, t, rows, &mut scratch, &mut ws);
        let fd = (fp - fm) / (2.0 * h);
        // ReLU's kink: a coordinate whose step crosses 0 is not comparable.
        let tol = 1e-7 + 1e-6 * fd.abs().max(g[i].abs());
        assert!((fd - g[i]).abs() <= tol, "{:?} {:?}: ∂/∂p[{i}] analytic {} vs finite difference {fd}", spec.activations, spec.loss, g[i]);
    }
}

#[test]
fn cross_entropy_gradient_matches_finite_differences() {
    use Activation::*;
    for acts in [[Tanh, Sigmoid, Identity], [Relu, Tanh, Identity], [Sigmoid, Relu, Identity]] {
        check(&spec(acts, Loss::SoftmaxCrossEntropy));
    }
}

#[test]
fn mse_gradient_matches_finite_differences() {
    use Activation::*;
    for acts in [[Tanh, Relu, Identity], [Sigmoid, Tanh, Sigmoid], [Relu, Sigmoid, Tanh]] {
        check(&spec(acts, Loss::Mse));
    }
}

#[test]
fn f32_gradient_follows_the_f64_one() {
    let s = spec([Activation::Tanh, Activation::Relu, Activation::Identity], Loss::SoftmaxCrossEntropy);
    let rows = 6;
    let p = common::uniform(s.n_params(), -0.8, 0.8, 5);
    let x = common::uniform(rows * 5, -1.0, 1.0, 6);
    let lab = common::labels(rows, 3, 7);
    let mut g64 = vec![0.0; p.len()];
    loss_and_grad(&s, &p, &x, BatchTargets::Classes(&lab), rows, &mut g64, &mut Workspace::new(&s, rows));
    let p32: Vec<f32> = p.iter().map(|&v| v as f32).collect();
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let mut g32 = vec![0.0f32; p.len()];
    loss_and_grad(&s, &p32, &x32, BatchTargets::Classes(&lab), rows, &mut g32, &mut Workspace::new(&s, rows));
    assert!(common::rel_err(&g32, &g64) < 1e-5);
}
