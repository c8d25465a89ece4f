//! Accumulator loops nested in a seeded loop whose sum reaches the trip's
//! end value linearly (gd-macros/src/plan/fused.rs, `seeded_in`): their
//! sum's adjoint is known before they run (`t̄ = s̄ · x[i]` for
//! `s += x[i] * t`), so their trips add into the gradient while they sum,
//! in one pass. The quadratic form written several ways (a `for` loop, an
//! iterator sum inside the expression, the product swapped and scaled and
//! subtracted, divided by data, three loops deep, an inner sum that reads
//! the outer element too), and four that must keep the replay: the factor
//! read through a `let` bound after the inner loop, the sum squared, the
//! factor a function of the element, the outer loop `#[checkpoint]`ed.
//! Each against num-dual, central differences and forward mode, and
//! `value_and_grad_set` against `value_and_grad_into`.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

const A: [f64; 9] = [0.3, -1.2, 0.7, 1.1, 0.4, -0.5, -0.8, 0.9, 0.2];

#[differentiable]
fn qf_for(x: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..d {
        let mut t = 0.0;
        for j in 0..d {
            t += A[(i * d + j) % 9] * x[j];
        }
        s += x[i] * t;
    }
    s
}
fn qf_for_d<D: Dn>(x: &[D]) -> D {
    let d = x.len();
    let mut s = c::<D>(0.0);
    for i in 0..d {
        let mut t = c::<D>(0.0);
        for j in 0..d {
            t += x[j] * A[(i * d + j) % 9];
        }
        s += x[i] * t;
    }
    s
}

#[differentiable]
fn qf_iter(x: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..d {
        s += x[i] * (0..d).map(|j| A[(i * d + j) % 9] * x[j]).sum::<f64>();
    }
    s
}

#[differentiable]
fn qf_swapped(x: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 1.0;
    for i in 0..d {
        let mut t = 0.0;
        for j in 0..d {
            t += A[(i * d + j) % 9] * x[j];
        }
        s -= 0.5 * (t * x[i]);
    }
    s
}
fn qf_swapped_d<D: Dn>(x: &[D]) -> D {
    let d = x.len();
    let mut s = c::<D>(1.0);
    for i in 0..d {
        let mut t = c::<D>(0.0);
        for j in 0..d {
            t += x[j] * A[(i * d + j) % 9];
        }
        s -= (t * x[i]) * 0.5;
    }
    s
}

#[differentiable]
fn qf_over_data(x: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..d {
        let mut t = 0.0;
        for j in 0..d {
            t += (x[j] - x[i]).powi(2);
        }
        s += t / (1.0 + i as f64);
    }
    s
}
fn qf_over_data_d<D: Dn>(x: &[D]) -> D {
    let d = x.len();
    let mut s = c::<D>(0.0);
    for i in 0..d {
        let mut t = c::<D>(0.0);
        for j in 0..d {
            t += (x[j] - x[i]).powi(2);
        }
        s += t / (1.0 + i as f64);
    }
    s
}

#[differentiable]
fn three_deep(x: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..d {
        let mut u = 0.0;
        for j in 0..d {
            let mut t = 0.0;
            for k in 0..d {
                t += A[(i + j * d + k) % 9] * x[k];
            }
            u += x[j] * t;
        }
        s += x[i] * u;
    }
    s
}
fn three_deep_d<D: Dn>(x: &[D]) -> D {
    let d = x.len();
    let mut s = c::<D>(0.0);
    for i in 0..d {
        let mut u = c::<D>(0.0);
        for j in 0..d {
            let mut t = c::<D>(0.0);
            for k in 0..d {
                t += x[k] * A[(i + j * d + k) % 9];
            }
            u += x[j] * t;
        }
        s += x[i] * u;
    }
    s
}

#[differentiable]
fn through_late_let(x: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..d {
        let mut t = 0.0;
        for j in 0..d {
            t += A[(i * d + j) % 9] * x[j];
        }
        let k = d - 1 - i;
        s += x[k] * t;
    }
    s
}
fn through_late_let_d<D: Dn>(x: &[D]) -> D {
    let d = x.len();
    let mut s = c::<D>(0.0);
    for i in 0..d {
        let mut t = c::<D>(0.0);
        for j in 0..d {
            t += x[j] * A[(i * d + j) % 9];
        }
        let k = d - 1 - i;
        s += x[k] * t;
    }
    s
}

#[differentiable]
fn squared_sum(x: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..d {
        let mut t = 0.0;
        for j in 0..d {
            t += A[(i * d + j) % 9] * x[j];
        }
        s += t * t * x[i];
    }
    s
}
fn squared_sum_d<D: Dn>(x: &[D]) -> D {
    let d = x.len();
    let mut s = c::<D>(0.0);
    for i in 0..d {
        let mut t = c::<D>(0.0);
        for j in 0..d {
            t += x[j] * A[(i * d + j) % 9];
        }
        s += t * t * x[i];
    }
    s
}

#[differentiable]
fn factor_of_element(x: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..d {
        let mut t = 0.0;
        for j in 0..d {
            t += A[(i * d + j) % 9] * x[j];
        }
        s += x[i].sin() * t;
    }
    s
}
fn factor_of_element_d<D: Dn>(x: &[D]) -> D {
    let d = x.len();
    let mut s = c::<D>(0.0);
    for i in 0..d {
        let mut t = c::<D>(0.0);
        for j in 0..d {
            t += x[j] * A[(i * d + j) % 9];
        }
        s += x[i].sin() * t;
    }
    s
}

/// The outer loop checkpointed: it runs its own schedule, and the inner
/// sum is not seeded from it.
#[differentiable]
fn qf_checkpointed(x: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    #[checkpoint(snapshots = 2)]
    for i in 0..d {
        let mut t = 0.0;
        for j in 0..d {
            t += A[(i * d + j) % 9] * x[j];
        }
        s += x[i] * t;
    }
    s
}

slice_cases!(-1.3, 1.3;
    qf_for, qf_for_d, 401, 3;
    qf_iter, qf_for_d, 402, 4;
    qf_swapped, qf_swapped_d, 403, 3;
    qf_over_data, qf_over_data_d, 404, 5;
    three_deep, three_deep_d, 405, 3;
    through_late_let, through_late_let_d, 406, 4;
    squared_sum, squared_sum_d, 407, 3;
    factor_of_element, factor_of_element_d, 408, 4;
    qf_checkpointed, qf_for_d, 409, 4;
);

#[cfg(not(gd_oracles_only))]
#[test]
fn nested_seeded_sums_ad() {
    check_all_api();
}

/// The second-order paths run through the dual copy of the same sweeps.
#[cfg(not(gd_oracles_only))]
#[test]
fn nested_seeded_second_order() {
    second_slice!(qf_for, qf_for_d, rand_points(411, 2, 3, -1.0, 1.0));
    second_slice!(three_deep, three_deep_d, rand_points(412, 2, 3, -1.0, 1.0));
    second_slice!(qf_over_data, qf_over_data_d, rand_points(413, 2, 3, -1.0, 1.0));
}
