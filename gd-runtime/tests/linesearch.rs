//! Line searches: the Moré–Thuente paper's test functions (strong Wolfe
//! checked independently here), NaN/Inf handling, budgets, typed errors.

use gd_runtime::linesearch::{Backtracking, LineSearch, LineSearchFailure, MoreThuente};
use gd_runtime::GdError;

/// Run a 1-D search on φ from α = 0 along d = +1.
fn search1<L: LineSearch>(
    ls: &L,
    phi: impl Fn(f64) -> (f64, f64),
    step: f64,
) -> (Result<gd_runtime::linesearch::LineSearchOutcome, GdError>, usize) {
    let mut calls = 0;
    let mut obj = |x: &[f64], g: &mut [f64]| {
        calls += 1;
        let (f, d) = phi(x[0]);
        g[0] = d;
        f
    };
    let (f0, g0) = phi(0.0);
    let (mut xn, mut gn) = ([0.0], [0.0]);
    let r = ls.search(&mut obj, &[0.0], f0, &[g0], &[1.0], step, &mut xn, &mut gn);
    if let Ok(o) = &r {
        assert_eq!(xn[0], o.step, "x_new holds the accepted point");
        assert_eq!(gn[0], o.dg, "g_new holds its gradient");
    }
    (r, calls)
}

/// Strong Wolfe conditions, evaluated by the test itself.
fn assert_strong_wolfe(phi: impl Fn(f64) -> (f64, f64), a: f64, c1: f64, c2: f64) {
    let (f0, g0) = phi(0.0);
    let (f, g) = phi(a);
    assert!(f <= f0 + c1 * a * g0, "sufficient decrease fails at {a}: {f} > {}", f0 + c1 * a * g0);
    assert!(g.abs() <= c2 * g0.abs(), "curvature fails at {a}: |{g}| > {}", c2 * g0.abs());
}

// Moré & Thuente (1994), Section 5.
fn mt1(a: f64) -> (f64, f64) {
    let b = 2.0;
    (-a / (a * a + b), (a * a - b) / (a * a + b).powi(2))
}
fn mt2(a: f64) -> (f64, f64) {
    let t = a + 0.004;
    (t.powi(5) - 2.0 * t.powi(4), 5.0 * t.powi(4) - 8.0 * t.powi(3))
}
fn mt3(a: f64) -> (f64, f64) {
    let (b, l) = (0.01, 39.0);
    let pi = std::f64::consts::PI;
    let (p0, d0) = if a <= 1.0 - b {
        (1.0 - a, -1.0)
    } else if a >= 1.0 + b {
        (a - 1.0, 1.0)
    } else {
        ((a - 1.0).powi(2) / (2.0 * b) + b / 2.0, (a - 1.0) / b)
    };
    let k = 2.0 * (1.0 - b) / (l * pi);
    (p0 + k * (l * pi * a / 2.0).sin(), d0 + k * (l * pi / 2.0) * (l * pi * a / 2.0).cos())
}
fn mt456(b1: f64, b2: f64) -> impl Fn(f64) -> (f64, f64) {
    let gam = |b: f64| (1.0 + b * b).sqrt() - b;
    let (g1, g2) = (gam(b1), gam(b2));
    move |a: f64| {
        let r1 = ((1.0 - a).powi(2) + b2 * b2).sqrt();
        let r2 = (a * a + b1 * b1).sqrt();
        (g1 * r1 + g2 * r2, -g1 * (1.0 - a) / r1 + g2 * a / r2)
    }
}

#[test]
fn more_thuente_paper_functions_satisfy_strong_wolfe() {
    // (function, c1, c2, evaluations published in the paper's Tables 1–6
    // for α0 = 1e-3, 1e-1, 1e1, 1e3).
    type Phi = Box<dyn Fn(f64) -> (f64, f64)>;
    let cases: Vec<(Phi, f64, f64, [usize; 4])> = vec![
        (Box::new(mt1), 1e-3, 0.1, [6, 3, 1, 4]),
        (Box::new(mt2), 0.1, 0.1, [12, 8, 8, 11]),
        (Box::new(mt3), 0.1, 0.1, [12, 12, 10, 13]),
        (Box::new(mt456(0.001, 0.001)), 1e-3, 1e-3, [4, 1, 3, 4]),
        (Box::new(mt456(0.01, 0.001)), 1e-3, 1e-3, [6, 3, 7, 8]),
        (Box::new(mt456(0.001, 0.01)), 1e-3, 1e-3, [13, 11, 8, 11]),
    ];
    for (k, (phi, c1, c2, published)) in cases.iter().enumerate() {
        let ls = MoreThuente::new().with_wolfe(*c1, *c2).unwrap();
        for (j, a0) in [1e-3, 1e-1, 1e1, 1e3].into_iter().enumerate() {
            let (r, calls) = search1(&ls, phi, a0);
            let o = r.unwrap_or_else(|e| panic!("function {} from {a0}: {e}", k + 1));
            eprintln!("function {} a0={a0:e}: nfev {} a={:.3} dphi={:.1e}", k + 1, o.evaluations, o.step, o.dg);
            assert_eq!(o.evaluations, calls);
            assert_eq!(o.evaluations, published[j], "function {} from {a0}: evaluations", k + 1);
            assert_strong_wolfe(phi, o.step, *c1, *c2);
        }
    }
}

#[test]
fn more_thuente_paper_function1_steps() {
    // Table 1 of the paper: α* ≈ 1.4, 1.4, 10, 37 (to the digits printed).
    let ls = MoreThuente::new().with_wolfe(1e-3, 0.1).unwrap();
    let want = [1.4, 1.4, 10.0, 37.0];
    for (a0, w) in [1e-3, 1e-1, 1e1, 1e3].into_iter().zip(want) {
        let o = search1(&ls, mt1, a0).0.unwrap();
        assert!((o.step - w).abs() <= 0.05 * w, "from {a0}: step {} vs {w}", o.step);
    }
}

#[test]
fn nan_region_shrinks_the_step() {
    // f = (x − 1)², but NaN beyond x = 2 and +Inf value in (1.5, 2]: the
    // first trial (10) is NaN, later ones must come back into [0, 1.5].
    let phi = |a: f64| {
        if a > 2.0 {
            (f64::NAN, f64::NAN)
        } else if a > 1.5 {
            (f64::INFINITY, 1.0)
        } else {
            ((a - 1.0).powi(2), 2.0 * (a - 1.0))
        }
    };
    for ls_out in [
        search1(&MoreThuente::new(), phi, 10.0),
        search1(&Backtracking::new(), phi, 10.0),
    ] {
        let (r, calls) = ls_out;
        let o = r.unwrap();
        assert!(o.step <= 1.5 && o.value < 1.0, "{o:?}");
        assert!((2..=20).contains(&calls), "{calls} evaluations");
    }
    let o = search1(&MoreThuente::new(), phi, 10.0).0.unwrap();
    assert_strong_wolfe(phi, o.step, 1e-4, 0.9);
}

#[test]
fn nan_everywhere_is_a_typed_error_within_budget() {
    let phi = |a: f64| if a > 0.0 { (f64::NAN, f64::NAN) } else { (1.0, -1.0) };
    for (r, calls) in [search1(&MoreThuente::new(), phi, 1.0), search1(&Backtracking::new(), phi, 1.0)] {
        match r {
            Err(GdError::LineSearch { evaluations, .. }) => {
                assert_eq!(evaluations, calls);
                assert!(calls <= 40);
            }
            other => panic!("expected a line-search error, got {other:?}"),
        }
    }
}

#[test]
fn not_a_descent_direction() {
    // φ'(0) = +1: uphill. No evaluation is made.
    let phi = |a: f64| (a, 1.0);
    for (r, calls) in [search1(&MoreThuente::new(), phi, 1.0), search1(&Backtracking::new(), phi, 1.0)] {
        assert_eq!(
            r.unwrap_err(),
            GdError::LineSearch { cause: LineSearchFailure::NotDescent, evaluations: 0, step: 0.0 }
        );
        assert_eq!(calls, 0);
    }
}

#[test]
fn unbounded_below_exhausts_the_budget() {
    // φ(α) = −α: no Wolfe step exists. 20 evaluations at most, then an error.
    let phi = |a: f64| (-a, -1.0);
    let (r, calls) = search1(&MoreThuente::new(), phi, 1.0);
    match r {
        Err(GdError::LineSearch { cause, evaluations, .. }) => {
            assert!(matches!(cause, LineSearchFailure::MaxEvaluations | LineSearchFailure::StepTooLarge));
            assert_eq!(evaluations, calls);
            assert!(calls <= 20);
        }
        other => panic!("{other:?}"),
    }
    let ls = MoreThuente::new().with_max_evaluations(3).unwrap();
    let (r, calls) = search1(&ls, phi, 1.0);
    assert!(matches!(r, Err(GdError::LineSearch { cause: LineSearchFailure::MaxEvaluations, evaluations: 3, .. })));
    assert_eq!(calls, 3);
}

#[test]
fn backtracking_halving_is_exact() {
    // f(x) = x² from x = 1 along d = −2 (= −f'), plain halving (lo = hi = ½):
    // α = 1 lands on x = −1 (no decrease), α = ½ lands on 0 (accepted).
    let ls = Backtracking::new().with_shrink(0.5, 0.5).unwrap();
    let mut calls = 0;
    let mut obj = |x: &[f64], g: &mut [f64]| {
        calls += 1;
        g[0] = 2.0 * x[0];
        x[0] * x[0]
    };
    let (mut xn, mut gn) = ([0.0], [0.0]);
    let o = ls.search(&mut obj, &[1.0], 1.0, &[2.0], &[-2.0], 1.0, &mut xn, &mut gn).unwrap();
    assert_eq!((o.step, o.value, o.evaluations), (0.5, 0.0, 2));
    assert_eq!(calls, 2);
}

#[test]
fn backtracking_interpolates() {
    // On a quadratic the interpolated step is the exact minimiser: from
    // f(x) = x², x = 1, d = −1, trial α = 10 (f = 81): next α = 1, f = 0.
    let mut obj = |x: &[f64], g: &mut [f64]| {
        g[0] = 2.0 * x[0];
        x[0] * x[0]
    };
    let (mut xn, mut gn) = ([0.0], [0.0]);
    let o = Backtracking::new().search(&mut obj, &[1.0], 1.0, &[2.0], &[-1.0], 10.0, &mut xn, &mut gn).unwrap();
    assert_eq!(o.evaluations, 2);
    assert!((o.step - 1.0).abs() < 1e-12 && o.value < 1e-24);
}

#[test]
fn bad_arguments_are_typed_errors() {
    let mut obj = |x: &[f64], g: &mut [f64]| {
        g[0] = 2.0 * x[0];
        x[0] * x[0]
    };
    let (mut xn, mut gn) = ([0.0], [0.0]);
    let mt = MoreThuente::new();
    let e = mt.search(&mut obj, &[1.0], 1.0, &[2.0, 0.0], &[-1.0], 1.0, &mut xn, &mut gn).unwrap_err();
    assert!(matches!(e, GdError::DimensionMismatch { expected: 1, got: 2, .. }));
    let e = mt.search(&mut obj, &[1.0], 1.0, &[2.0], &[-1.0], 0.0, &mut xn, &mut gn).unwrap_err();
    assert!(matches!(e, GdError::BadHyperparameter { .. }));
    let e = mt.search(&mut obj, &[1.0], f64::NAN, &[2.0], &[-1.0], 1.0, &mut xn, &mut gn).unwrap_err();
    assert!(matches!(e, GdError::BadHyperparameter { .. }));
    assert!(MoreThuente::new().with_wolfe(0.5, 0.1).is_err());
    assert!(MoreThuente::new().with_wolfe(0.0, 0.9).is_err());
    assert!(MoreThuente::new().with_max_evaluations(0).is_err());
    assert!(MoreThuente::new().with_step_bounds(1.0, 0.5).is_err());
    assert!(Backtracking::new().with_shrink(0.6, 0.5).is_err());
    assert!(Backtracking::new().with_c1(1.0).is_err());
}
