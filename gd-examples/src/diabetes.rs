//! MLP regression on the diabetes data (442 patients × 10 baseline
//! variables, `data/diabetes_*.csv`) against linear regression: the same
//! fixed-seed 80/20 split, standardised features and target, held-out R².

use gd::nalgebra::DMatrix;
use gd::runtime::optim::Adam;
use gd::runtime::plot::{plot_curves_svg, Curve};
use gd::runtime::{BatchMode, Params, Trainer};

use crate::common::{gradient_check, out_file, Args, Error, Report};
use crate::data::{self, Dataset};
use crate::house_prices::least_squares;
use crate::models::{self, linear_mse, FlatMlp, Mlp};

/// Coefficient of determination of predictions `pred` for targets `y`.
pub fn r2(pred: &[f64], y: &[f64]) -> f64 {
    let m = y.iter().sum::<f64>() / y.len() as f64;
    let ss_res: f64 = pred.iter().zip(y).map(|(p, t)| (p - t).powi(2)).sum();
    let ss_tot: f64 = y.iter().map(|t| (t - m).powi(2)).sum();
    1.0 - ss_res / ss_tot
}

/// Standardise the target with the training split's mean and deviation.
fn scale_y(train: &mut Dataset, test: &mut Dataset) -> (f64, f64) {
    let n = train.n as f64;
    let m = train.y.iter().sum::<f64>() / n;
    let s = (train.y.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt();
    for v in train.y.iter_mut().chain(test.y.iter_mut()) {
        *v = (*v - m) / s;
    }
    (m, s)
}

/// Run the example.
pub fn run(args: &Args) -> Result<Report, Error> {
    let mut r = Report::new("7. MLP regression vs linear regression: diabetes progression");
    let ds = data::diabetes(&args.data_dir)?;
    let (mut train, mut test) = data::split_standardized(&ds, 0.2, 42);
    let (_, y_scale) = scale_y(&mut train, &mut test);
    let d = ds.d;
    let hidden = 16;
    let mlp0 = Mlp::new(&[d, hidden, 1], 3)?;
    let p0 = mlp0.to_vec();
    let (xtr, xte) = (train.columns(), test.columns());
    let yte = DMatrix::from_row_slice(1, test.n, &test.y);
    let few: Vec<usize> = (0..16).collect();
    let mut check = FlatMlp::new(&mlp0);
    gradient_check(&mut r, "the MLP's squared error", |p: &[f64], g: &mut [f64]| {
        check.mse_grad(p, &xtr, &train.y, &few, 0.1, g)
    }, &p0)?;

    // Linear regression: closed form, and the same model by Adam.
    let exact = least_squares(&train.x, &train.y, d)?;
    let predict_lin = |w: &[f64], ds: &Dataset| -> Vec<f64> {
        (0..ds.n).map(|i| w[d] + (0..d).map(|j| w[j] * ds.row(i)[j]).sum::<f64>()).collect()
    };
    let epochs = if args.quick { 60 } else { 150 };
    let mut w = vec![0.0; d + 1];
    Trainer::new().batch(BatchMode::Full).max_epochs(1000).progress(false).fit(
        &mut Adam::new(0.02)?,
        &mut w,
        train.n,
        |w: &[f64], batch: &[usize], g: &mut [f64]| {
            linear_mse::value_and_grad_set(w, &train.x, &train.y, batch, g)
        },
    )?;

    // The MLP: 10 → 16 tanh → 1, Adam, mini-batches of 32, L2 on weights:
    // once with a weak penalty, once with a strong one.
    let train_mlp = |l2: f64| -> Result<(Mlp, gd::runtime::TrainReport), Error> {
        let mut p = p0.clone();
        let mut loss = FlatMlp::new(&mlp0);
        let mut view = FlatMlp::new(&mlp0);
        let rep = Trainer::new()
            .batch(BatchMode::MiniBatch(32))
            .max_epochs(epochs)
            .seed(0)
            .progress(args.progress)
            .validation(
                |p: &[f64]| {
                    // Held-out loss for the plot; the last epoch is kept.
                    models::mse(view.load(p), &xte, &yte, 0.0)
                },
                usize::MAX,
            )
            .fit(&mut Adam::new(3e-3)?, &mut p, train.n, |p: &[f64], batch: &[usize], g: &mut [f64]| {
                loss.mse_grad(p, &xtr, &train.y, batch, l2, g)
            })?;
        Ok((view.into_model(), rep))
    };
    let (p_weak, rep_weak) = train_mlp(0.01)?;
    let (p_strong, rep_strong) = train_mlp(0.1)?;
    let predict_mlp = |m: &Mlp, ds: &Dataset| -> Vec<f64> { m.forward(&ds.columns()).iter().copied().collect() };
    let rmse = |pred: &[f64], y: &[f64]| {
        y_scale * (pred.iter().zip(y).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / y.len() as f64).sqrt()
    };
    r.line(format!(
        "{} train / {} held-out patients, 10 standardised features, target standardised; MLPs: {epochs} epochs, mini-batches of 32:",
        train.n, test.n
    ));
    r.line(format!("  {:<36} {:>10} {:>10} {:>16}", "", "train R²", "test R²", "test RMSE"));
    let rows = [
        ("linear, least squares", predict_lin(&exact, &train), predict_lin(&exact, &test)),
        ("linear, full-batch Adam (1000 steps)", predict_lin(&w, &train), predict_lin(&w, &test)),
        ("MLP 10 → 16 tanh → 1, L2 0.01", predict_mlp(&p_weak, &train), predict_mlp(&p_weak, &test)),
        ("MLP 10 → 16 tanh → 1, L2 0.1", predict_mlp(&p_strong, &train), predict_mlp(&p_strong, &test)),
    ];
    for (k, (name, ptr, pte)) in rows.iter().enumerate() {
        let (a, b) = (r2(ptr, &train.y), r2(pte, &test.y));
        r.line(format!("  {name:<36} {a:>10.3} {b:>10.3} {:>10.1} units", rmse(pte, &test.y)));
        let key = ["linear_exact", "linear_gd", "mlp_weak_l2", "mlp"][k];
        r.metric(&format!("{key}_test_r2"), b);
        r.metric(&format!("{key}_train_r2"), a);
    }
    r.line("  442 patients are few: with a weak penalty the MLP fits the training rows better and the held-out ones");
    r.line("  worse; with a strong one it comes close to the line but does not beat it: here the relation is close to linear.");
    if let Some(path) = out_file(args, "07_diabetes_loss.svg")? {
        let tr = |h: &gd::runtime::History| h.epochs.iter().map(|e| (e.epoch as f64 + 1.0, e.loss)).collect();
        let va = |h: &gd::runtime::History| h.epochs.iter().filter_map(|e| e.val_loss.map(|v| (e.epoch as f64 + 1.0, v))).collect();
        let curves = [
            Curve::new("L2 0.01: train (with penalty)", tr(&rep_weak.history)),
            Curve::new("L2 0.01: held out", va(&rep_weak.history)),
            Curve::new("L2 0.1: train (with penalty)", tr(&rep_strong.history)),
            Curve::new("L2 0.1: held out", va(&rep_strong.history)),
        ];
        plot_curves_svg(&path, "Diabetes: MLP loss (standardised target)", "epoch", "mean squared error", &curves, false)?;
        r.file(path);
    }
    Ok(r)
}

