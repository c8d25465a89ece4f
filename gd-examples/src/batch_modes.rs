//! Batch vs mini-batch vs stochastic gradient descent on the same data,
//! counting per-sample gradient evaluations.
//!
//! As in the seeds: 200 samples of `y = 3·x₁ − x₂ + noise` whose features
//! are orthogonalised so that the loss is an exact elliptical bowl, and the
//! label noise is the only randomness. Full batch pays 200 sample gradients
//! per step, mini-batch 16, SGD 1: SGD gets into the basin on far fewer
//! evaluations, then jitters around the minimum.

use gd::runtime::optim::Sgd;
use gd::runtime::plot::{plot_curves_svg, Curve};
use gd::runtime::{BatchMode, Trainer};
use rand::{Rng, SeedableRng};

use crate::common::{gradient_check, out_file, thousands, Args, Error, Report};
use crate::house_prices::least_squares;
use crate::models::linear_mse;

/// The data set: `(x row-major n × 2, y)`, features with mean 0,
/// mean squares 1 and 4, and zero correlation.
pub fn make_data(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let normal = |rng: &mut rand::rngs::StdRng| {
        let (u1, u2): (f64, f64) = (1.0 - rng.gen::<f64>(), rng.gen());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    let mut a: Vec<f64> = (0..n).map(|_| normal(&mut rng)).collect();
    let mut b: Vec<f64> = (0..n).map(|_| normal(&mut rng)).collect();
    let nf = n as f64;
    let center = |v: &mut Vec<f64>| {
        let m = v.iter().sum::<f64>() / nf;
        v.iter_mut().for_each(|x| *x -= m);
    };
    center(&mut a);
    center(&mut b);
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(x, y)| x * y).sum::<f64>() / nf;
    let k = dot(&a, &b) / dot(&a, &a);
    b.iter_mut().zip(&a).for_each(|(bi, ai)| *bi -= k * ai);
    let (sa, sb) = (dot(&a, &a).sqrt(), dot(&b, &b).sqrt());
    a.iter_mut().for_each(|v| *v /= sa);
    b.iter_mut().for_each(|v| *v *= 2.0 / sb);
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        x.push(a[i]);
        x.push(b[i]);
        y.push(3.0 * a[i] - b[i] + 0.5 * normal(&mut rng));
    }
    (x, y)
}

/// One run: `(sample gradients used, excess full-data loss)` before each
/// step, and the number of steps.
pub struct BatchRun {
    /// Name.
    pub name: String,
    /// `(evaluations so far, L(p) − L*)` before each step.
    pub trace: Vec<(usize, f64)>,
    /// Optimizer steps.
    pub steps: usize,
}

/// Train with `mode` for `steps` optimizer steps at learning rate `lr`.
pub fn train(mode: BatchMode, name: &str, x: &[f64], y: &[f64], lr: f64, steps: usize, best: f64) -> Result<BatchRun, Error> {
    let n = y.len();
    let all: Vec<usize> = (0..n).collect();
    let mut p = vec![0.0; 3];
    let mut opt = Sgd::new(lr)?;
    let mut evals = 0usize;
    let mut trace = Vec::new();
    let rep = Trainer::new().batch(mode).max_epochs(steps).max_steps(steps).seed(1).progress(false).fit(
        &mut opt,
        &mut p,
        n,
        |p: &[f64], batch: &[usize], g: &mut [f64]| {
            trace.push((evals, linear_mse(p, x, y, &all) - best));
            evals += batch.len();
            linear_mse::value_and_grad_set(p, x, y, batch, g)
        },
    )?;
    trace.push((evals, linear_mse(&p, x, y, &all) - best));
    Ok(BatchRun { name: name.to_string(), trace, steps: rep.steps })
}

/// Run the example.
pub fn run(args: &Args) -> Result<Report, Error> {
    let mut r = Report::new("3. Batch vs mini-batch vs stochastic gradient descent");
    let n = 200;
    let (x, y) = make_data(n, 3);
    let all: Vec<usize> = (0..n).collect();
    gradient_check(&mut r, "the MSE", |p: &[f64], g: &mut [f64]| {
        linear_mse::value_and_grad_set(p, &x, &y, &all, g)
    }, &[0.5, -0.3, 0.1])?;
    let exact = least_squares(&x, &y, 2)?;
    let best = linear_mse(&exact, &x, &y, &all);
    let steps = if args.quick { 150 } else { 300 };
    let lr = 0.02;
    let target = 0.05;
    r.line(format!(
        "{n} samples of y = 3·x₁ − x₂ + noise (σ 0.5), least-squares loss L* = {best:.4}; lr {lr}, {steps} steps each:"
    ));
    r.line(format!("  {:<16} {:>14} {:>26} {:>14}", "", "sample grads", "sample grads to L−L* < 0.05", "final L − L*"));
    let mut curves = Vec::new();
    for (mode, name) in [
        (BatchMode::Full, "batch (200)"),
        (BatchMode::MiniBatch(16), "mini-batch (16)"),
        (BatchMode::Stochastic, "SGD (1)"),
    ] {
        let run = train(mode, name, &x, &y, lr, steps, best)?;
        let reach = run.trace.iter().find(|&&(_, e)| e < target).map(|&(k, _)| k);
        let last = run.trace.last().map_or(f64::NAN, |t| t.1);
        r.line(format!(
            "  {:<16} {:>14} {:>26} {:>14.2e}",
            name,
            thousands(run.trace.last().map_or(0, |t| t.0)),
            reach.map_or("not reached".to_string(), thousands),
            last
        ));
        let key = match mode {
            BatchMode::Full => "batch",
            BatchMode::MiniBatch(_) => "minibatch",
            BatchMode::Stochastic => "sgd",
        };
        r.metric(&format!("{key}_evals_to_target"), reach.map_or(f64::NAN, |k| k as f64));
        r.metric(&format!("{key}_final_excess"), last);
        curves.push(Curve::new(name, run.trace.iter().map(|&(k, e)| ((k.max(1) as f64).log10(), e.max(1e-12))).collect()));
    }
    r.line("  one step costs 200, 16 or 1 sample gradients: SGD reaches the basin cheapest, then jitters around L*");
    if let Some(path) = out_file(args, "03_batch_modes.svg")? {
        plot_curves_svg(&path, "Same data, three batch sizes", "log10(sample gradients evaluated)", "L − L*", &curves, true)?;
        r.file(path);
    }
    Ok(r)
}
