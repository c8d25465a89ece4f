//! Every optimizer's step on a long leaf, whose loops run in vector lanes
//! (AVX2 where the CPU has it: `optim/state.rs::run_leaf`), equals bit for
//! bit the same step taken one coordinate at a time (one-element leaves, each
//! with an optimizer of its own: the loops' scalar remainder). The update
//! formulas are elementwise IEEE operations, so any difference is a
//! vectorisation that changed the arithmetic (a contraction into a fused
//! multiply-add, an approximate square root or reciprocal).
//!
//! A leaf of more than 2^16 elements steps on several threads, each over a
//! range of it (`optim/state.rs::step_parts`): it equals bit for bit the
//! same coordinates stepped as leaves of 1 000 (each on one thread).

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

/// A check run on every optimizer: `make` builds a fresh one.
trait Check<T> {
    fn run<O: Optimizer>(&self, name: &str, make: impl Fn() -> O);
}

struct OneAtATime;
impl<T: ParamScalar + gd_runtime::Params> Check<T> for OneAtATime {
    fn run<O: Optimizer>(&self, name: &str, make: impl Fn() -> O) {
        same_as_one_at_a_time::<T, O>(name, make)
    }
}

struct InPieces;
impl<T: ParamScalar + gd_runtime::Params> Check<T> for InPieces {
    fn run<O: Optimizer>(&self, name: &str, make: impl Fn() -> O) {
        threaded_same_as_pieces::<T, O>(name, make)
    }
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

/// A leaf of `LONG` elements (threaded) against the same coordinates as
/// leaves of 1 000 (serial), bit for bit.
fn threaded_same_as_pieces<T: ParamScalar + gd_runtime::Params, O: Optimizer>(name: &str, make: impl Fn() -> O) {
    const LONG: usize = 3 * (1 << 15) + 77;
    let grow = |v: Vec<T>| -> Vec<T> { v.iter().cycle().take(LONG).enumerate().map(|(i, x)| T::from_f64(x.to_f64() * (1.0 + i as f64 * 1e-6))).collect() };
    let (mut long, mut pieces) = (make(), make());
    let mut p = grow(values(1, 0));
    let mut q: Vec<Vec<T>> = p.chunks(1000).map(|c| c.to_vec()).collect();
    for step in 0..STEPS {
        let g = grow(values(2, step));
        long.step_params(&mut p, &g).unwrap();
        let gq: Vec<Vec<T>> = g.chunks(1000).map(|c| c.to_vec()).collect();
        pieces.step_params(&mut q, &gq).unwrap();
        for (i, (a, b)) in p.iter().zip(q.iter().flatten()).enumerate() {
            assert!(
                a.to_f64().to_bits() == b.to_f64().to_bits(),
                "{name}: step {step}, coordinate {i}: {} in a threaded leaf, {} in a leaf of 1000",
                a.to_f64(),
                b.to_f64()
            );
        }
    }
}

fn every_optimizer<T: ParamScalar + gd_runtime::Params>(check: &impl Check<T>) {
    check.run("Sgd", || Sgd::new(0.1).unwrap());
    check.run("Sgd momentum", || Sgd::momentum(0.1, 0.9).unwrap());
    check.run("Sgd nesterov", || Sgd::nesterov(0.1, 0.9).unwrap());
    check.run("Adam", || Adam::new(1e-2).unwrap());
    check.run("Adam amsgrad", || {
        AdamConfig {
            lr: 1e-2,
            amsgrad: true,
            ..Default::default()
        }
        .build()
        .unwrap()
    });
    check.run("AdamW", || {
        AdamWConfig {
            lr: 1e-2,
            weight_decay: 0.1,
            ..Default::default()
        }
        .build()
        .unwrap()
    });
    check.run("Adagrad", || Adagrad::new(0.1).unwrap());
    check.run("RmsProp", || RmsProp::new(1e-2).unwrap());
    check.run("RmsProp centered momentum", || {
        RmsPropConfig {
            lr: 1e-2,
            momentum: 0.9,
            centered: true,
            ..Default::default()
        }
        .build()
        .unwrap()
    });
    check.run("Lion", || Lion::new(1e-3).unwrap());
}

#[test]
fn long_leaves_step_as_single_coordinates_f64() {
    every_optimizer::<f64>(&OneAtATime);
}

#[test]
fn long_leaves_step_as_single_coordinates_f32() {
    every_optimizer::<f32>(&OneAtATime);
}

#[test]
fn threaded_leaves_step_as_leaves_of_a_thousand_f64() {
    every_optimizer::<f64>(&InPieces);
}

#[test]
fn threaded_leaves_step_as_leaves_of_a_thousand_f32() {
    every_optimizer::<f32>(&InPieces);
}
