//! House prices: linear regression by gradient descent.
//!
//! First the seeds' example, y = 2x on x = 1..5, from w = b = 0 with
//! learning rate 0.01 for 1000 full-batch epochs of the mean squared error
//! (w ≈ 1.99518, b ≈ 0.01740: not yet at the exact w = 2, b = 0). Then a
//! synthetic size → price set, fitted on standardised sizes and converted
//! back to euros per m². Both beside the closed-form least-squares answer.

use gd::nalgebra::{DMatrix, DVector};
use gd::runtime::optim::Sgd;
use gd::runtime::plot::{plot_curves_svg, Curve};
use gd::runtime::{BatchMode, Trainer};
use rand::{Rng, SeedableRng};

use crate::common::{gradient_check, out_file, Args, Error, Report};
use crate::models::linear_mse;

/// Least squares with an intercept: `[w_1 .. w_d, b]` minimising
/// `‖X w + b − y‖²` (x row-major, `d` features), by SVD.
pub fn least_squares(x: &[f64], y: &[f64], d: usize) -> Result<Vec<f64>, Error> {
    let n = y.len();
    let a = DMatrix::from_fn(n, d + 1, |i, j| if j < d { x[i * d + j] } else { 1.0 });
    let b = DVector::from_column_slice(y);
    let sol = a.svd(true, true).solve(&b, 1e-12).map_err(|e| Error::Claim(format!("least squares: {e}")))?;
    Ok(sol.iter().copied().collect())
}

/// Fit `y ≈ w·x + b` by full-batch gradient descent; returns `(params, loss per epoch)`.
fn fit_line(x: &[f64], y: &[f64], lr: f64, epochs: usize) -> Result<(Vec<f64>, Vec<f64>), Error> {
    let mut p = vec![0.0; 2];
    let mut opt = Sgd::new(lr)?;
    let report = Trainer::new().batch(BatchMode::Full).max_epochs(epochs).progress(false).fit(
        &mut opt,
        &mut p,
        y.len(),
        |p: &[f64], batch: &[usize], g: &mut [f64]| {
            linear_mse::value_and_grad_set(p, x, y, batch, g)
        },
    )?;
    Ok((p, report.history.epochs.iter().map(|e| e.loss).collect()))
}

/// Run the example.
pub fn run(args: &Args) -> Result<Report, Error> {
    let mut r = Report::new("1. House prices: linear regression by gradient descent");
    // The seeds' data.
    let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
    let ys = [2.0, 4.0, 6.0, 8.0, 10.0];
    let all: Vec<usize> = (0..5).collect();
    gradient_check(&mut r, "the MSE of w·x + b", |p: &[f64], g: &mut [f64]| {
        linear_mse::value_and_grad_set(p, &xs, &ys, &all, g)
    }, &[0.3, -0.2])?;
    let (p, seed_losses) = fit_line(&xs, &ys, 0.01, 1000)?;
    let exact = least_squares(&xs, &ys, 1)?;
    r.line("y = 2x on x = 1..5 (the seeds), w = b = 0, lr 0.01, 1000 epochs of full-batch GD on the mean squared error:");
    r.line(format!(
        "  gradient descent  w = {:.5}, b = {:.5}, MSE {:.2e}",
        p[0],
        p[1],
        linear_mse(&p, &xs, &ys, &all)
    ));
    r.line(format!("  least squares     w = {:.5}, b = {:.5}", exact[0], exact[1] + 0.0));
    r.metric("w", p[0]);
    r.metric("b", p[1]);

    // A synthetic size → price set: price = 2 500 €/m² · size + 40 000 € + noise.
    let n = if args.quick { 40 } else { 200 };
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let size: Vec<f64> = (0..n).map(|_| rng.gen_range(40.0..220.0)).collect();
    let price: Vec<f64> = size
        .iter()
        .map(|s| 2500.0 * s + 40_000.0 + 30_000.0 * (rng.gen::<f64>() + rng.gen::<f64>() + rng.gen::<f64>() - 1.5))
        .collect();
    // Gradient descent on raw sizes (40..220) and prices (10⁵) would need a
    // learning rate near 1e-5 and many thousand steps: standardise both.
    let (ms, ss) = mean_std(&size);
    let (mp, sp) = mean_std(&price);
    let zs: Vec<f64> = size.iter().map(|s| (s - ms) / ss).collect();
    let zp: Vec<f64> = price.iter().map(|p| (p - mp) / sp).collect();
    let epochs = if args.quick { 100 } else { 200 };
    let (q, house_losses) = fit_line(&zs, &zp, 0.1, epochs)?;
    let per_m2 = q[0] * sp / ss;
    let base = mp + sp * q[1] - per_m2 * ms;
    let exact = least_squares(&size, &price, 1)?;
    r.line(format!("{n} synthetic houses, price = 2 500 €/m² · size + 40 000 € + noise; GD on standardised size and price, lr 0.1, {epochs} epochs:"));
    r.line(format!("  gradient descent  {per_m2:8.1} €/m², base {base:9.0} €"));
    r.line(format!("  least squares     {:8.1} €/m², base {:9.0} €", exact[0], exact[1]));
    r.line(format!("  a 100 m² flat: {:.0} € predicted", base + 100.0 * per_m2));
    r.metric("price_per_m2", per_m2);
    r.metric("price_per_m2_exact", exact[0]);

    if let Some(path) = out_file(args, "01_house_prices_loss.svg")? {
        let curves = [
            Curve::from_values("y = 2x (seeds), lr 0.01", &seed_losses),
            Curve::from_values("houses (standardised), lr 0.1", &house_losses),
        ];
        plot_curves_svg(&path, "Linear regression: training loss", "epoch", "mean squared error", &curves, true)?;
        r.file(path);
    }
    Ok(r)
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt();
    (m, s.max(1e-12))
}
