//! The Moré–Garbow–Hillstrom test set (tests/mgh/): the problem definitions
//! are checked against published values, then L-BFGS, Newton (Hessian from
//! `f::hessian`) and Newton–CG (`f::hvp`) are run from the standard starting
//! points and must reach the published minimum value f* — or a documented
//! local minimum that the published reference solvers also stop at.

mod mgh;

use gd::nalgebra::{DMatrix, DVector};
use gd::runtime::quasi_newton::{Lbfgs, SolverReport, SolverStop, StopCriteria};
use gd::runtime::second_order::{Newton, NewtonCg};
use mgh::Problem;

/// f at the standard starting point of every instance, computed by an
/// independent implementation of the problems (numpy, in
/// benches/scipy_lbfgs.py, written from the paper), printed to 11 digits.
const F_AT_X0: &[(&str, f64)] = &[
    ("Rosenbrock", 2.4200000000e+01),
    ("Freudenstein-Roth", 4.0050000000e+02),
    ("Powell badly scaled", 1.1352617173e+00),
    ("Brown badly scaled", 9.9999800000e+11),
    ("Beale", 1.4203125000e+01),
    ("Jennrich-Sampson (m=10)", 4.1713061620e+03),
    ("Helical valley", 2.5000000000e+03),
    ("Bard", 4.1681695862e+01),
    ("Gaussian", 3.8881069912e-06),
    ("Meyer", 1.6936078094e+09),
    ("Gulf (m=99)", 1.2110705826e+01),
    ("Box 3D (m=10)", 1.0311538106e+03),
    ("Powell singular", 2.1500000000e+02),
    ("Wood", 1.9192000000e+04),
    ("Kowalik-Osborne", 5.3131722721e-03),
    ("Brown-Dennis (m=20)", 7.9266933370e+06),
    ("Osborne 1", 8.7902629354e-01),
    ("Biggs EXP6 (m=13)", 7.7907007566e-01),
    ("Osborne 2", 2.0934195142e+00),
    ("Watson (n=6)", 3.0000000000e+01),
    ("Watson (n=9)", 3.0000000000e+01),
    ("Extended Rosenbrock (n=10)", 1.2100000000e+02),
    ("Extended Powell (n=12)", 6.4500000000e+02),
    ("Penalty I (n=4)", 8.8506264000e+02),
    ("Penalty I (n=10)", 1.4803256535e+05),
    ("Penalty II (n=4)", 2.3400088055e+00),
    ("Penalty II (n=10)", 1.6265277657e+02),
    ("Variably dimensioned (n=10)", 2.1985511625e+06),
    ("Trigonometric (n=10)", 7.0757594662e-03),
    ("Brown almost-linear (n=10)", 2.7324804783e+02),
    ("Discrete boundary value (n=10)", 7.8851910126e-04),
    ("Discrete integral equation (n=10)", 6.3416841579e-02),
    ("Broyden tridiagonal (n=10)", 2.1000000000e+01),
    ("Broyden banded (n=10)", 3.6000000000e+02),
    ("Linear full rank (n=10, m=20)", 5.0000000000e+01),
    ("Linear rank 1 (n=10, m=20)", 8.6586700000e+06),
    ("Linear rank 1, zero rows/columns (n=10, m=20)", 4.0679960000e+06),
    ("Chebyquad (n=8)", 3.8617698286e-02),
    ("Chebyquad (n=10)", 3.3763265463e-02),
];

#[test]
fn definitions_agree_with_an_independent_implementation_at_the_start() {
    let all = mgh::all();
    assert_eq!(all.len(), F_AT_X0.len());
    for (name, want) in F_AT_X0 {
        let p = all.iter().find(|p| p.name == *name).unwrap_or_else(|| panic!("no problem {name}"));
        let f = (p.value)(&p.x0);
        assert!((f - want).abs() <= 1e-9 * want.abs(), "{name}: f(x0) = {f}, numpy {want}");
    }
    // Values printed in the literature (6 digits) for a few, as a check on
    // both implementations.
    for (name, published) in [("Bard", 41.6817), ("Meyer", 1.69361e9), ("Osborne 2", 2.09342), ("Wood", 19192.0)] {
        let p = all.iter().find(|p| p.name == name).unwrap();
        assert!(((p.value)(&p.x0) - published).abs() <= 5e-6 * published, "{name}");
    }
}

#[test]
fn definitions_attain_f_star_at_known_minimisers() {
    let mut checked = 0;
    for p in mgh::all() {
        if let Some(xs) = &p.xstar {
            let f = (p.value)(xs);
            assert!((f - p.fstar).abs() <= 1e-10 * p.fstar.abs().max(1.0), "{}: f(x*) = {f}, f* = {}", p.name, p.fstar);
            checked += 1;
        }
    }
    assert!(checked >= 15, "{checked}");
}

#[test]
fn generated_derivatives_are_wired_consistently() {
    // The macro's derivatives are tested elsewhere; this checks the problem
    // table's wiring: value_and_grad agrees with value and with central
    // differences, hvp with hessian·v, the Hessian is symmetric.
    for p in mgh::all() {
        let x: Vec<f64> = p.x0.iter().enumerate().map(|(i, v)| v + 0.01 * (i as f64 + 1.0)).collect();
        let n = x.len();
        let mut g = vec![1e300; n];
        let f = (p.value_and_grad)(&x, &mut g);
        assert_eq!(f, (p.value)(&x), "{}", p.name);
        for i in 0..n {
            let h = 1e-6 * x[i].abs().max(1.0);
            let (mut a, mut b) = (x.clone(), x.clone());
            a[i] += h;
            b[i] -= h;
            let fd = ((p.value)(&a) - (p.value)(&b)) / (2.0 * h);
            let scale = g.iter().fold(f.abs(), |m, v| m.max(v.abs())).max(1.0);
            assert!((fd - g[i]).abs() <= 1e-5 * scale, "{} g[{i}] = {} vs fd {fd}", p.name, g[i]);
        }
        let hm = (p.hessian)(&x);
        let v: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).sin()).collect();
        let mut hv = vec![0.0; n];
        (p.hvp)(&x, &v, &mut hv);
        let want = &hm * DVector::from_column_slice(&v);
        let scale = hm.amax().max(1.0);
        for i in 0..n {
            assert!((hv[i] - want[i]).abs() <= 1e-10 * scale * n as f64, "{} hvp[{i}]", p.name);
            for j in 0..n {
                assert!((hm[(i, j)] - hm[(j, i)]).abs() <= 1e-10 * scale, "{} H not symmetric", p.name);
            }
        }
    }
}

/// Where a run ended.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reached {
    /// The published f*.
    Minimum,
    /// A documented local minimum (`Problem::also`).
    Local,
    /// Neither.
    Elsewhere,
}

/// f* = 0: f ≤ 1e-9. Otherwise the published values have 6 significant
/// digits: relative error ≤ 1e-5.
fn close(f: f64, target: f64) -> bool {
    if target == 0.0 {
        f <= 1e-9
    } else {
        (f - target).abs() <= 1e-5 * target.abs()
    }
}

fn reached(p: &Problem, r: &SolverReport) -> Reached {
    if close(r.value, p.fstar) {
        Reached::Minimum
    } else if p.also.iter().any(|&v| close(r.value, v)) {
        Reached::Local
    } else {
        Reached::Elsewhere
    }
}

/// Tight tolerances, so that the value is accurate enough to compare with f*.
fn tight() -> StopCriteria {
    StopCriteria::new().with_gtol(1e-10).unwrap().with_ftol(0.0).unwrap()
}

/// Run `solve` on every problem; every run must end at f* or, for the
/// problems named in `local`, at their documented local minimum; every run
/// must have stopped on a tolerance, or on a line-search failure at the
/// limit of precision (value already at the target). `skip` lists known
/// failures with the reason (checked to still fail, so the list stays true).
fn run_suite(solver: &str, local: &[&str], skip: &[(&str, &str)], solve: impl Fn(&Problem) -> SolverReport) {
    let mut failures = Vec::new();
    for p in mgh::all() {
        let r = solve(&p);
        let at = reached(&p, &r);
        eprintln!(
            "{solver:9} {:2} {:46} f = {:<12.6e} f* = {:<12.6e} {:?} {:?} it {} ev {}",
            p.number, p.name, r.value, p.fstar, at, r.stop, r.iterations, r.evaluations
        );
        if let Some((_, why)) = skip.iter().find(|(n, _)| *n == p.name) {
            if at == Reached::Minimum {
                failures.push(format!("{}: listed as a known failure ({why}) but reached f*: update the list", p.name));
            }
            continue;
        }
        let want = if local.contains(&p.name) { Reached::Local } else { Reached::Minimum };
        if at != want {
            failures.push(format!("{}: expected {want:?}, got f = {:e} ({:?})", p.name, r.value, at));
        }
        let stop_ok = r.converged() || matches!(r.stop, SolverStop::LineSearchFailed(_));
        if !stop_ok {
            failures.push(format!("{}: stopped by {:?}", p.name, r.stop));
        }
    }
    assert!(failures.is_empty(), "{solver}:\n{}", failures.join("\n"));
}

#[test]
fn lbfgs_reaches_published_minima() {
    run_suite(
        "L-BFGS",
        &["Freudenstein-Roth", "Biggs EXP6 (m=13)", "Trigonometric (n=10)"],
        &[],
        |p| Lbfgs::new().with_stop(tight()).minimize(&mut p.value_and_grad.clone(), &p.x0).unwrap(),
    );
}

#[test]
fn newton_reaches_published_minima() {
    run_suite("Newton", &["Freudenstein-Roth", "Trigonometric (n=10)"], &[], |p| {
        let hess = |x: &[f64], h: &mut DMatrix<f64>| h.copy_from(&(p.hessian)(x));
        Newton::new().with_stop(tight()).minimize(&mut p.value_and_grad.clone(), hess, &p.x0).unwrap()
    });
}

#[test]
fn newton_cg_reaches_published_minima() {
    run_suite(
        "Newton-CG",
        &["Freudenstein-Roth", "Biggs EXP6 (m=13)", "Trigonometric (n=10)"],
        // Meyer needs the exact-CG retry after a failed line search: with
        // truncated directions alone it stalls near f ≈ 4e3.
        &[],
        |p| NewtonCg::new().with_stop(tight()).minimize(&mut p.value_and_grad.clone(), p.hvp, &p.x0).unwrap(),
    );
}

#[test]
fn lbfgs_with_scipy_defaults_is_close() {
    // Default stopping (‖g‖∞ ≤ 1e-5, scipy's relative-decrease ftol): the
    // value is within 1e-4 (relative, or absolute for f* = 0) of f* or of a
    // documented local minimum — except where the relative-decrease test
    // fires early. scipy 1.17's L-BFGS-B with its defaults stops at the same
    // three points (f = 0.135188, 1.12123e5, 7.87695: measured with
    // benches/scipy_lbfgs.py); Wood's is near its saddle.
    let early = ["Powell badly scaled", "Meyer", "Wood"];
    let mut bad = Vec::new();
    for p in mgh::all() {
        let r = Lbfgs::new().minimize(&mut p.value_and_grad.clone(), &p.x0).unwrap();
        let targets: Vec<f64> = std::iter::once(p.fstar).chain(p.also.iter().copied()).collect();
        let ok = targets.iter().any(|&t| (r.value - t).abs() <= 1e-4 * t.abs().max(1.0));
        let listed = early.contains(&p.name);
        if ok == listed {
            bad.push(format!("{}: f = {:e} ({:?}), listed as early: {listed}", p.name, r.value, r.stop));
        }
        if listed {
            assert_eq!(r.stop, SolverStop::FunctionTolerance, "{}", p.name);
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
