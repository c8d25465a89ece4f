//! LR range test, initialisers, and the CSV/SVG writers.

use std::cell::Cell;

use gd_runtime::init::{he_normal, he_uniform, seeded, xavier_normal, xavier_uniform};
use gd_runtime::optim::{Adam, Optimizer, Sgd};
use gd_runtime::plot::{curves_csv, plot_curves_svg, plot_curves_svg_string, write_curves_csv, Curve};
use gd_runtime::{lr_find, BatchMode, GdError, LrFindConfig, Trainer};

fn quad(p: &[f64], _: &[usize], g: &mut [f64]) -> f64 {
    g[0] = 2.0 * p[0];
    g[1] = 20.0 * p[1];
    p[0] * p[0] + 10.0 * p[1] * p[1]
}

#[test]
fn lr_find_sweeps_exponentially_restores_and_suggests() {
    let mut p = [3.0, -1.0];
    let opt = Sgd::new(0.123).unwrap();
    let r = lr_find(&opt, &mut p, 1, quad, LrFindConfig::default()).unwrap();
    // Parameters and optimizer untouched.
    assert_eq!(p, [3.0, -1.0]);
    assert_eq!(opt.lr(), 0.123);
    // lrᵢ = 1e-7 · 1e8^(i/99).
    assert_eq!(r.lrs[0], 1e-7);
    for (i, lr) in r.lrs.iter().enumerate() {
        assert!((lr / (1e-7 * 1e8f64.powf(i as f64 / 99.0)) - 1.0).abs() < 1e-12);
    }
    // GD on this quadratic diverges for lr > 0.1 (|1 − 20 lr| > 1): the sweep
    // stops there, and the suggestion is below it.
    assert!(r.diverged);
    assert!(*r.lrs.last().unwrap() > 0.1);
    let s = r.suggestion.unwrap();
    assert!(s > 1e-4 && s < 0.1, "suggestion {s}");
    assert_eq!(r.losses.len(), r.lrs.len());
    assert_eq!(r.raw_losses[0], 19.0);
}

#[test]
fn lr_find_smoothing_and_suggestion_follow_torch_lr_finder() {
    // A scripted loss sequence (ignores the parameters).
    let script = [10.0, 9.0, 8.0, 5.0, 4.9, 4.8, 4.7, 100.0, 1.0];
    let k = Cell::new(0);
    let scripted = |_: &[f64], _: &[usize], g: &mut [f64]| {
        g[0] = 1.0;
        let v = script[k.get()];
        k.set(k.get() + 1);
        v
    };
    let cfg = LrFindConfig { num_iter: 9, smooth: 0.0, skip_start: 0, skip_end: 0, start_lr: 1e-3, end_lr: 1e5, ..Default::default() };
    let r = lr_find(&Sgd::default(), &mut [0.0], 1, scripted, cfg).unwrap();
    // 100 > 5 × best (4.7): recorded, then the sweep stops.
    assert!(r.diverged);
    assert_eq!(r.losses, script[..8]);
    // numpy.gradient of [10, 9, 8, 5, 4.9, 4.8, 4.7, 100]:
    // [-1, -1, -2, -1.55, -0.1, -0.1, 47.6, 95.3] → argmin at index 2.
    assert_eq!(r.suggestion, Some(r.lrs[2]));
    assert!((r.lrs[2] - 0.1).abs() < 1e-12);

    // With smoothing 0.5: s = 0.5·l + 0.5·s_prev.
    k.set(0);
    let cfg = LrFindConfig { smooth: 0.5, ..cfg };
    let r = lr_find(&Sgd::default(), &mut [0.0], 1, scripted, cfg).unwrap();
    assert_eq!(r.losses[..3], [10.0, 9.5, 8.75]);
}

#[test]
fn lr_find_bad_config() {
    let bad = |cfg: LrFindConfig| lr_find(&Adam::default(), &mut [0.0, 0.0], 1, quad, cfg).unwrap_err();
    assert!(matches!(bad(LrFindConfig { start_lr: 0.0, ..Default::default() }), GdError::BadHyperparameter { .. }));
    assert!(matches!(bad(LrFindConfig { end_lr: 1e-8, ..Default::default() }), GdError::BadHyperparameter { .. }));
    assert!(matches!(bad(LrFindConfig { num_iter: 1, ..Default::default() }), GdError::BadHyperparameter { .. }));
    assert!(matches!(bad(LrFindConfig { batch: BatchMode::MiniBatch(0), ..Default::default() }), GdError::ZeroBatchSize { .. }));
    assert!(matches!(lr_find(&Adam::default(), &mut [0.0], 0, quad, LrFindConfig::default()), Err(GdError::EmptyDataset)));
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n)
}

#[test]
fn initialisers_have_the_torch_variances() {
    let n = 200_000;
    let mut w = vec![0.0; n];
    // Xavier uniform: U(−a, a), a = √(6/(fan_in+fan_out)), variance a²/3.
    xavier_uniform(&mut w, 30, 20, 1.0, &mut seeded(1)).unwrap();
    let a = (6.0f64 / 50.0).sqrt();
    assert!(w.iter().all(|x| x.abs() <= a));
    let (m, v) = mean_var(&w);
    assert!(m.abs() < 0.01 * a && (v / (a * a / 3.0) - 1.0).abs() < 0.02, "{m} {v}");
    // Xavier normal: σ² = 2/(fan_in+fan_out).
    xavier_normal(&mut w, 30, 20, 2.0, &mut seeded(2)).unwrap();
    let (m, v) = mean_var(&w);
    assert!(m.abs() < 0.01 && (v / (4.0 * 2.0 / 50.0) - 1.0).abs() < 0.02, "{m} {v}");
    // He uniform: bound √(6/fan_in), variance 2/fan_in.
    he_uniform(&mut w, 64, &mut seeded(3)).unwrap();
    assert!(w.iter().all(|x| x.abs() <= (6.0f64 / 64.0).sqrt()));
    let (_, v) = mean_var(&w);
    assert!((v / (2.0 / 64.0) - 1.0).abs() < 0.02, "{v}");
    // He normal: σ² = 2/fan_in; about 68.3 % within one σ.
    he_normal(&mut w, 64, &mut seeded(4)).unwrap();
    let (_, v) = mean_var(&w);
    assert!((v / (2.0 / 64.0) - 1.0).abs() < 0.02, "{v}");
    let sd = (2.0f64 / 64.0).sqrt();
    let within = w.iter().filter(|x| x.abs() < sd).count() as f64 / n as f64;
    assert!((within - 0.6827).abs() < 0.01, "{within}");
    // Seeded: reproducible; odd lengths filled.
    let (mut a1, mut a2) = (vec![0.0; 7], vec![0.0; 7]);
    he_normal(&mut a1, 3, &mut seeded(9)).unwrap();
    he_normal(&mut a2, 3, &mut seeded(9)).unwrap();
    assert_eq!(a1, a2);
    assert!(a1.iter().all(|x| *x != 0.0));
    assert!(matches!(xavier_uniform(&mut a1, 0, 3, 1.0, &mut seeded(0)), Err(GdError::BadHyperparameter { .. })));
    assert!(he_normal(&mut a1, 0, &mut seeded(0)).is_err());
    // A gain so large that the bound overflows is an error, not a panic.
    assert!(xavier_uniform(&mut a1, 1, 1, 1e308, &mut seeded(0)).is_err());
}

#[test]
fn csv_and_svg_writers() {
    let curves = vec![
        Curve::from_values("lr 0.01", &[5.0, 4.0, 3.5, 3.2]),
        Curve::from_values("lr 0.1", &[5.0, 2.0, 0.5, f64::NAN, 0.1]),
    ];
    let csv = curves_csv(&curves);
    assert_eq!(csv.lines().count(), 1 + 4 + 5);
    assert!(csv.contains("lr 0.1,1e0,2e0"));
    let svg = plot_curves_svg_string("Loss", "step", "loss", &curves, true).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("lr 0.01") && svg.contains("lr 0.1") && svg.contains("Loss"));
    assert!(svg.matches("<polyline").count() >= 2, "one polyline per curve");
    // Non-positive values fall back to a linear axis; empty input still draws.
    plot_curves_svg_string("t", "x", "y", &[Curve::from_values("c", &[-1.0, 0.0, 2.0])], true).unwrap();
    plot_curves_svg_string("t", "x", "y", &[], false).unwrap();
    let huge = Curve::new("huge", vec![(0.0, -1e308), (1.0, 1e308)]);
    assert!(matches!(plot_curves_svg_string("t", "x", "y", &[huge], false), Err(GdError::Plot(_))));

    let dir = std::env::temp_dir().join(format!("gd-runtime-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("curves.svg");
    plot_curves_svg(&path, "Loss", "step", "loss", &curves, false).unwrap();
    assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
    write_curves_csv(dir.join("c.csv"), &curves).unwrap();
    assert_eq!(std::fs::read_to_string(dir.join("c.csv")).unwrap(), csv);

    // A training history straight to SVG/CSV.
    let r = Trainer::new().max_epochs(20).fit(&mut Sgd::new(0.05).unwrap(), &mut [3.0, -1.0], 1, quad).unwrap();
    r.history.plot_loss_svg(dir.join("loss.svg"), "quad").unwrap();
    r.history.write_steps_csv(dir.join("steps.csv")).unwrap();
    assert_eq!(std::fs::read_to_string(dir.join("steps.csv")).unwrap().lines().count(), 21);
    // Unwritable path: typed I/O error naming the path.
    let err = plot_curves_svg(dir.join("no/such/dir.svg"), "t", "x", "y", &curves, false).unwrap_err();
    assert!(matches!(&err, GdError::Io { path, .. } if path.contains("no/such")), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
