//! Every optimizer's step on a long leaf, whose loops run in vector lanes
//! (AVX2 where the CPU has it: `optim/state.rs::run_leaf`), equals bit for
//! bit the same step taken one coordinate at a time (one-element leaves, each
//! with an optimizer of its own: the loops' scalar remainder). The update
//! formulas are elementwise IEEE operations, so any difference is a
//! vectorisation that changed the arithmetic (a contraction into a fused
//! multiply-add, an approximate square root or reciprocal).

use gd_runtime::optim::*;
use gd_runtime::params::ParamScalar;

const N: usize = 1037;
const STEPS: usize = 4;

/// Coordinates over many magnitudes and both signs, zeros included.
fn values<T: ParamScalar>(seed: u64, step: usize) -> Vec<T> {
    (0..N)
        .map(|i| {
            let h = (i as u64 ^ seed)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add((step as u64).wrapping_mul(0x632B_E59B_D9B4_E019));
            let u = ((h >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0;
            let scale = 10f64.powi((h % 13) as i32 - 6);
            T::from_f64(if h % 17 == 0 { 0.0 } else { u * scale })
        })
        .collect()
}

fn same_as_one_at_a_time<T: ParamScalar + gd_runtime::Params, O: Optimizer>(
    name: &str,
    make: impl Fn() -> O,
) {
    let mut long = make();
    let mut p: Vec<T> = values(1, 0);
    let mut singles: Vec<O> = (0..N).map(|_| make()).collect();
    let mut q = p.clone();
    for step in 0..STEPS {
        let g: Vec<T> = values(2, step);
        long.step_params(&mut p, &g).unwrap();
        for ((opt, q), &g) in singles.iter_mut().zip(q.iter_mut()).zip(&g) {
            let mut one = vec![*q];
            opt.step_params(&mut one, &vec![g]).unwrap();
            *q = one[0];
        }
        for i in 0..N {
            assert!(
                p[i].to_f64().to_bits() == q[i].to_f64().to_bits(),
                "{name}: step {step}, coordinate {i}: {} in a long leaf, {} alone",
                p[i].to_f64(),
                q[i].to_f64()
            );
        }
    }
}

fn every_optimizer<T: ParamScalar + gd_runtime::Params>() {
    same_as_one_at_a_time::<T, _>("Sgd", || Sgd::new(0.1).unwrap());
    same_as_one_at_a_time::<T, _>("Sgd momentum", || Sgd::momentum(0.1, 0.9).unwrap());
    same_as_one_at_a_time::<T, _>("Sgd nesterov", || Sgd::nesterov(0.1, 0.9).unwrap());
    same_as_one_at_a_time::<T, _>("Adam", || Adam::new(1e-2).unwrap());
    same_as_one_at_a_time::<T, _>("Adam amsgrad", || {
        AdamConfig {
            lr: 1e-2,
            amsgrad: true,
            ..Default::default()
        }
        .build()
        .unwrap()
    });
    same_as_one_at_a_time::<T, _>("AdamW", || {
        AdamWConfig {
            lr: 1e-2,
            weight_decay: 0.1,
            ..Default::default()
        }
        .build()
        .unwrap()
    });
    same_as_one_at_a_time::<T, _>("Adagrad", || Adagrad::new(0.1).unwrap());
    same_as_one_at_a_time::<T, _>("RmsProp", || RmsProp::new(1e-2).unwrap());
    same_as_one_at_a_time::<T, _>("RmsProp centered momentum", || {
        RmsPropConfig {
            lr: 1e-2,
            momentum: 0.9,
            centered: true,
            ..Default::default()
        }
        .build()
        .unwrap()
    });
    same_as_one_at_a_time::<T, _>("Lion", || Lion::new(1e-3).unwrap());
}

#[test]
fn long_leaves_step_as_single_coordinates_f64() {
    every_optimizer::<f64>();
}

#[test]
fn long_leaves_step_as_single_coordinates_f32() {
    every_optimizer::<f32>();
}
