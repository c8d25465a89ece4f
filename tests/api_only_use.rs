//! Functions used only through their derivatives (a `#[differentiable]`
//! function whose primal is never called by the user) compile without
//! warnings: free functions, scalar and vector-valued methods, generic
//! float functions. `deny(warnings)` makes a regression a build error.
#![deny(warnings)]

use gd::{differentiable, Float};

struct Line {
    k: f64,
}

impl Line {
    #[differentiable]
    fn pair(&self, x: &[f64]) -> Vec<f64> {
        vec![x[0] * self.k, x[1].sin()]
    }

    #[differentiable]
    fn energy(&self, x: f64) -> f64 {
        x * x * self.k
    }
}

#[differentiable]
fn free(x: f64) -> f64 {
    x.exp()
}

#[differentiable]
fn generic<F: Float>(x: F) -> F {
    x * x
}

#[test]
fn derivatives_only() {
    let l = Line { k: 2.0 };
    let (v, j) = l.pair_jacobian(&[1.0, 2.0]);
    assert_eq!((v[0], j[(0, 0)], j[(1, 1)]), (2.0, 2.0, 2.0f64.cos()));
    assert_eq!(l.energy_grad(3.0), 12.0);
    assert_eq!(free::grad(0.0), 1.0);
    assert_eq!(generic::grad(3.0f32), 6.0);
}
