//! Learning rates on the seeds' elliptical bowl `L(w, b) = w² + 4b²`:
//! 0.01 creeps, 0.1 converges, 0.3 overshoots along the steep b axis
//! (`b ← (1 − 8·0.3) b = −1.4 b`) and diverges — reported by the runtime as
//! the typed error `GdError::Divergence`, not as a result.

use gd::runtime::optim::Sgd;
use gd::runtime::plot::{plot_curves_svg, Curve};
use gd::runtime::{DivergenceCause, GdError, TrainReport, Trainer};

use crate::common::{gradient_check, out_file, Args, Error, Report};
use crate::models::bowl;

/// Where every run starts.
pub const START: [f64; 2] = [3.0, 2.0];

/// The outcome of one learning rate: the losses seen, and the run's result.
pub struct LrRun {
    /// Learning rate.
    pub lr: f64,
    /// Loss at each step (before the step), including those of a diverging run.
    pub losses: Vec<f64>,
    /// The trainer's report, or its error.
    pub result: Result<TrainReport, GdError>,
    /// Final point.
    pub params: Vec<f64>,
}

/// Gradient descent on the bowl from [`START`] for at most `steps` steps.
pub fn descend(lr: f64, steps: usize) -> Result<LrRun, Error> {
    let mut p = START.to_vec();
    let mut opt = Sgd::new(lr)?;
    let mut losses = Vec::new();
    let result = Trainer::new().max_epochs(steps).progress(false).minimize(&mut opt, &mut p, |p: &[f64], g: &mut [f64]| {
        let l = bowl::value_and_grad_set(p, g);
        losses.push(l);
        l
    });
    Ok(LrRun { lr, losses, result, params: p })
}

/// Run the example.
pub fn run(args: &Args) -> Result<Report, Error> {
    let mut r = Report::new("2. Learning rates on L(w, b) = w² + 4b²");
    gradient_check(&mut r, "L", |p: &[f64], g: &mut [f64]| {
        bowl::value_and_grad_set(p, g)
    }, &START)?;
    let steps = 100;
    r.line(format!("from (w, b) = ({}, {}), {steps} steps of gradient descent:", START[0], START[1]));
    let mut curves = Vec::new();
    for lr in [0.01, 0.1, 0.3] {
        let run = descend(lr, steps)?;
        let to_tol = run.losses.iter().position(|&l| l < 1e-6);
        let verdict = match &run.result {
            Ok(_) => match to_tol {
                Some(k) => format!("converges: L < 1e-6 after {k} steps, ends at L = {:.1e}", run.losses.last().copied().unwrap_or(f64::NAN)),
                None => format!(
                    "slow: L = {:.3} after {steps} steps (w = {:.3}, b = {:.4})",
                    bowl(&run.params),
                    run.params[0],
                    run.params[1]
                ),
            },
            Err(GdError::Divergence { step, cause: DivergenceCause::BlowUp { loss, threshold }, .. }) => format!(
                "diverges: the trainer returns GdError::Divergence at step {step} (loss {loss:.2e} > 1e6 × the first loss = {threshold:.1e})"
            ),
            Err(e) => format!("diverges: {e}"),
        };
        r.line(format!("  lr {lr:<4}  {verdict}"));
        let key = format!("lr_{lr}");
        r.metric(&format!("{key}_diverged"), if run.result.is_err() { 1.0 } else { 0.0 });
        r.metric(&format!("{key}_final_loss"), run.losses.last().copied().unwrap_or(f64::NAN));
        r.metric(&format!("{key}_steps_to_1e-6"), to_tol.map_or(f64::NAN, |k| k as f64));
        curves.push(Curve::from_values(&format!("lr {lr}"), &run.losses));
    }
    if let Some(path) = out_file(args, "02_learning_rates.svg")? {
        plot_curves_svg(&path, "Learning rates on w² + 4b²", "step", "loss", &curves, true)?;
        r.file(path);
    }
    Ok(r)
}
