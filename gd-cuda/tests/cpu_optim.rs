//! Each fused update on the CPU against gd-runtime's optimizer on the same
//! numbers: bit for bit in f64, within f32 rounding in f32.

mod common;

use gd_cuda::cpu::optim::apply;
use gd_cuda::OptimSpec;
use gd_runtime::optim::{
    Adam, AdamConfig, AdamW, AdamWConfig, Lion, LionConfig, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};

/// A description and a maker of the gd-runtime optimizer it stands for.
type Case = (OptimSpec, Box<dyn Fn() -> Box<dyn Optimizer>>);

fn specs() -> Vec<Case> {
    let sgd = |c: SgdConfig| (OptimSpec::Sgd(c), Box::new(move || Box::new(c.build().unwrap()) as Box<dyn Optimizer>) as Box<dyn Fn() -> _>);
    let rms = |c: RmsPropConfig| (OptimSpec::RmsProp(c), Box::new(move || Box::new(c.build().unwrap()) as Box<dyn Optimizer>) as Box<dyn Fn() -> _>);
    let adam = AdamConfig { lr: 0.01, ..AdamConfig::default() };
    let adamw = AdamWConfig { lr: 0.01, weight_decay: 0.1, ..AdamWConfig::default() };
    let lion = LionConfig { lr: 0.01, ..LionConfig::default() };
    vec![
        sgd(SgdConfig { lr: 0.1, ..SgdConfig::default() }),
        sgd(SgdConfig { lr: 0.1, momentum: 0.9, dampening: 0.1, ..SgdConfig::default() }),
        sgd(SgdConfig { lr: 0.1, momentum: 0.9, nesterov: true, ..SgdConfig::default() }),
        rms(RmsPropConfig { lr: 0.01, ..RmsPropConfig::default() }),
        rms(RmsPropConfig { lr: 0.01, centered: true, momentum: 0.5, ..RmsPropConfig::default() }),
        rms(RmsPropConfig { lr: 0.01, momentum: 0.9, ..RmsPropConfig::default() }),
        (OptimSpec::Adam(adam), Box::new(move || Box::new(adam.build().unwrap()) as Box<dyn Optimizer>)),
        (OptimSpec::AdamW(adamw), Box::new(move || Box::new(adamw.build().unwrap()) as Box<dyn Optimizer>)),
        (OptimSpec::Lion(lion), Box::new(move || Box::new(lion.build().unwrap()) as Box<dyn Optimizer>)),
    ]
}

const N: usize = 257;
const STEPS: u64 = 7;

#[test]
fn f64_updates_equal_gd_runtime_bit_for_bit() {
    for (spec, make) in specs() {
        spec.validate().unwrap();
        let mut reference = make();
        let mut p_ref = common::uniform(N, -1.0, 1.0, 1);
        let mut p = p_ref.clone();
        let mut s = [vec![0.0; N], vec![0.0; N], vec![0.0; N]];
        for t in 0..STEPS {
            let g = common::uniform(N, -2.0, 2.0, 10 + t);
            reference.step(&mut p_ref, &g).unwrap();
            let [a, b, c] = &mut s;
            apply(&spec.update(t), &mut p, &g, [a, b, c]);
        }
        assert_eq!(p, p_ref, "{spec:?}");
    }
}

#[test]
fn f32_updates_follow_gd_runtime() {
    for (spec, make) in specs() {
        let mut reference = make();
        let mut p_ref = common::uniform(N, -1.0, 1.0, 2);
        let mut p: Vec<f32> = p_ref.iter().map(|&v| v as f32).collect();
        let mut s = [vec![0.0f32; N], vec![0.0; N], vec![0.0; N]];
        for t in 0..STEPS {
            let g = common::uniform(N, -2.0, 2.0, 20 + t);
            reference.step(&mut p_ref, &g).unwrap();
            let g32: Vec<f32> = g.iter().map(|&v| v as f32).collect();
            let [a, b, c] = &mut s;
            apply(&spec.update(t), &mut p, &g32, [a, b, c]);
        }
        let e = common::rel_err(&p, &p_ref);
        assert!(e < 1e-5, "{spec:?}: relative error {e}");
    }
}

#[test]
fn rejected_hyperparameters_are_gd_runtime_errors() {
    let bad = OptimSpec::Adam(AdamConfig { beta1: 1.5, ..AdamConfig::default() });
    assert!(matches!(bad.validate(), Err(gd_cuda::CudaError::Runtime(_))));
    let ams = OptimSpec::Adam(AdamConfig { amsgrad: true, ..AdamConfig::default() });
    assert!(matches!(ams.validate(), Err(gd_cuda::CudaError::Invalid(_))));
    // Unused names keep the imports honest.
    let _ = (Sgd::default(), Adam::default(), AdamW::default(), RmsProp::default(), Lion::default());
}
