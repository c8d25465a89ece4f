//! The Moré–Garbow–Hillstrom unconstrained test set (J. J. Moré,
//! B. S. Garbow, K. E. Hillstrom, "Testing unconstrained optimization
//! software", ACM TOMS 7(1), 1981): the 35 problems with their standard
//! starting points and published minimum values, written with
//! `#[differentiable]` so that value, gradient, Hessian and Hessian–vector
//! products all come from the macro.

#![allow(dead_code)]

pub mod fixed_dim;
pub mod variable_dim;

use fixed_dim::*;
use gd::nalgebra::DMatrix;
use variable_dim::*;

/// One problem instance (fixed n, m).
pub struct Problem {
    /// MGH number (1–35).
    pub number: u32,
    /// Name, with the size when the problem has a variable one.
    pub name: &'static str,
    /// Standard starting point.
    pub x0: Vec<f64>,
    /// Published minimum value f* (MGH 1981, 6 significant digits; exact
    /// where the paper gives a formula).
    pub fstar: f64,
    /// Other published local minimum values, reached from the standard
    /// start by reference solvers too (MGH's own remarks; L-BFGS-B/optim and
    /// MINPACK runs as listed by funconstrain):
    /// - #2 Freudenstein–Roth: 48.9842 at (11.41, −0.8968), the usual end
    ///   from (0.5, −2);
    /// - #8 Bard: 17.4286 at (0.8406, −∞, −∞);
    /// - #15 Kowalik–Osborne: 1.02734e-3 at (+∞, −14.07, −∞, −∞);
    /// - #18 Biggs EXP6 (m = 13): 5.65565e-3;
    /// - #26 Trigonometric (n = 10): 2.79506e-5;
    /// - #27 Brown almost-linear: 1 at (0, …, 0, n + 1).
    ///
    /// scipy 1.17's L-BFGS-B (benches/scipy_lbfgs.py) ends at the local
    /// minima of #2, #18 and #26 from the standard starts, as gd's L-BFGS does.
    pub also: &'static [f64],
    /// Where a minimiser is known in closed form (for the definition check).
    pub xstar: Option<Vec<f64>>,
    /// f(x).
    pub value: fn(&[f64]) -> f64,
    /// f(x), with the gradient written (overwritten) into g.
    pub value_and_grad: fn(&[f64], &mut [f64]) -> f64,
    /// ∇²f(x).
    pub hessian: fn(&[f64]) -> DMatrix<f64>,
    /// ∇²f(x) v written into out.
    pub hvp: fn(&[f64], &[f64], &mut [f64]),
}

/// The four entry points of a `#[differentiable]` problem function, with
/// its data arguments (after `x`) fixed.
macro_rules! fns {
    ($f:ident $(, $arg:expr)*) => {{
        fn value(x: &[f64]) -> f64 {
            $f(x $(, $arg)*)
        }
        fn value_and_grad(x: &[f64], g: &mut [f64]) -> f64 {
            g.iter_mut().for_each(|v| *v = 0.0);
            $f::value_and_grad_into(x $(, $arg)*, g)
        }
        fn hessian(x: &[f64]) -> DMatrix<f64> {
            $f::hessian(x $(, $arg)*).2
        }
        fn hvp(x: &[f64], v: &[f64], out: &mut [f64]) {
            out.copy_from_slice(&$f::hvp(x $(, $arg)*, v));
        }
        (value as fn(&[f64]) -> f64, value_and_grad as fn(&[f64], &mut [f64]) -> f64,
         hessian as fn(&[f64]) -> DMatrix<f64>, hvp as fn(&[f64], &[f64], &mut [f64]))
    }};
}

/// value, value_and_grad, hessian, hvp.
type Fns = (fn(&[f64]) -> f64, fn(&[f64], &mut [f64]) -> f64, fn(&[f64]) -> DMatrix<f64>, fn(&[f64], &[f64], &mut [f64]));

fn problem(
    number: u32,
    name: &'static str,
    x0: Vec<f64>,
    fstar: f64,
    also: &'static [f64],
    xstar: Option<Vec<f64>>,
    f: Fns,
) -> Problem {
    Problem { number, name, x0, fstar, also, xstar, value: f.0, value_and_grad: f.1, hessian: f.2, hvp: f.3 }
}

/// A minimiser of #31 (n = 10) to 7 digits (funconstrain's test data).
const BROYDEN_BANDED_XSTAR: [f64; 10] = [
    -0.4283029, -0.4765964, -0.5196525, -0.5580993, -0.5925062, -0.6245037, -0.6232395, -0.6213938,
    -0.6204536, -0.5864693,
];

/// `(1/(n+1)) · (1, 2, …, n)`-style helpers for starting points.
fn grid(n: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
    (1..=n).map(|j| f(j as f64)).collect()
}

/// All problem instances of the suite.
pub fn all() -> Vec<Problem> {
    let h10 = 1.0 / 11.0;
    vec![
        problem(1, "Rosenbrock", vec![-1.2, 1.0], 0.0, &[], Some(vec![1.0, 1.0]), fns!(rosenbrock)),
        problem(2, "Freudenstein-Roth", vec![0.5, -2.0], 0.0, &[48.9842], Some(vec![5.0, 4.0]), fns!(freudenstein_roth)),
        problem(3, "Powell badly scaled", vec![0.0, 1.0], 0.0, &[], None, fns!(powell_badly_scaled)),
        problem(4, "Brown badly scaled", vec![1.0, 1.0], 0.0, &[], Some(vec![1e6, 2e-6]), fns!(brown_badly_scaled)),
        problem(5, "Beale", vec![1.0, 1.0], 0.0, &[], Some(vec![3.0, 0.5]), fns!(beale, &BEALE_Y)),
        problem(6, "Jennrich-Sampson (m=10)", vec![0.3, 0.4], 124.362, &[], None, fns!(jennrich_sampson, 10)),
        problem(7, "Helical valley", vec![-1.0, 0.0, 0.0], 0.0, &[], Some(vec![1.0, 0.0, 0.0]), fns!(helical_valley)),
        problem(8, "Bard", vec![1.0, 1.0, 1.0], 8.21487e-3, &[17.4286], None, fns!(bard, &BARD_Y)),
        problem(9, "Gaussian", vec![0.4, 1.0, 0.0], 1.12793e-8, &[], None, fns!(gaussian, &GAUSSIAN_Y)),
        problem(10, "Meyer", vec![0.02, 4000.0, 250.0], 87.9458, &[], None, fns!(meyer, &MEYER_Y)),
        problem(11, "Gulf (m=99)", vec![5.0, 2.5, 0.15], 0.0, &[], Some(vec![50.0, 25.0, 1.5]), fns!(gulf, 99)),
        problem(12, "Box 3D (m=10)", vec![0.0, 10.0, 20.0], 0.0, &[], Some(vec![1.0, 10.0, 1.0]), fns!(box_3d, 10)),
        problem(13, "Powell singular", vec![3.0, -1.0, 0.0, 1.0], 0.0, &[], Some(vec![0.0; 4]), fns!(powell_singular)),
        problem(14, "Wood", vec![-3.0, -1.0, -3.0, -1.0], 0.0, &[], Some(vec![1.0; 4]), fns!(wood)),
        problem(15, "Kowalik-Osborne", vec![0.25, 0.39, 0.415, 0.39], 3.07505e-4, &[1.02734e-3], None, fns!(kowalik_osborne, &KOWALIK_Y, &KOWALIK_U)),
        problem(16, "Brown-Dennis (m=20)", vec![25.0, 5.0, -5.0, -1.0], 85822.2, &[], None, fns!(brown_dennis, 20)),
        problem(17, "Osborne 1", vec![0.5, 1.5, -1.0, 0.01, 0.02], 5.46489e-5, &[], None, fns!(osborne1, &OSBORNE1_Y)),
        problem(18, "Biggs EXP6 (m=13)", vec![1.0, 2.0, 1.0, 1.0, 1.0, 1.0], 0.0, &[5.65565e-3], Some(vec![1.0, 10.0, 1.0, 5.0, 4.0, 3.0]), fns!(biggs_exp6, 13)),
        problem(19, "Osborne 2", vec![1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5], 4.01377e-2, &[], None, fns!(osborne2, &OSBORNE2_Y)),
        problem(20, "Watson (n=6)", vec![0.0; 6], 2.28767e-3, &[], None, fns!(watson)),
        problem(20, "Watson (n=9)", vec![0.0; 9], 1.39976e-6, &[], None, fns!(watson)),
        problem(21, "Extended Rosenbrock (n=10)", (0..10).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect(), 0.0, &[], Some(vec![1.0; 10]), fns!(extended_rosenbrock)),
        problem(22, "Extended Powell (n=12)", (0..12).map(|i| [3.0, -1.0, 0.0, 1.0][i % 4]).collect(), 0.0, &[], Some(vec![0.0; 12]), fns!(extended_powell)),
        problem(23, "Penalty I (n=4)", grid(4, |j| j), 2.24997e-5, &[], None, fns!(penalty1)),
        problem(23, "Penalty I (n=10)", grid(10, |j| j), 7.08765e-5, &[], None, fns!(penalty1)),
        problem(24, "Penalty II (n=4)", vec![0.5; 4], 9.37629e-6, &[], None, fns!(penalty2)),
        problem(24, "Penalty II (n=10)", vec![0.5; 10], 2.93660e-4, &[], None, fns!(penalty2)),
        problem(25, "Variably dimensioned (n=10)", grid(10, |j| 1.0 - j / 10.0), 0.0, &[], Some(vec![1.0; 10]), fns!(variably_dimensioned)),
        problem(26, "Trigonometric (n=10)", vec![0.1; 10], 0.0, &[2.79506e-5], Some(vec![0.0; 10]), fns!(trigonometric)),
        problem(27, "Brown almost-linear (n=10)", vec![0.5; 10], 0.0, &[1.0], Some(vec![1.0; 10]), fns!(brown_almost_linear)),
        problem(28, "Discrete boundary value (n=10)", grid(10, |j| j * h10 * (j * h10 - 1.0)), 0.0, &[], None, fns!(discrete_boundary_value)),
        problem(29, "Discrete integral equation (n=10)", grid(10, |j| j * h10 * (j * h10 - 1.0)), 0.0, &[], None, fns!(discrete_integral_equation)),
        problem(30, "Broyden tridiagonal (n=10)", vec![-1.0; 10], 0.0, &[], None, fns!(broyden_tridiagonal)),
        problem(31, "Broyden banded (n=10)", vec![-1.0; 10], 0.0, &[], Some(BROYDEN_BANDED_XSTAR.to_vec()), fns!(broyden_banded)),
        problem(32, "Linear full rank (n=10, m=20)", vec![1.0; 10], 10.0, &[], Some(vec![-1.0; 10]), fns!(linear_full_rank, 20)),
        problem(33, "Linear rank 1 (n=10, m=20)", vec![1.0; 10], 20.0 * 19.0 / (2.0 * 41.0), &[], None, fns!(linear_rank1, 20)),
        problem(34, "Linear rank 1, zero rows/columns (n=10, m=20)", vec![1.0; 10], (400.0 + 60.0 - 6.0) / (2.0 * 37.0), &[], None, fns!(linear_rank1_zero, 20)),
        problem(35, "Chebyquad (n=8)", grid(8, |j| j / 9.0), 3.51687e-3, &[], None, fns!(chebyquad)),
        problem(35, "Chebyquad (n=10)", grid(10, |j| j / 11.0), 6.50395e-3, &[], None, fns!(chebyquad)),
    ]
}
