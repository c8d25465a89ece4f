//! An MLP classifier on the 8×8 handwritten digits (UCI optdigits, 1 797
//! images as scikit-learn ships them, `data/digits.csv`): 64 → 64 tanh → 10
//! softmax, trained with Adam on mini-batches of 32; loss and accuracy
//! curves; the learning-rate range test on the same network.
//!
//! The loss is [`crate::models::xent()`]: nalgebra matrices (one column per
//! image) over a parameter struct ([`Mlp`], `#[derive(gd::Params)]`),
//! differentiated by `#[differentiable]`. The `Trainer` steps the struct
//! itself, the batches' gradients computed on every core
//! (`Trainer::fit_params_sharded`); `lr_find` and the gradient check see its
//! flat view through [`FlatMlp`].

use gd::runtime::optim::Adam;
use gd::runtime::plot::{plot_curves_svg, Curve};
use gd::runtime::{lr_find, BatchMode, LrFindConfig, Params, Trainer};

use crate::common::{gradient_check, out_file, Args, Error, Report};
use crate::data::{self, Dataset};
use crate::models::{self, FlatMlp, Mlp};

/// Settings of a digits run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DigitsConfig {
    /// Hidden units.
    pub hidden: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Epochs.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// L2 penalty on the weights.
    pub l2: f64,
    /// Seed of the initial weights and the shuffling.
    pub seed: u64,
}

impl Default for DigitsConfig {
    fn default() -> Self {
        DigitsConfig { hidden: 64, lr: 3e-3, epochs: 30, batch: 32, l2: 1e-4, seed: 0 }
    }
}

/// What a digits run produced.
pub struct DigitsRun {
    /// The network after the last epoch.
    pub mlp: Mlp,
    /// Per epoch: `(train loss, held-out loss, train accuracy, held-out accuracy)`.
    pub curves: Vec<(f64, f64, f64, f64)>,
    /// Optimizer steps.
    pub steps: usize,
}

/// The digits split 80/20 with a fixed seed and standardised pixels.
pub fn load(args: &Args) -> Result<(Dataset, Dataset), Error> {
    let ds = data::digits(&args.data_dir)?;
    Ok(data::split_standardized(&ds, 0.2, 42))
}

/// Train the MLP on `train`, measuring `test` after each epoch.
pub fn train(train: &Dataset, test: &Dataset, cfg: DigitsConfig, progress: bool) -> Result<DigitsRun, Error> {
    let mut mlp = Mlp::new(&[train.d, cfg.hidden, 10], cfg.seed)?;
    let (xtr, xte) = (train.columns(), test.columns());
    let (ytr, yte) = (train.labels(), test.labels());
    let mut view = FlatMlp::new(&mlp);
    let mut opt = Adam::new(cfg.lr)?;
    let mut curves = Vec::new();
    let rep = Trainer::new()
        .batch(BatchMode::MiniBatch(cfg.batch))
        .max_epochs(cfg.epochs)
        .seed(cfg.seed)
        .progress(progress)
        .validation(
            |p: &[f64]| {
                // Held-out numbers for the curves only: the run keeps the
                // last epoch's parameters, the test set picks nothing.
                let last = view.load(p);
                let lte = models::xent(last, &xte, &yte, 0.0);
                let ltr = models::xent(last, &xtr, &ytr, 0.0);
                curves.push((ltr, lte, last.accuracy(&xtr, &ytr), last.accuracy(&xte, &yte)));
                lte
            },
            usize::MAX,
        )
        // On every core: each shard of a batch gathers its columns and runs
        // the generated gradient into its own buffer. Batches of 32 are
        // under twice the default minimum shard and stay whole (two shards
        // of 16 were slower than one on 2 cores); larger ones are split.
        .fit_params_sharded(&mut opt, &mut mlp, train.n, |p: &Mlp, shard: &[usize], g: &mut Mlp| {
            models::xent_columns(p, &xtr, &ytr, shard, cfg.l2, g)
        })?;
    Ok(DigitsRun { mlp, curves, steps: rep.steps })
}

/// The gradient check both digits examples start with: the generated
/// gradient of [`models::xent()`] on 2 training images, through the flat view,
/// against central differences at a network initialised from `seed`.
fn check_xent(r: &mut Report, train: &Dataset, cfg: DigitsConfig, seed: u64) -> Result<(), Error> {
    let mlp = Mlp::new(&[train.d, cfg.hidden, 10], seed)?;
    let (x, y) = (train.columns(), train.labels());
    let mut loss = FlatMlp::new(&mlp);
    gradient_check(r, "the MLP's cross-entropy on 2 images", |p: &[f64], g: &mut [f64]| {
        loss.xent_grad(p, &x, &y, &[0, 1], cfg.l2, g)
    }, &mlp.to_vec())
}

/// Run the example.
pub fn run(args: &Args) -> Result<Report, Error> {
    let mut r = Report::new("6b. MLP classifier: 8×8 handwritten digits");
    let (train_set, test_set) = load(args)?;
    let cfg = if args.quick { DigitsConfig { epochs: 8, ..DigitsConfig::default() } } else { DigitsConfig::default() };
    check_xent(&mut r, &train_set, cfg, 1)?;
    let t = std::time::Instant::now();
    let run = train(&train_set, &test_set, cfg, args.progress)?;
    let secs = t.elapsed().as_secs_f64();
    let (_, _, acc_tr, acc_te) = run.curves.last().copied().unwrap_or((f64::NAN, f64::NAN, f64::NAN, f64::NAN));
    r.line(format!(
        "{} train / {} held-out images; 64 → {} tanh → 10 softmax ({} parameters); Adam lr {}, mini-batches of {}, {} epochs ({} steps, {secs:.1} s):",
        train_set.n,
        test_set.n,
        cfg.hidden,
        run.mlp.num_params(),
        cfg.lr,
        cfg.batch,
        cfg.epochs,
        run.steps
    ));
    r.line(format!(
        "  train accuracy {:.1} %, held-out accuracy {:.1} % ({} of {} right)",
        100.0 * acc_tr,
        100.0 * acc_te,
        (acc_te * test_set.n as f64).round(),
        test_set.n
    ));
    r.metric("train_accuracy", acc_tr);
    r.metric("test_accuracy", acc_te);
    if let Some(path) = out_file(args, "06_digits_loss.svg")? {
        let ep = |k: usize| k as f64 + 1.0;
        let curves = [
            Curve::new("train", run.curves.iter().enumerate().map(|(k, c)| (ep(k), c.0)).collect()),
            Curve::new("held out", run.curves.iter().enumerate().map(|(k, c)| (ep(k), c.1)).collect()),
        ];
        plot_curves_svg(&path, "Digits MLP: cross-entropy", "epoch", "loss", &curves, true)?;
        r.file(path);
    }
    if let Some(path) = out_file(args, "06_digits_accuracy.svg")? {
        let ep = |k: usize| k as f64 + 1.0;
        let curves = [
            Curve::new("train", run.curves.iter().enumerate().map(|(k, c)| (ep(k), 100.0 * c.2)).collect()),
            Curve::new("held out", run.curves.iter().enumerate().map(|(k, c)| (ep(k), 100.0 * c.3)).collect()),
        ];
        plot_curves_svg(&path, "Digits MLP: accuracy", "epoch", "accuracy (%)", &curves, false)?;
        r.file(path);
    }
    Ok(r)
}

/// The LR range test (`gd::runtime::lr_find`) on the digits MLP: Adam,
/// mini-batches of 32, rates from 1e-5 to 10; then a short training at the
/// suggested rate and at a tenth of it.
pub fn run_lr_find(args: &Args) -> Result<Report, Error> {
    let mut r = Report::new("9. Learning-rate finder on the digits MLP");
    let (train_set, test_set) = load(args)?;
    let cfg = DigitsConfig::default();
    check_xent(&mut r, &train_set, cfg, cfg.seed)?;
    let mlp = Mlp::new(&[train_set.d, cfg.hidden, 10], cfg.seed)?;
    let (xtr, ytr) = (train_set.columns(), train_set.labels());
    let mut p = mlp.to_vec();
    let mut loss = FlatMlp::new(&mlp);
    let lf = LrFindConfig {
        start_lr: 1e-5,
        end_lr: 10.0,
        num_iter: if args.quick { 60 } else { 120 },
        batch: BatchMode::MiniBatch(32),
        ..LrFindConfig::default()
    };
    let rep = lr_find(&Adam::default(), &mut p, train_set.n, |p: &[f64], batch: &[usize], g: &mut [f64]| {
        loss.xent_grad(p, &xtr, &ytr, batch, cfg.l2, g)
    }, lf)?;
    let sugg = rep.suggestion.ok_or_else(|| Error::Claim("lr_find gave no suggestion (too few points)".into()))?;
    r.line(format!(
        "Adam, rates 1e-5 → 10 over {} mini-batches: {} after {} rates; steepest descent of the smoothed loss at lr {:.2e}",
        lf.num_iter,
        if rep.diverged { "loss blew up" } else { "no blow-up" },
        rep.lrs.len(),
        sugg
    ));
    r.metric("suggested_lr", sugg);
    let epochs = if args.quick { 3 } else { 10 };
    for (name, lr) in [("suggested", sugg), ("suggested / 10", sugg / 10.0)] {
        let res = train(&train_set, &test_set, DigitsConfig { lr, epochs, ..cfg }, false);
        match res {
            Ok(run) => {
                let acc = run.curves.last().map_or(f64::NAN, |c| c.3);
                r.line(format!("  {epochs} epochs at the {name} rate {lr:.2e}: held-out accuracy {:.1} %", 100.0 * acc));
                r.metric(if lr == sugg { "acc_at_suggested" } else { "acc_at_tenth" }, acc);
            }
            Err(e) => r.line(format!("  {epochs} epochs at the {name} rate {lr:.2e}: {e}")),
        }
    }
    if let Some(path) = out_file(args, "09_lr_finder.svg")? {
        let pts: Vec<(f64, f64)> = rep.lrs.iter().zip(&rep.losses).map(|(l, v)| (l.log10(), *v)).collect();
        let (lo, hi) = rep.losses.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let curves = [
            Curve::new("smoothed loss", pts),
            Curve::new(&format!("suggested lr {sugg:.1e}"), vec![(sugg.log10(), lo), (sugg.log10(), hi)]),
        ];
        plot_curves_svg(&path, "LR range test (Adam, digits MLP)", "log10(learning rate)", "loss", &curves, false)?;
        r.file(path);
    }
    Ok(r)
}
