//! The tour of gd (for now: a short demo of the macro and the runtime).
//!
//! Run with `cargo run --release -p gd-examples`.

use gd::differentiable;
use gd::runtime::optim::Sgd;
use gd::runtime::{check_gradient, GradCheckOptions, Trainer};

/// An ordinary function: the macro adds `f::grad`, `f::jvp`, ... beside it.
#[differentiable]
fn f(x: f64, y: f64) -> f64 {
    (x * y).sin() + x.powi(2) * y.exp()
}

/// Extended Rosenbrock over a slice, written with a plain loop.
#[differentiable]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in (0..x.len()).step_by(2) {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

/// Mean squared error of the line `w·x + b`; only `p = [w, b]` is differentiated.
#[differentiable(wrt(p))]
fn mse(p: &[f64], xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in xs.iter().zip(ys.iter()) {
        let r = p[0] * x + p[1] - y;
        s += r * r;
    }
    s / xs.len() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("gd — derivatives written by the compiler\n");

    let (v, (dx, dy)) = f::value_and_grad(0.5, 2.0);
    let (_, dir) = f::jvp(0.5, 2.0, 1.0, 1.0);
    println!("f(x, y) = sin(x·y) + x²·eʸ at (0.5, 2)");
    println!("  value {v:.6}, gradient ({dx:.6}, {dy:.6})  [reverse mode]");
    println!("  derivative along (1, 1): {dir:.6} = {:.6}  [forward mode]\n", dx + dy);

    let x0 = [-1.2, 1.0, -1.2, 1.0];
    let report = check_gradient(
        |x: &[f64], g: &mut [f64]| {
            g.fill(0.0);
            rosenbrock::value_and_grad_into(x, g)
        },
        &x0,
        GradCheckOptions::default(),
    )?;
    println!("Extended Rosenbrock at (−1.2, 1, −1.2, 1)");
    println!("  generated gradient  {:?}", report.analytic);
    println!("  central differences {:?}", report.numeric.iter().map(|g| (g * 1e6).round() / 1e6).collect::<Vec<_>>());
    println!("  largest relative difference {:.2e}\n", report.max_rel_err);

    // The seeds' example: fit y = 2x on x = 1..5 from w = b = 0, lr 0.01, 1000 epochs.
    let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
    let ys = [2.0, 4.0, 6.0, 8.0, 10.0];
    let mut p = [0.0, 0.0];
    let mut sgd = Sgd::new(0.01)?;
    let fit = Trainer::new().max_epochs(1000).progress(false).minimize(&mut sgd, &mut p, |p: &[f64], g: &mut [f64]| {
        g.fill(0.0);
        mse::value_and_grad_into(p, &xs, &ys, g)
    })?;
    println!("Fitting y = 2x by gradient descent (lr 0.01, {} steps)", fit.steps);
    println!("  w = {:.5}, b = {:.5}, loss {:.3e}", p[0], p[1], mse(&p, &xs, &ys));
    Ok(())
}
