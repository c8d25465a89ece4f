//! Logistic regression on the UCI breast-cancer Wisconsin diagnostic data
//! (569 × 30, shipped in `data/breast_cancer.csv`): features standardised
//! with the training split's statistics, a fixed-seed 80/20 split, Adam on
//! mini-batches of 32, held-out accuracy.

use gd::runtime::optim::Adam;
use gd::runtime::plot::{plot_curves_svg, Curve};
use gd::runtime::{BatchMode, Trainer};

use crate::common::{gradient_check, out_file, Args, Error, Report};
use crate::data::{self, Dataset};
use crate::models::logistic_loss;

/// Fraction of rows whose predicted class (`w·x + b > 0` ⇒ benign) is right.
pub fn accuracy(w: &[f64], ds: &Dataset) -> f64 {
    let d = ds.d;
    let hits = (0..ds.n)
        .filter(|&i| {
            let z = w[d] + (0..d).map(|j| w[j] * ds.row(i)[j]).sum::<f64>();
            (z > 0.0) == (ds.y[i] > 0.5)
        })
        .count();
    hits as f64 / ds.n as f64
}

/// Run the example.
pub fn run(args: &Args) -> Result<Report, Error> {
    let mut r = Report::new("6a. Logistic regression: breast cancer (UCI Wisconsin diagnostic)");
    let ds = data::breast_cancer(&args.data_dir)?;
    let (train, test) = data::split_standardized(&ds, 0.2, 42);
    let l2 = 1e-3;
    let d = ds.d;
    let first: Vec<usize> = (0..train.n.min(64)).collect();
    let w0: Vec<f64> = (0..=d).map(|j| 0.05 * ((j * 7 % 11) as f64 - 5.0)).collect();
    gradient_check(&mut r, "the logistic loss", |w: &[f64], g: &mut [f64]| {
        logistic_loss::value_and_grad_set(w, &train.x, &train.y, &first, l2, g)
    }, &w0)?;
    let mut w = vec![0.0; d + 1];
    let mut opt = Adam::new(0.01)?;
    let epochs = if args.quick { 20 } else { 60 };
    let all_test: Vec<usize> = (0..test.n).collect();
    // The validation closure records the held-out loss each epoch and keeps
    // the last epoch's parameters: the trainer hands back the parameters of
    // the best held-out loss, which would let the test set pick the model.
    let mut w_last = w.clone();
    let rep = Trainer::new()
        .batch(BatchMode::MiniBatch(32))
        .max_epochs(epochs)
        .seed(0)
        .progress(args.progress)
        .validation(
            |w: &[f64]| {
                w_last.copy_from_slice(w);
                logistic_loss(w, &test.x, &test.y, &all_test, 0.0)
            },
            usize::MAX,
        )
        .fit(&mut opt, &mut w, train.n, |w: &[f64], batch: &[usize], g: &mut [f64]| {
            logistic_loss::value_and_grad_set(w, &train.x, &train.y, batch, l2, g)
        })?;
    let (acc_tr, acc_te) = (accuracy(&w_last, &train), accuracy(&w_last, &test));
    r.line(format!(
        "{} train / {} held-out rows, 30 standardised features; Adam lr 0.01, mini-batches of 32, {epochs} epochs, L2 {l2}:",
        train.n, test.n
    ));
    r.line(format!("  train accuracy {:.1} %, held-out accuracy {:.1} % ({} of {} right)", 100.0 * acc_tr, 100.0 * acc_te, (acc_te * test.n as f64).round(), test.n));
    r.metric("train_accuracy", acc_tr);
    r.metric("test_accuracy", acc_te);
    if let Some(path) = out_file(args, "06_breast_cancer_loss.svg")? {
        let h = &rep.history;
        let curves = [
            Curve::new("train (epoch mean)", h.epochs.iter().map(|e| (e.epoch as f64 + 1.0, e.loss)).collect()),
            Curve::new("held out", h.epochs.iter().filter_map(|e| e.val_loss.map(|v| (e.epoch as f64 + 1.0, v))).collect()),
        ];
        plot_curves_svg(&path, "Breast cancer: logistic loss", "epoch", "loss", &curves, true)?;
        r.file(path);
    }
    Ok(r)
}
