//! Schedules against numbers computed by hand from torch.optim.lr_scheduler's
//! formulas (and torch's recursive form where it has one).

use std::f64::consts::PI;

use gd_runtime::schedule::*;

fn near(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} != {b}");
}

#[test]
fn constant_step_multistep_exponential() {
    let c = Constant::new(0.3).unwrap();
    assert_eq!(c.lr(0), 0.3);
    assert_eq!(c.lr(10_000), 0.3);

    let s = StepDecay::new(0.1, 3, 0.5).unwrap();
    let got: Vec<f64> = (0..7).map(|t| s.lr(t)).collect();
    assert_eq!(got, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);

    // Milestones given out of order are sorted: 2 then 5.
    let m = MultiStep::new(1.0, &[5, 2], 0.1).unwrap();
    let got: Vec<f64> = (0..7).map(|t| m.lr(t)).collect();
    for (g, e) in got.iter().zip([1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01]) {
        near(*g, e);
    }

    let e = Exponential::new(0.1, 0.9).unwrap();
    near(e.lr(0), 0.1);
    near(e.lr(2), 0.081);
}

#[test]
fn cosine_annealing_matches_torch_recursion() {
    let (lr0, t_max, eta_min) = (0.1, 10, 0.001);
    let s = CosineAnnealing::new(lr0, t_max, eta_min).unwrap();
    near(s.lr(0), 0.1);
    near(s.lr(5), 0.001 + 0.099 * 0.5);
    near(s.lr(10), 0.001);
    // After T_max the rate stays at eta_min (optax; documented).
    near(s.lr(25), 0.001);
    // torch's chainable form: lrₜ = η + (lrₜ₋₁ − η)(1 + cos(πt/T)) / (1 + cos(π(t−1)/T)).
    let mut lr = lr0;
    for t in 1..t_max {
        let tf = t as f64;
        let tm = t_max as f64;
        lr = eta_min + (lr - eta_min) * (1.0 + (PI * tf / tm).cos()) / (1.0 + (PI * (tf - 1.0) / tm).cos());
        near(s.lr(t), lr);
    }
}

#[test]
fn warm_restarts() {
    // T_0 = 10, T_mult = 2: cycles [0, 10), [10, 30), [30, 70).
    let s = CosineWarmRestarts::new(1.0, 10, 2, 0.0).unwrap();
    near(s.lr(0), 1.0);
    near(s.lr(5), 0.5);
    near(s.lr(10), 1.0);
    near(s.lr(20), 0.5);
    near(s.lr(30), 1.0);
    near(s.lr(50), 0.5);
    near(s.lr(29), 0.5 * (1.0 + (PI * 19.0 / 20.0).cos()));
    // T_mult = 1: period 10.
    let s = CosineWarmRestarts::new(1.0, 10, 1, 0.1).unwrap();
    near(s.lr(15), 0.1 + 0.9 * 0.5);
    near(s.lr(1_000_000_000), 1.0);
    // Huge steps with T_mult > 1 terminate.
    assert!(CosineWarmRestarts::new(1.0, 1, 3, 0.0).unwrap().lr(usize::MAX - 1).is_finite());
}

#[test]
fn one_cycle_torch_defaults() {
    // max_lr 1, 100 steps: initial 1/25 = 0.04, minimum 0.04/1e4 = 4e-6,
    // peak at step 0.3·100 − 1 = 29, end at step 99.
    let s = OneCycle::new(1.0, 100).unwrap();
    near(s.lr(0), 0.04);
    near(s.lr(29), 1.0);
    near(s.lr(99), 4e-6);
    near(s.lr(64), (1.0 + 4e-6) / 2.0);
    // Rising phase halfway (cosine): step 14.5 is not an integer; check 10:
    near(s.lr(10), 1.0 + (0.04 - 1.0) * (1.0 + (PI * 10.0 / 29.0).cos()) / 2.0);
    near(s.lr(500), 4e-6);
    // Monotone up to the peak, then down.
    assert!((0..29).all(|t| s.lr(t + 1) > s.lr(t)));
    assert!((29..99).all(|t| s.lr(t + 1) < s.lr(t)));
}

#[test]
fn linear_warmup_before_any_schedule() {
    let w = Warmup::new(5, 0.0, Constant::new(0.1).unwrap()).unwrap();
    let got: Vec<f64> = (0..7).map(|t| w.lr(t)).collect();
    for (g, e) in got.iter().zip([0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.1]) {
        near(*g, e);
    }
    let inner = CosineAnnealing::new(1.0, 10, 0.0).unwrap();
    let w = Warmup::new(4, 0.1, inner).unwrap();
    near(w.lr(2), 0.1 + 0.9 * 0.5);
    near(w.lr(4), 1.0);
    near(w.lr(9), inner.lr(5));
}

#[test]
fn reduce_on_plateau_torch_defaults() {
    // Constant loss: the first call sets best, the next 10 are tolerated,
    // the 11th bad one (num_bad 11 > patience 10) cuts lr by 10.
    let mut r = ReduceLrOnPlateau::default();
    let mut lr = 1.0;
    let mut changed_at = None;
    for epoch in 0..30 {
        let new = r.step(5.0, lr);
        if new != lr && changed_at.is_none() {
            changed_at = Some(epoch);
        }
        lr = new;
    }
    assert_eq!(changed_at, Some(11));
    // Then again 11 epochs later (no cooldown): epochs 11, 22.
    near(lr, 0.01);
    assert_eq!(r.reductions(), 2);

    // Relative improvements below threshold 1e-4 (measured against the
    // best, which does not move) do not count: 11 steps of 1e-6 sum to 1.1e-5…
    let mut r = ReduceLrOnPlateau::default();
    let (mut lr, mut loss) = (1.0, 1.0);
    for _ in 0..12 {
        lr = r.step(loss, lr);
        loss *= 1.0 - 1e-6;
    }
    near(lr, 0.1);
    // …above it they do.
    let mut r = ReduceLrOnPlateau::default();
    let (mut lr, mut loss) = (1.0, 1.0);
    for _ in 0..100 {
        lr = r.step(loss, lr);
        loss *= 1.0 - 1e-3;
    }
    assert_eq!(lr, 1.0);

    // min_lr, cooldown.
    let mut r = PlateauConfig { patience: 0, cooldown: 2, min_lr: 0.05, ..Default::default() }.build().unwrap();
    let mut lrs = vec![];
    let mut lr = 1.0;
    for _ in 0..8 {
        lr = r.step(1.0, lr);
        lrs.push(lr);
    }
    // call 0 improves; call 1 bad → reduce to 0.1, cooldown 2 (calls 2, 3
    // reset the count); call 4 bad → 0.05 (min_lr); then no change possible.
    assert_eq!(lrs, [1.0, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]);
    assert_eq!(r.reductions(), 2);
}
