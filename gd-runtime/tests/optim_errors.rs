//! Bad input: typed errors at construction or at the first step, with
//! messages that say what was wrong; no panics, no state change on error.

use gd_runtime::optim::*;
use gd_runtime::schedule::*;
use gd_runtime::GdError;

fn bad(r: Result<impl std::fmt::Debug, GdError>, name: &str) {
    match r {
        Err(GdError::BadHyperparameter { name: n, .. }) => {
            assert_eq!(n, name);
            let msg = r.unwrap_err().to_string();
            assert!(msg.contains(name), "{msg}");
        }
        other => panic!("expected BadHyperparameter({name}), got {other:?}"),
    }
}

#[test]
fn bad_learning_rates() {
    bad(Sgd::new(-0.1), "Sgd.lr");
    bad(Sgd::new(f64::NAN), "Sgd.lr");
    bad(Sgd::new(f64::INFINITY), "Sgd.lr");
    bad(Adam::new(-1e-3), "Adam.lr");
    bad(AdamW::new(f64::NAN), "AdamW.lr");
    bad(Adagrad::new(-1.0), "Adagrad.lr");
    bad(RmsProp::new(f64::NAN), "RmsProp.lr");
    bad(Lion::new(-1e-4), "Lion.lr");
    let msg = Adam::new(-1e-3).unwrap_err().to_string();
    assert_eq!(msg, "bad hyperparameter `Adam.lr` = -0.001: must be finite and >= 0");
}

#[test]
fn bad_betas_eps_momentum() {
    bad(AdamConfig { beta1: 1.0, ..Default::default() }.build(), "Adam.beta1");
    bad(AdamConfig { beta1: -0.1, ..Default::default() }.build(), "Adam.beta1");
    bad(AdamConfig { beta2: 1.5, ..Default::default() }.build(), "Adam.beta2");
    bad(AdamConfig { beta2: f64::NAN, ..Default::default() }.build(), "Adam.beta2");
    bad(AdamConfig { eps: 0.0, ..Default::default() }.build(), "Adam.eps");
    bad(AdamWConfig { weight_decay: -0.01, ..Default::default() }.build(), "AdamW.weight_decay");
    bad(AdamWConfig { beta1: 1.0, ..Default::default() }.build(), "AdamW.beta1");
    bad(LionConfig { beta2: 1.0, ..Default::default() }.build(), "Lion.beta2");
    bad(RmsPropConfig { alpha: 1.0, ..Default::default() }.build(), "RmsProp.alpha");
    bad(RmsPropConfig { eps: -1.0, ..Default::default() }.build(), "RmsProp.eps");
    bad(RmsPropConfig { momentum: 1.0, ..Default::default() }.build(), "RmsProp.momentum");
    bad(AdagradConfig { eps: 0.0, ..Default::default() }.build(), "Adagrad.eps");
    bad(AdagradConfig { lr_decay: -1.0, ..Default::default() }.build(), "Adagrad.lr_decay");
    bad(Sgd::momentum(0.1, 1.0), "Sgd.momentum");
    bad(Sgd::momentum(0.1, -0.5), "Sgd.momentum");
    bad(SgdConfig { nesterov: true, ..Default::default() }.build(), "Sgd.momentum");
    bad(SgdConfig { nesterov: true, momentum: 0.9, dampening: 0.1, ..Default::default() }.build(), "Sgd.dampening");
    bad(SgdConfig { dampening: 2.0, ..Default::default() }.build(), "Sgd.dampening");
}

#[test]
fn bad_wrapper_parameters() {
    bad(Sgd::default().clip_by_value(-1.0), "ClipByValue.clip");
    bad(Sgd::default().clip_by_global_norm(0.0), "ClipByGlobalNorm.max_norm");
    bad(Sgd::default().l2_weight_decay(f64::NAN), "L2WeightDecay.weight_decay");
    bad(Sgd::default().decoupled_weight_decay(-1.0), "DecoupledWeightDecay.weight_decay");
}

#[test]
fn bad_schedule_parameters() {
    bad(StepDecay::new(0.1, 0, 0.1), "StepDecay.step_size");
    bad(StepDecay::new(-0.1, 1, 0.1), "StepDecay.lr0");
    bad(CosineAnnealing::new(0.1, 0, 0.0), "CosineAnnealing.t_max");
    bad(CosineWarmRestarts::new(0.1, 10, 0, 0.0), "CosineWarmRestarts.t_mult");
    bad(OneCycle::new(0.1, 1), "OneCycle.total_steps");
    bad(OneCycle::with_params(0.1, 100, 1.5, 25.0, 1e4), "OneCycle.pct_start");
    bad(Exponential::new(0.1, f64::NAN), "Exponential.gamma");
    bad(PlateauConfig { factor: 1.0, ..Default::default() }.build(), "ReduceLrOnPlateau.factor");
}

fn all_optimizers() -> Vec<(&'static str, Box<dyn Optimizer>)> {
    vec![
        ("Sgd", Box::new(Sgd::new(0.1).unwrap())),
        ("Sgd", Box::new(Sgd::momentum(0.1, 0.9).unwrap())),
        ("Adagrad", Box::new(Adagrad::default())),
        ("RmsProp", Box::new(RmsProp::default())),
        ("Adam", Box::new(Adam::default())),
        ("AdamW", Box::new(AdamW::default())),
        ("Lion", Box::new(Lion::default())),
        ("Sgd", Box::new(Sgd::new(0.1).unwrap().clip_by_global_norm(1.0).unwrap())),
        ("Sgd", Box::new(Sgd::new(0.1).unwrap().l2_weight_decay(0.1).unwrap())),
        ("Sgd", Box::new(Sgd::new(0.1).unwrap().decoupled_weight_decay(0.1).unwrap())),
    ]
}

#[test]
fn gradient_length_mismatch() {
    for (name, mut opt) in all_optimizers() {
        let mut p = [1.0, 2.0];
        let err = opt.step(&mut p, &[1.0]).unwrap_err();
        assert!(
            matches!(err, GdError::DimensionMismatch { expected: 2, got: 1, .. }),
            "{name}: {err}"
        );
        assert_eq!(p, [1.0, 2.0], "{name}: params changed on error");
        assert!(err.to_string().contains("gradient"), "{err}");
    }
}

#[test]
fn parameter_length_changes_after_first_step() {
    for (name, mut opt) in all_optimizers() {
        let mut p = [1.0, 2.0];
        opt.step(&mut p, &[0.1, 0.2]).unwrap();
        let before = p;
        let mut q = [1.0, 2.0, 3.0];
        let err = opt.step(&mut q, &[0.1, 0.2, 0.3]).unwrap_err();
        assert!(matches!(err, GdError::DimensionMismatch { expected: 2, got: 3, .. }), "{name}: {err}");
        assert_eq!(q, [1.0, 2.0, 3.0], "{name}: params changed on error");
        // The optimizer still works on the original length.
        opt.step(&mut p, &[0.1, 0.2]).unwrap();
        assert_ne!(p, before);
    }
}

#[test]
fn bad_learning_rate_set_later_is_caught_at_step() {
    for (name, mut opt) in all_optimizers() {
        opt.set_lr(f64::NAN);
        let mut p = [1.0, 2.0];
        let err = opt.step(&mut p, &[0.1, 0.2]).unwrap_err();
        assert!(matches!(err, GdError::BadHyperparameter { .. }), "{name}: {err}");
        assert!(err.to_string().contains(name), "{err}");
        assert_eq!(p, [1.0, 2.0]);
        opt.set_lr(-1.0);
        assert!(opt.step(&mut p, &[0.1, 0.2]).is_err());
    }
}

#[test]
fn schedule_producing_a_bad_rate_is_an_error() {
    let mut opt = Sgd::new(0.1).unwrap().with_schedule(|t: usize| if t == 0 { 0.1 } else { f64::NAN });
    let mut p = [1.0];
    opt.step(&mut p, &[1.0]).unwrap();
    let q = p;
    assert!(opt.step(&mut p, &[1.0]).is_err());
    assert_eq!(p, q);
    assert_eq!(opt.steps(), 1);
}
