//! Local minima and saddles.
//!
//! The seeds show a double well with the global minimum near x = −2 and a
//! shallower local one near x = 2, but not its formula; this example uses
//! `f(x) = x⁴/4 − 2x² + x/2` (minima at x ≈ −2.06 and x ≈ 1.93, a maximum
//! at x ≈ 0.13). Plain gradient descent settles in the well it starts in;
//! heavy-ball momentum can roll over the hump. Then a saddle, `x² − y²`:
//! started exactly on the ridge y = 0, gradient descent converges to the
//! saddle point; a 1e-6 nudge escapes.

use gd::runtime::optim::{Optimizer, Sgd};
use gd::runtime::plot::{plot_curves_svg, Curve};

use crate::common::{gradient_check, out_file, Args, Error, Report};
use crate::models::{double_well, saddle};

/// Descend the double well from `x0`; returns the iterates.
pub fn descend_well(x0: f64, opt: &mut dyn Optimizer, steps: usize) -> Result<Vec<f64>, Error> {
    let mut x = [x0];
    let mut xs = vec![x0];
    for _ in 0..steps {
        let g = [double_well::grad(x[0])];
        opt.step(&mut x, &g)?;
        if !x[0].is_finite() {
            return Err(Error::Claim(format!("the descent from {x0} diverged")));
        }
        xs.push(x[0]);
    }
    Ok(xs)
}

/// Gradient descent on `x² − y²` from `p0` for `steps` steps.
pub fn descend_saddle(p0: [f64; 2], lr: f64, steps: usize) -> Result<Vec<f64>, Error> {
    let mut p = p0.to_vec();
    let mut opt = Sgd::new(lr)?;
    for _ in 0..steps {
        let g = saddle::grad(&p);
        opt.step(&mut p, &g)?;
    }
    Ok(p)
}

/// Run the example.
pub fn run(args: &Args) -> Result<Report, Error> {
    let mut r = Report::new("5. Local minima and saddles");
    gradient_check(&mut r, "the double well", |x: &[f64], g: &mut [f64]| {
        let (v, d) = double_well::value_and_grad(x[0]);
        g[0] = d;
        v
    }, &[0.7])?;
    let steps = 200;
    let lr = 0.05;
    r.line(format!("f(x) = x⁴/4 − 2x² + x/2: global minimum f(−2.06) = {:.2}, local f(1.93) = {:.2}", double_well(-2.0597), double_well(1.9343)));
    r.line(format!("gradient descent, lr {lr}, {steps} steps:"));
    let starts = [-3.0, -1.0, 0.0, 0.1, 0.2, 1.0, 3.0];
    let mut curves = Vec::new();
    let mut ends = Vec::new();
    for &x0 in &starts {
        let xs = descend_well(x0, &mut Sgd::new(lr)?, steps)?;
        let end = *xs.last().unwrap_or(&x0);
        let which = if end < 0.0 { "global" } else { "local " };
        r.line(format!("  from x = {x0:>4}: ends at x = {end:>7.4}, f = {:>6.3}  ({which} minimum)", double_well(end)));
        ends.push(end);
        curves.push(Curve::from_values(&format!("GD from {x0}"), &xs));
    }
    r.metric("gd_from_3", ends[starts.len() - 1]);
    r.metric("gd_from_-3", ends[0]);
    for (mlr, key) in [(lr, "momentum_from_3"), (0.01, "momentum_slow_from_3")] {
        let xs = descend_well(3.0, &mut Sgd::momentum(mlr, 0.9)?, steps)?;
        let end = *xs.last().unwrap_or(&3.0);
        let story = if end < 0.0 {
            "the speed it builds carries it over the hump into the global minimum"
        } else {
            "too little speed to clear the hump: it stays in the local minimum"
        };
        r.line(format!("  momentum 0.9, lr {mlr} from x = 3: ends at x = {end:.4} — {story}"));
        r.metric(key, end);
        curves.push(Curve::from_values(&format!("momentum (lr {mlr}) from 3"), &xs));
    }
    let on_ridge = descend_saddle([1.0, 0.0], 0.1, 100)?;
    let nudged = descend_saddle([1.0, 1e-6], 0.1, 100)?;
    r.line("saddle x² − y², gradient descent lr 0.1, 100 steps:");
    r.line(format!("  from (1, 0):    ends at ({:.1e}, {:.1e}), f = {:.1e}: stuck at the saddle (gradient 0, not a minimum)", on_ridge[0], on_ridge[1], saddle(&on_ridge)));
    r.line(format!("  from (1, 1e-6): ends at ({:.1e}, {:.2}), f = {:.2}: a tiny nudge escapes down the y direction", nudged[0], nudged[1], saddle(&nudged)));
    r.metric("saddle_stuck_f", saddle(&on_ridge));
    r.metric("saddle_nudged_f", saddle(&nudged));

    if let Some(path) = out_file(args, "05_double_well_paths.svg")? {
        plot_curves_svg(&path, "Double well: x per step from several starts", "step", "x", &curves, false)?;
        r.file(path);
    }
    if let Some(path) = out_file(args, "05_double_well.svg")? {
        let pts: Vec<(f64, f64)> = (0..=300).map(|i| -3.2 + 6.4 * i as f64 / 300.0).map(|x| (x, double_well(x))).collect();
        plot_curves_svg(&path, "f(x) = x⁴/4 − 2x² + x/2", "x", "f(x)", &[Curve::new("f", pts)], false)?;
        r.file(path);
    }
    Ok(r)
}
