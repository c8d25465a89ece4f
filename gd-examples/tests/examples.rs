//! One fast test per example, asserting the claim it demonstrates (run with
//! `--quick`-sized settings and no plots), plus bad input.

use gd::runtime::GdError;
use gd_examples::common::{gradient_check, parse_args, Args, Error, Parsed, Report};
use gd_examples::*;

fn quick() -> Args {
    Args { quick: true, plots: false, progress: false, ..Args::default() }
}

fn metric(r: &Report, name: &str) -> f64 {
    r.get(name).unwrap_or_else(|| panic!("no metric {name} in\n{r}"))
}

#[test]
fn house_prices_reproduces_the_seeds_fit() {
    let r = house_prices::run(&quick()).unwrap();
    // The seeds: w = b = 0, lr 0.01, 1000 epochs on y = 2x, x = 1..5.
    assert!((metric(&r, "w") - 1.99518).abs() < 5e-6, "{r}");
    assert!((metric(&r, "b") - 0.01740).abs() < 5e-6, "{r}");
    // Gradient descent on standardised data lands on the least-squares slope.
    let (gd, exact) = (metric(&r, "price_per_m2"), metric(&r, "price_per_m2_exact"));
    assert!((gd - exact).abs() < 1e-3 * exact, "{gd} vs {exact}");
    assert!(metric(&r, "gradcheck_max_abs_err") < 1e-6);
}

#[test]
fn learning_rate_point_three_diverges_with_the_typed_error() {
    let run = learning_rates::descend(0.3, 100).unwrap();
    match run.result {
        Err(GdError::Divergence { step, .. }) => assert!(step > 5 && step < 100, "step {step}"),
        other => panic!("expected divergence, got {other:?}"),
    }
    let ok = learning_rates::descend(0.1, 100).unwrap();
    assert!(ok.result.is_ok() && *ok.losses.last().unwrap() < 1e-12);
    let slow = learning_rates::descend(0.01, 100).unwrap();
    assert!(slow.result.is_ok() && *slow.losses.last().unwrap() > 0.1);
    let r = learning_rates::run(&quick()).unwrap();
    assert_eq!(metric(&r, "lr_0.3_diverged"), 1.0);
    assert_eq!(metric(&r, "lr_0.1_diverged"), 0.0);
}

#[test]
fn sgd_reaches_the_basin_on_fewer_sample_gradients() {
    let r = batch_modes::run(&quick()).unwrap();
    let (b, m, s) = (metric(&r, "batch_evals_to_target"), metric(&r, "minibatch_evals_to_target"), metric(&r, "sgd_evals_to_target"));
    assert!(s < m && m < b, "{s} {m} {b}\n{r}");
    // ... but the full batch ends closest to the minimum.
    assert!(metric(&r, "batch_final_excess") < metric(&r, "sgd_final_excess"));
}

#[test]
fn lbfgs_and_newton_reach_1e_minus_8_on_rosenbrock() {
    let l = rosenbrock_race::lbfgs(200).unwrap();
    assert!(l.value < 1e-8 && l.steps.is_some_and(|s| s < 100), "{l:?}");
    let n = rosenbrock_race::newton(200).unwrap();
    assert!(n.value < 1e-8 && n.steps.is_some_and(|s| s < 50), "{n:?}");
    assert!(n.hessians > 0);
    let cg = rosenbrock_race::newton_cg(200).unwrap();
    assert!(cg.value < 1e-8 && cg.steps.is_some(), "{cg:?}");
    let r = rosenbrock_race::run(&quick()).unwrap();
    // Every first-order method but RMSprop finishes within the cap; the
    // quasi-Newton and Newton methods need far fewer steps than any of them.
    for k in ["gd", "momentum", "nesterov", "adam"] {
        assert!(metric(&r, &format!("{k}_steps")) > metric(&r, "l-bfgs_steps"), "{k}\n{r}");
    }
    assert!(metric(&r, "rmsprop_steps").is_nan());
}

#[test]
fn double_well_descent_stays_in_its_own_well() {
    let r = local_minima::run(&quick()).unwrap();
    assert!((metric(&r, "gd_from_3") - 1.9343).abs() < 1e-3, "{r}");
    assert!((metric(&r, "gd_from_-3") + 2.0598).abs() < 1e-3, "{r}");
    assert!(metric(&r, "momentum_from_3") < -2.0, "{r}");
    assert!(metric(&r, "saddle_stuck_f").abs() < 1e-12);
    assert!(metric(&r, "saddle_nudged_f") < -1.0);
}

#[test]
fn logistic_regression_on_breast_cancer_generalises() {
    let r = breast_cancer::run(&quick()).unwrap();
    assert!(metric(&r, "test_accuracy") >= 0.95, "{r}");
}

#[test]
fn digits_mlp_learns_in_a_few_epochs() {
    let r = digits::run(&quick()).unwrap();
    assert!(metric(&r, "test_accuracy") >= 0.90, "{r}");
}

/// The full run's claim: ≥ 96 % held-out accuracy (30 epochs; a few
/// seconds at the test profile's opt-level 1).
#[test]
fn digits_mlp_reaches_96_percent() {
    let r = digits::run(&Args { quick: false, ..quick() }).unwrap();
    assert!(metric(&r, "test_accuracy") >= 0.96, "{r}");
}

#[test]
fn diabetes_linear_gd_matches_least_squares_and_mlp_is_comparable() {
    let r = diabetes::run(&quick()).unwrap();
    assert!((metric(&r, "linear_gd_test_r2") - metric(&r, "linear_exact_test_r2")).abs() < 0.01, "{r}");
    assert!(metric(&r, "mlp_test_r2") > 0.4, "{r}");
}

#[test]
fn sigmoid_gradients_vanish_with_depth() {
    let r = vanishing::run(&quick()).unwrap();
    let f = metric(&r, "per_layer_factor");
    assert!(f > 0.1 && f < 0.3, "{r}");
    assert!(metric(&r, "depth8_first_over_last") < 1e-3);
    assert!(metric(&r, "depth2_first_over_last") > metric(&r, "depth8_first_over_last"));
    assert!(metric(&r, "per_layer_factor_scale4") > f);
}

#[test]
fn lr_finder_suggests_a_sane_rate() {
    let r = digits::run_lr_find(&quick()).unwrap();
    let lr = metric(&r, "suggested_lr");
    assert!(lr > 1e-4 && lr < 1.0, "{r}");
}

#[test]
fn a_wrong_gradient_fails_the_check() {
    let mut r = Report::new("t");
    let err = gradient_check(&mut r, "x²", |x: &[f64], g: &mut [f64]| {
        g[0] = 3.0 * x[0]; // should be 2x
        x[0] * x[0]
    }, &[1.0])
    .unwrap_err();
    assert!(matches!(err, Error::Gd(GdError::GradientCheck { .. })), "{err}");
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("gd-examples-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn missing_and_malformed_data_name_the_file_and_line() {
    let dir = temp_dir("data");
    let err = data::digits(&dir).unwrap_err();
    assert!(err.to_string().contains("digits.csv"), "{err}");
    let good = (0..65).map(|_| "1").collect::<Vec<_>>().join(",");
    let bad = (0..65).map(|i| if i == 3 { "x1" } else { "1" }).collect::<Vec<_>>().join(",");
    std::fs::write(dir.join("digits.csv"), format!("{good}\n{good}\n{bad}\n")).unwrap();
    let err = data::digits(&dir).unwrap_err();
    match &err {
        Error::Data { file, line, message } => {
            assert!(file.ends_with("digits.csv"));
            assert_eq!(*line, 3);
            assert!(message.contains("field 4"), "{message}");
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("digits.csv:3:"), "{err}");
    std::fs::write(dir.join("breast_cancer.csv"), "569,30,malignant,benign\n1,2,3\n").unwrap();
    let err = data::breast_cancer(&dir).unwrap_err();
    assert!(err.to_string().contains("breast_cancer.csv:2: expected 31 fields, found 3"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    // The example reports it as an error, not a panic.
    let err = breast_cancer::run(&Args { data_dir: dir, ..quick() }).unwrap_err();
    assert!(matches!(err, Error::Data { .. }));
}

#[test]
fn flags_are_parsed_and_bad_ones_are_usage_errors() {
    let p = |v: &[&str]| parse_args(v.iter().map(|s| s.to_string()));
    assert_eq!(p(&["--help"]).unwrap(), Parsed::Help);
    match p(&["--quick", "--out=/tmp/x", "--no-plots"]).unwrap() {
        Parsed::Run(a) => {
            assert!(a.quick && !a.plots);
            assert_eq!(a.out_dir, std::path::PathBuf::from("/tmp/x"));
        }
        Parsed::Help => panic!(),
    }
    for bad in [&["--bogus"][..], &["--out"], &["--data", "--quick"], &["extra"]] {
        assert!(matches!(p(bad), Err(Error::Usage(_))), "{bad:?}");
    }
}

#[test]
fn the_tour_binary_exits_2_with_usage_on_a_bad_flag() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gd-examples")).arg("--frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown argument `--frobnicate`") && err.contains("usage:"), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gd-examples")).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn the_quick_tour_runs_end_to_end() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gd-examples"))
        .args(["--quick", "--no-plots", "--no-progress"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("tour done") && !text.contains("FAILED"), "{text}");
    assert_eq!(text.matches("gradient check of").count(), EXAMPLES.len(), "{text}");
}

/// The digits loss is written over a parameter struct with a `Vec` of
/// layers: check it beyond one hidden layer, through the flat view the
/// runtime uses, and its value against the plain forward pass.
#[test]
fn struct_mlp_loss_matches_forward_and_central_differences() {
    use gd::nalgebra::DMatrix;
    use gd::runtime::Params;
    use gd_examples::models::{self, FlatMlp, Mlp};
    let mut mlp = Mlp::new(&[5, 4, 3, 3], 7).unwrap();
    for (l, layer) in mlp.layers.iter_mut().enumerate() {
        layer.b = layer.b.map(|_| 0.1 * l as f64 - 0.05); // non-zero biases
    }
    let x = DMatrix::from_fn(5, 6, |i, j| ((i * 3 + j * 5) % 7) as f64 * 0.3 - 0.9);
    let labels = [0, 2, 1, 1, 0, 2];
    let logits = mlp.forward(&x);
    let hand: f64 = logits
        .column_iter()
        .zip(&labels)
        .map(|(c, &y)| c.map(|v| v.exp()).sum().ln() - c[y])
        .sum::<f64>()
        / 6.0
        + 0.5 * 0.01 * mlp.layers.iter().map(|l| l.w.norm_squared()).sum::<f64>();
    assert!((models::xent(&mlp, &x, &labels, 0.01) - hand).abs() < 1e-12);
    let mut loss = FlatMlp::new(&mlp);
    let mut r = Report::new("t");
    gradient_check(&mut r, "xent, 2 hidden layers", |p: &[f64], g: &mut [f64]| {
        loss.xent_grad(p, &x, &labels, &[4, 1, 5], 0.01, g)
    }, &mlp.to_vec())
    .unwrap();
    let y = [0.5, -1.0, 0.25, 2.0, 0.0, 1.0];
    let mut one = Mlp::new(&[5, 4, 1], 8).unwrap();
    one.layers[1].b[0] = 0.3;
    let mut loss = FlatMlp::new(&one);
    gradient_check(&mut r, "mse", |p: &[f64], g: &mut [f64]| loss.mse_grad(p, &x, &y, &[0, 2, 3, 5], 0.1, g), &one.to_vec())
        .unwrap();
}
