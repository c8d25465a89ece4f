//! First two steps of every optimizer against the update formulas of
//! torch.optim (written out per coordinate here, independently of the
//! library), plus closed forms known by hand (e.g. Adam's first step is
//! lr·g/(|g| + ε), Lion's is lr·sign(g)).

use gd_runtime::optim::*;
use gd_runtime::schedule::StepDecay;

const P0: [f64; 2] = [1.0, -2.0];
const G1: [f64; 2] = [0.5, -1.5];
const G2: [f64; 2] = [-0.25, 2.0];

fn two_steps(opt: &mut dyn Optimizer, g1: [f64; 2], g2: [f64; 2]) -> ([f64; 2], [f64; 2]) {
    let mut p = P0;
    opt.step(&mut p, &g1).unwrap();
    let p1 = p;
    opt.step(&mut p, &g2).unwrap();
    (p1, p)
}

fn close(a: [f64; 2], b: [f64; 2], tol: f64) {
    for i in 0..2 {
        assert!((a[i] - b[i]).abs() <= tol * (1.0 + b[i].abs()), "coordinate {i}: got {a:?}, expected {b:?}");
    }
}

fn map2(f: impl Fn(usize) -> f64) -> [f64; 2] {
    [f(0), f(1)]
}

#[test]
fn sgd_plain() {
    let lr = 0.1;
    let (p1, p2) = two_steps(&mut Sgd::new(lr).unwrap(), G1, G2);
    let e1 = map2(|i| P0[i] - lr * G1[i]);
    close(p1, e1, 1e-15);
    close(p2, map2(|i| e1[i] - lr * G2[i]), 1e-15);
    assert_eq!(p1, [0.95, -1.85]);
}

#[test]
fn sgd_heavy_ball() {
    let (lr, mu) = (0.1, 0.9);
    let (p1, p2) = two_steps(&mut Sgd::momentum(lr, mu).unwrap(), G1, G2);
    // torch: buf₁ = g₁ (no dampening on the first step), buf₂ = μ g₁ + g₂.
    let e1 = map2(|i| P0[i] - lr * G1[i]);
    close(p1, e1, 1e-15);
    close(p2, map2(|i| e1[i] - lr * (mu * G1[i] + G2[i])), 1e-15);
}

#[test]
fn sgd_heavy_ball_with_dampening() {
    let (lr, mu, d) = (0.1, 0.9, 0.5);
    let mut opt = SgdConfig { lr, momentum: mu, dampening: d, ..Default::default() }.build().unwrap();
    let (p1, p2) = two_steps(&mut opt, G1, G2);
    let e1 = map2(|i| P0[i] - lr * G1[i]);
    close(p1, e1, 1e-15);
    close(p2, map2(|i| e1[i] - lr * (mu * G1[i] + (1.0 - d) * G2[i])), 1e-15);
}

#[test]
fn sgd_nesterov() {
    let (lr, mu) = (0.1, 0.9);
    let (p1, p2) = two_steps(&mut Sgd::nesterov(lr, mu).unwrap(), G1, G2);
    // d₁ = g₁ + μ g₁; d₂ = g₂ + μ (μ g₁ + g₂).
    let e1 = map2(|i| P0[i] - lr * (1.0 + mu) * G1[i]);
    close(p1, e1, 1e-15);
    close(p2, map2(|i| e1[i] - lr * (G2[i] + mu * (mu * G1[i] + G2[i]))), 1e-15);
}

#[test]
fn adagrad() {
    let (lr, eps) = (0.01, 1e-10);
    let (p1, p2) = two_steps(&mut Adagrad::new(lr).unwrap(), G1, G2);
    // First step: lr·g/(|g| + ε) ≈ lr·sign(g).
    let e1 = map2(|i| P0[i] - lr * G1[i] / (G1[i].abs() + eps));
    close(p1, e1, 1e-15);
    close(p1, map2(|i| P0[i] - lr * G1[i].signum()), 1e-9);
    close(p2, map2(|i| e1[i] - lr * G2[i] / ((G1[i] * G1[i] + G2[i] * G2[i]).sqrt() + eps)), 1e-15);
}

#[test]
fn adagrad_lr_decay_and_initial_accumulator() {
    let (lr, decay, init, eps) = (0.01, 0.5, 0.1, 1e-10);
    let mut opt = AdagradConfig { lr, lr_decay: decay, initial_accumulator_value: init, eps }.build().unwrap();
    let (p1, p2) = two_steps(&mut opt, G1, G2);
    let e1 = map2(|i| P0[i] - lr * G1[i] / ((init + G1[i] * G1[i]).sqrt() + eps));
    close(p1, e1, 1e-15);
    let s2 = map2(|i| init + G1[i] * G1[i] + G2[i] * G2[i]);
    close(p2, map2(|i| e1[i] - lr / (1.0 + decay) * G2[i] / (s2[i].sqrt() + eps)), 1e-15);
}

#[test]
fn rmsprop_plain() {
    let (lr, a, eps) = (0.01, 0.99, 1e-8);
    let (p1, p2) = two_steps(&mut RmsProp::new(lr).unwrap(), G1, G2);
    // v₁ = (1 − α) g₁²: the first step is lr·g/(√(1−α)|g| + ε) ≈ 10·lr·sign(g).
    let v1 = map2(|i| (1.0 - a) * G1[i] * G1[i]);
    let e1 = map2(|i| P0[i] - lr * G1[i] / (v1[i].sqrt() + eps));
    close(p1, e1, 1e-15);
    close(p1, map2(|i| P0[i] - 10.0 * lr * G1[i].signum()), 1e-6);
    let v2 = map2(|i| a * v1[i] + (1.0 - a) * G2[i] * G2[i]);
    close(p2, map2(|i| e1[i] - lr * G2[i] / (v2[i].sqrt() + eps)), 1e-15);
}

#[test]
fn rmsprop_centered_with_momentum() {
    let (lr, a, eps, mu) = (0.01, 0.9, 1e-8, 0.5);
    let mut opt = RmsPropConfig { lr, alpha: a, eps, momentum: mu, centered: true }.build().unwrap();
    let (p1, p2) = two_steps(&mut opt, G1, G2);
    let v1 = map2(|i| (1.0 - a) * G1[i] * G1[i]);
    let m1 = map2(|i| (1.0 - a) * G1[i]);
    // √(v₁ − m₁²) = |g₁|·√(α(1 − α)).
    let d1 = map2(|i| G1[i].abs() * (a * (1.0 - a)).sqrt() + eps);
    close(d1, map2(|i| (v1[i] - m1[i] * m1[i]).sqrt() + eps), 1e-12);
    let b1 = map2(|i| G1[i] / d1[i]);
    let e1 = map2(|i| P0[i] - lr * b1[i]);
    close(p1, e1, 1e-14);
    let v2 = map2(|i| a * v1[i] + (1.0 - a) * G2[i] * G2[i]);
    let m2 = map2(|i| a * m1[i] + (1.0 - a) * G2[i]);
    let b2 = map2(|i| mu * b1[i] + G2[i] / ((v2[i] - m2[i] * m2[i]).sqrt() + eps));
    close(p2, map2(|i| e1[i] - lr * b2[i]), 1e-14);
}

fn adam_reference(lr: f64, b1: f64, b2: f64, eps: f64, g1: [f64; 2], g2: [f64; 2], amsgrad: bool) -> ([f64; 2], [f64; 2]) {
    let e1 = map2(|i| P0[i] - lr * g1[i] / (g1[i].abs() + eps));
    let v1 = map2(|i| (1.0 - b2) * g1[i] * g1[i]);
    let m2 = map2(|i| b1 * (1.0 - b1) * g1[i] + (1.0 - b1) * g2[i]);
    let v2 = map2(|i| b2 * v1[i] + (1.0 - b2) * g2[i] * g2[i]);
    let vh = if amsgrad { map2(|i| v1[i].max(v2[i])) } else { v2 };
    let e2 = map2(|i| e1[i] - lr / (1.0 - b1 * b1) * m2[i] / (vh[i].sqrt() / (1.0 - b2 * b2).sqrt() + eps));
    (e1, e2)
}

#[test]
fn adam_defaults_and_two_steps() {
    let opt = Adam::default();
    assert_eq!(*opt.config(), AdamConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false });
    let (p1, p2) = two_steps(&mut Adam::new(0.01).unwrap(), G1, G2);
    let (e1, e2) = adam_reference(0.01, 0.9, 0.999, 1e-8, G1, G2, false);
    // First step is lr·sign(g) up to ε.
    close(p1, map2(|i| P0[i] - 0.01 * G1[i].signum()), 1e-9);
    close(p1, e1, 1e-14);
    close(p2, e2, 1e-14);
}

#[test]
fn amsgrad_uses_the_running_max() {
    // Coordinate 0: v shrinks at step 2 (tiny g₂), so AMSGrad keeps v₁;
    // coordinate 1: v grows, both agree.
    let g2 = [0.01, 2.0];
    let cfg = AdamConfig { lr: 0.01, amsgrad: true, ..Default::default() };
    let (_, p2) = two_steps(&mut cfg.build().unwrap(), G1, g2);
    let (_, e2) = adam_reference(0.01, 0.9, 0.999, 1e-8, G1, g2, true);
    let (_, plain) = adam_reference(0.01, 0.9, 0.999, 1e-8, G1, g2, false);
    close(p2, e2, 1e-14);
    assert!((p2[0] - plain[0]).abs() > 1e-6);
    assert!((p2[1] - plain[1]).abs() < 1e-14);
}

#[test]
fn adamw_decays_then_adam() {
    let opt = AdamW::default();
    assert_eq!(opt.weight_decay(), 1e-2);
    assert_eq!(opt.lr(), 1e-3);
    let (lr, wd) = (0.01, 0.1);
    let mut opt = AdamWConfig { lr, weight_decay: wd, ..Default::default() }.build().unwrap();
    let (p1, p2) = two_steps(&mut opt, G1, G2);
    let e1 = map2(|i| P0[i] * (1.0 - lr * wd) - lr * G1[i] / (G1[i].abs() + 1e-8));
    close(p1, e1, 1e-14);
    let m2 = map2(|i| 0.9 * 0.1 * G1[i] + 0.1 * G2[i]);
    let v2 = map2(|i| 0.999 * 0.001 * G1[i] * G1[i] + 0.001 * G2[i] * G2[i]);
    let e2 = map2(|i| e1[i] * (1.0 - lr * wd) - lr / (1.0 - 0.81) * m2[i] / (v2[i].sqrt() / (1.0 - 0.999f64 * 0.999).sqrt() + 1e-8));
    close(p2, e2, 1e-14);
    // Decoupled: it differs from Adam + L2 in the gradient.
    let mut l2 = Adam::new(lr).unwrap().l2_weight_decay(wd).unwrap();
    let (q1, _) = two_steps(&mut l2, G1, G2);
    assert!((q1[0] - p1[0]).abs() > 1e-4);
}

#[test]
fn lion_sign_of_interpolated_momentum() {
    let lion = Lion::default();
    assert_eq!(*lion.config(), LionConfig { lr: 1e-4, beta1: 0.9, beta2: 0.99 });
    let lr = 0.01;
    // Step 1: p − lr·sign(g); a zero gradient coordinate does not move.
    let mut p = P0;
    let mut opt = Lion::new(lr).unwrap();
    opt.step(&mut p, &[100.0, 0.0]).unwrap();
    assert_eq!(p, [P0[0] - lr, P0[1]]);
    // Step 2: c = 0.9·(0.01·100) + 0.1·(−0.25) = 0.875 > 0 although g₂ < 0.
    opt.step(&mut p, &[-0.25, -3.0]).unwrap();
    close(p, [P0[0] - 2.0 * lr, P0[1] + lr], 1e-15);
}

#[test]
fn clip_by_value_then_sgd() {
    let lr = 0.1;
    let mut opt = Sgd::new(lr).unwrap().clip_by_value(1.0).unwrap();
    let (p1, _) = two_steps(&mut opt, G1, G2);
    close(p1, [P0[0] - lr * 0.5, P0[1] + lr * 1.0], 1e-15);
}

#[test]
fn clip_by_global_norm_then_sgd() {
    let lr = 0.1;
    let norm = (0.25f64 + 2.25).sqrt();
    let mut opt = Sgd::new(lr).unwrap().clip_by_global_norm(1.0).unwrap();
    let (p1, p2) = two_steps(&mut opt, G1, [0.3, 0.4]);
    let e1 = map2(|i| P0[i] - lr * G1[i] / norm);
    close(p1, e1, 1e-15);
    // ‖(0.3, 0.4)‖ = 0.5 < 1: unchanged.
    close(p2, [e1[0] - lr * 0.3, e1[1] - lr * 0.4], 1e-15);
    // The clipped gradient has norm max_norm: the step has length lr.
    let d = ((p1[0] - P0[0]).powi(2) + (p1[1] - P0[1]).powi(2)).sqrt();
    assert!((d - lr).abs() < 1e-15);
}

#[test]
fn l2_and_decoupled_weight_decay() {
    let (lr, wd) = (0.1, 0.2);
    let mut l2 = Sgd::new(lr).unwrap().l2_weight_decay(wd).unwrap();
    let (p1, _) = two_steps(&mut l2, G1, G2);
    close(p1, map2(|i| P0[i] - lr * (G1[i] + wd * P0[i])), 1e-15);
    // For plain SGD the two coincide (p(1 − lr·wd) − lr·g).
    let mut dec = Sgd::new(lr).unwrap().decoupled_weight_decay(wd).unwrap();
    let (q1, _) = two_steps(&mut dec, G1, G2);
    close(q1, p1, 1e-15);
    // For momentum they do not: the decay does not enter the buffer.
    let (lr, mu) = (0.1, 0.9);
    let (_, a2) = two_steps(&mut Sgd::momentum(lr, mu).unwrap().l2_weight_decay(wd).unwrap(), G1, G2);
    let (_, b2) = two_steps(&mut Sgd::momentum(lr, mu).unwrap().decoupled_weight_decay(wd).unwrap(), G1, G2);
    assert!((a2[0] - b2[0]).abs() > 1e-4);
    let b1 = map2(|i| P0[i] * (1.0 - lr * wd) - lr * G1[i]);
    close(b2, map2(|i| b1[i] * (1.0 - lr * wd) - lr * (mu * G1[i] + G2[i])), 1e-15);
}

#[test]
fn schedule_drives_the_learning_rate() {
    let mut opt = Sgd::new(123.0).unwrap().with_schedule(StepDecay::new(0.1, 1, 0.5).unwrap());
    assert_eq!(opt.lr(), 0.1);
    let (p1, p2) = two_steps(&mut opt, G1, G2);
    assert_eq!(opt.lr(), 0.025);
    assert_eq!(opt.steps(), 2);
    let e1 = map2(|i| P0[i] - 0.1 * G1[i]);
    close(p1, e1, 1e-15);
    close(p2, map2(|i| e1[i] - 0.05 * G2[i]), 1e-15);
    // A schedule is any Fn(usize) -> f64, and wrappers compose.
    let mut opt = Adam::default().clip_by_value(0.1).unwrap().with_schedule(|t: usize| 0.01 / (t + 1) as f64);
    let (q1, _) = two_steps(&mut opt, G1, G2);
    close(q1, map2(|i| P0[i] - 0.01 * G1[i].signum()), 1e-9);
    assert_eq!(opt.lr(), 0.01 / 3.0);
}

#[test]
fn reset_forgets_state() {
    let mut a = Adam::new(0.01).unwrap();
    let mut p = P0;
    a.step(&mut p, &G1).unwrap();
    a.reset();
    let mut q = P0;
    a.step(&mut q, &G2).unwrap();
    let mut fresh = Adam::new(0.01).unwrap();
    let mut r = P0;
    fresh.step(&mut r, &G2).unwrap();
    assert_eq!(q, r);
    // After reset, a new length is accepted.
    a.reset();
    a.step(&mut [1.0; 3], &[1.0; 3]).unwrap();
}
