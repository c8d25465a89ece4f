//! L-BFGS-B (`Lbfgs::with_bounds`) against scipy's L-BFGS-B on bounded
//! versions of Moré–Garbow–Hillstrom problems (tests/mgh/): one-sided bounds,
//! boxes with active and inactive bounds at the solution, a start outside
//! the box, a bound active at the start and fixed variables (lower = upper).
//! Same settings on both sides: m = 10, pgtol = 1e-5, ftol = 2.2e-9.

mod mgh;

use gd::runtime::quasi_newton::{Lbfgs, SolverReport, SolverStop, StopCriteria};

const INF: f64 = f64::INFINITY;

/// What scipy's L-BFGS-B reported.
struct Scipy {
    nit: usize,
    nfev: usize,
    f: f64,
    x: &'static [f64],
}

struct Case {
    label: &'static str,
    /// The MGH problem's name in tests/mgh/.
    mgh: &'static str,
    lower: &'static [f64],
    upper: &'static [f64],
    x0: &'static [f64],
    scipy: Scipy,
}

/// Made by `python3 benches/scipy_lbfgsb.py --rust`, which also prints the
/// problems' bounds and starts from the same list (so the two cannot drift
/// apart by hand); the problems are written again there in numpy.
#[rustfmt::skip]
const CASES: &[Case] = &[
// python3 benches/scipy_lbfgsb.py --rust (scipy 1.17.1, numpy 2.4.6)
    Case { label: "Rosenbrock, x1 <= 0.5", mgh: "Rosenbrock", lower: &[-INF, -INF], upper: &[0.5, INF],
        x0: &[-1.2, 1.0],
        scipy: Scipy { nit: 20, nfev: 29, f: 0.25, x: &[0.5, 0.25] } },
    Case { label: "Rosenbrock, x1 >= 1.5 (x0 outside)", mgh: "Rosenbrock", lower: &[1.5, -INF], upper: &[INF, INF],
        x0: &[-1.2, 1.0],
        scipy: Scipy { nit: 2, nfev: 3, f: 0.25, x: &[1.5, 2.250000000000001] } },
    Case { label: "Rosenbrock, x1 <= 0.5 active at x0", mgh: "Rosenbrock", lower: &[-INF, -INF], upper: &[0.5, INF],
        x0: &[0.5, 1.0],
        scipy: Scipy { nit: 3, nfev: 4, f: 0.25, x: &[0.5, 0.25] } },
    Case { label: "Freudenstein-Roth, 0 <= x2 <= 3 (x0 outside)", mgh: "Freudenstein-Roth", lower: &[-INF, 0.0], upper: &[INF, 3.0],
        x0: &[0.5, -2.0],
        scipy: Scipy { nit: 2, nfev: 4, f: 128.0, x: &[21.000000000000117, 0.0] } },
    Case { label: "Beale, x1 <= 2.5", mgh: "Beale", lower: &[-INF, -INF], upper: &[2.5, INF],
        x0: &[1.0, 1.0],
        scipy: Scipy { nit: 11, nfev: 12, f: 0.07270005065353373, x: &[2.5, 0.35006349472908127] } },
    Case { label: "Helical valley, x3 >= 0.5", mgh: "Helical valley", lower: &[-INF, -INF, 0.5], upper: &[INF, INF, INF],
        x0: &[-1.0, 0.0, 0.0],
        scipy: Scipy { nit: 22, nfev: 25, f: 0.25, x: &[0.9510565163584636, 0.30901699439413716, 0.5] } },
    Case { label: "Bard, x1 <= 0.05", mgh: "Bard", lower: &[-INF, -INF, -INF], upper: &[0.05, INF, INF],
        x0: &[1.0, 1.0, 1.0],
        scipy: Scipy { nit: 20, nfev: 21, f: 0.012949934527735794, x: &[0.05, 0.6616186328260847, 2.77030518166875] } },
    Case { label: "Box 3D, x2 <= 9.5", mgh: "Box 3D (m=10)", lower: &[-INF, -INF, -INF], upper: &[INF, 9.5, INF],
        x0: &[0.0, 10.0, 20.0],
        scipy: Scipy { nit: 19, nfev: 27, f: 0.00011434818952648162, x: &[1.0379394470827301, 9.5, 0.9722284049254724] } },
    Case { label: "Powell singular, x1 >= 0.1", mgh: "Powell singular", lower: &[0.1, -INF, -INF, -INF], upper: &[INF, INF, INF, INF],
        x0: &[3.0, -1.0, 0.0, 1.0],
        scipy: Scipy { nit: 24, nfev: 28, f: 0.00018781963013542156, x: &[0.1, -0.009982259319871564, 0.0430731509830074, 0.04378383272489462] } },
    Case { label: "Kowalik-Osborne, x1 <= 0.19", mgh: "Kowalik-Osborne", lower: &[-INF, -INF, -INF, -INF], upper: &[0.19, INF, INF, INF],
        x0: &[0.25, 0.39, 0.415, 0.39],
        scipy: Scipy { nit: 25, nfev: 38, f: 0.0003107815097385641, x: &[0.19, 0.22082183051158175, 0.11783319699003972, 0.14989778575962523] } },
    Case { label: "Osborne 1, x5 <= 0.02", mgh: "Osborne 1", lower: &[-INF, -INF, -INF, -INF, -INF], upper: &[INF, INF, INF, INF, 0.02],
        x0: &[0.5, 1.5, -1.0, 0.01, 0.02],
        scipy: Scipy { nit: 70, nfev: 83, f: 6.297414715408728e-05, x: &[0.3792668333562851, 2.7997502771195655, -2.331381264875324, 0.014055669276060315, 0.02] } },
    Case { label: "Rosenbrock, [-2, 0.8] x [-1, 2]", mgh: "Rosenbrock", lower: &[-2.0, -1.0], upper: &[0.8, 2.0],
        x0: &[-1.2, 1.0],
        scipy: Scipy { nit: 30, nfev: 41, f: 0.03999999999999998, x: &[0.8, 0.6400000000000001] } },
    Case { label: "Wood, x1, x3 in [-10, 0.8], x2, x4 in [-10, 10]", mgh: "Wood", lower: &[-10.0, -10.0, -10.0, -10.0], upper: &[0.8, 10.0, 0.8, 10.0],
        x0: &[-3.0, -1.0, -3.0, -1.0],
        scipy: Scipy { nit: 51, nfev: 66, f: 4.6617554612106575, x: &[-1.1125364558884978, 1.2472314301908383, 0.8, 0.6518721012668071] } },
    Case { label: "Biggs EXP6, [0, 10]^6 but x5 <= 3.5", mgh: "Biggs EXP6 (m=13)", lower: &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0], upper: &[10.0, 10.0, 10.0, 10.0, 3.5, 10.0],
        x0: &[1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
        scipy: Scipy { nit: 27, nfev: 30, f: 0.018873703074371948, x: &[1.8931941209663068, 10.0, 1.3429158418832934, 3.0488177166060964, 1.8931941209663068, 1.3429158418832934] } },
    Case { label: "Extended Rosenbrock (n=10), odd x <= 0.5", mgh: "Extended Rosenbrock (n=10)", lower: &[-INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF], upper: &[0.5, INF, 0.5, INF, 0.5, INF, 0.5, INF, 0.5, INF],
        x0: &[-1.2, 1.0, -1.2, 1.0, -1.2, 1.0, -1.2, 1.0, -1.2, 1.0],
        scipy: Scipy { nit: 23, nfev: 29, f: 1.25, x: &[0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25, 0.5, 0.25] } },
    Case { label: "Extended Powell (n=12), x >= 0.1 in each block", mgh: "Extended Powell (n=12)", lower: &[0.1, -INF, -INF, -INF, 0.1, -INF, -INF, -INF, 0.1, -INF, -INF, -INF], upper: &[INF, INF, INF, INF, INF, INF, INF, INF, INF, INF, INF, INF],
        x0: &[3.0, -1.0, 0.0, 1.0, 3.0, -1.0, 0.0, 1.0, 3.0, -1.0, 0.0, 1.0],
        scipy: Scipy { nit: 27, nfev: 28, f: 0.0005634588903257753, x: &[0.1, -0.00998222363014033, 0.04307283503120198, 0.043783438317152194, 0.1, -0.00998222363014033, 0.04307283503120198, 0.043783438317152194, 0.1, -0.00998222363014033, 0.04307283503120198, 0.043783438317152194] } },
    Case { label: "Penalty I (n=10), odd x <= 0.1 (inactive)", mgh: "Penalty I (n=10)", lower: &[-INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF], upper: &[0.1, INF, 0.1, INF, 0.1, INF, 0.1, INF, 0.1, INF],
        x0: &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        scipy: Scipy { nit: 18, nfev: 19, f: 8.193240416782315e-05, x: &[0.003427053850936514, 0.06745559408877494, 0.003427053850936514, 0.13485405749702598, 0.003427053850936514, 0.20225252090527676, 0.003427053850936514, 0.2696509843135279, 0.003427053850936514, 0.33704944772177886] } },
    Case { label: "Penalty II (n=4), x >= 0.3", mgh: "Penalty II (n=4)", lower: &[0.3, 0.3, 0.3, 0.3], upper: &[INF, INF, INF, INF],
        x0: &[0.5, 0.5, 0.5, 0.5],
        scipy: Scipy { nit: 7, nfev: 8, f: 0.010009750804699152, x: &[0.3, 0.3288070144810776, 0.32547451434549723, 0.32216632187485567] } },
    Case { label: "Variably dimensioned (n=10), x <= 0.9", mgh: "Variably dimensioned (n=10)", lower: &[-INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF], upper: &[0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
        x0: &[0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.30000000000000004, 0.19999999999999996, 0.09999999999999998, 0.0],
        scipy: Scipy { nit: 6, nfev: 7, f: 945.4124999999993, x: &[0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] } },
    Case { label: "Brown almost-linear (n=10), [0, 0.9]", mgh: "Brown almost-linear (n=10)", lower: &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], upper: &[0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
        x0: &[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        scipy: Scipy { nit: 1, nfev: 2, f: 11.314219774390526, x: &[0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] } },
    Case { label: "Discrete boundary value (n=10), x >= -0.1", mgh: "Discrete boundary value (n=10)", lower: &[-0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1], upper: &[INF, INF, INF, INF, INF, INF, INF, INF, INF, INF],
        x0: &[-0.08264462809917356, -0.1487603305785124, -0.1983471074380165, -0.23140495867768596, -0.24793388429752067, -0.24793388429752067, -0.23140495867768596, -0.1983471074380165, -0.14876033057851237, -0.08264462809917349],
        scipy: Scipy { nit: 21, nfev: 25, f: 0.0003340575749653237, x: &[-0.02542073799891563, -0.047061093839670866, -0.06512926547311532, -0.07966467815148852, -0.09053870366849247, -0.09747073854219988, -0.1, -0.09750261803376908, -0.08430029976880075, -0.05420049313372472] } },
    Case { label: "Broyden tridiagonal (n=10), x <= -0.6", mgh: "Broyden tridiagonal (n=10)", lower: &[-INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF], upper: &[-0.6, -0.6, -0.6, -0.6, -0.6, -0.6, -0.6, -0.6, -0.6, -0.6],
        x0: &[-1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0],
        scipy: Scipy { nit: 12, nfev: 14, f: 0.7200420145053867, x: &[-0.6, -0.6972578875073144, -0.7089193592690848, -0.708852649537882, -0.7081779395701123, -0.7081417302834798, -0.708709246720285, -0.7085717866155523, -0.6966348669277382, -0.6] } },
    Case { label: "Linear full rank (n=10), first five >= 0", mgh: "Linear full rank (n=10, m=20)", lower: &[0.0, 0.0, 0.0, 0.0, 0.0, -INF, -INF, -INF, -INF, -INF], upper: &[INF, INF, INF, INF, INF, INF, INF, INF, INF, INF],
        x0: &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        scipy: Scipy { nit: 2, nfev: 3, f: 15.00000000000001, x: &[0.0, 0.0, 0.0, 0.0, 0.0, -1.0000000000000016, -1.0000000000000016, -1.0000000000000016, -1.0000000000000016, -1.0000000000000016] } },
    Case { label: "Chebyquad (n=8), [0.1, 0.9]", mgh: "Chebyquad (n=8)", lower: &[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], upper: &[0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
        x0: &[0.1111111111111111, 0.2222222222222222, 0.3333333333333333, 0.4444444444444444, 0.5555555555555556, 0.6666666666666666, 0.7777777777777778, 0.8888888888888888],
        scipy: Scipy { nit: 17, nfev: 20, f: 0.01793934654120003, x: &[0.1, 0.20810007997640628, 0.37956431827899806, 0.37956509461127685, 0.6204349053887233, 0.6204356817210015, 0.7918999200235939, 0.9] } },
    Case { label: "Wood, x3 fixed at 0.5", mgh: "Wood", lower: &[-INF, -INF, 0.5, -INF], upper: &[INF, INF, 0.5, INF],
        x0: &[-3.0, -1.0, -3.0, -1.0],
        scipy: Scipy { nit: 20, nfev: 23, f: 5.741873065435992, x: &[-1.2748274273900158, 1.63410707076544, 0.5, 0.2629604468366432] } },
    Case { label: "Extended Rosenbrock (n=10), x1 = x6 = -0.5 fixed", mgh: "Extended Rosenbrock (n=10)", lower: &[-0.5, -INF, -INF, -INF, -INF, -0.5, -INF, -INF, -INF, -INF], upper: &[-0.5, INF, INF, INF, INF, -0.5, INF, INF, INF, INF],
        x0: &[-1.2, 1.0, -1.2, 1.0, -1.2, 1.0, -1.2, 1.0, -1.2, 1.0],
        scipy: Scipy { nit: 45, nfev: 52, f: 28.240099970531183, x: &[-0.5, 0.25000007178514616, 0.9999986174052514, 0.9999974474054022, 0.009899239062579559, -0.5, 0.9999986174052514, 0.9999974474054022, 0.9999986174052514, 0.9999974474054022] } },
];

fn problem(name: &str) -> mgh::Problem {
    mgh::all().into_iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no MGH problem {name}"))
}

/// Run gd on a case; every point the objective sees must be in the box.
fn run(case: &Case) -> SolverReport {
    let p = problem(case.mgh);
    let mut outside = Vec::new();
    let mut f = |x: &[f64], g: &mut [f64]| {
        if let Some(i) = (0..x.len()).find(|&i| !(case.lower[i] <= x[i] && x[i] <= case.upper[i])) {
            outside.push((i, x[i]));
        }
        (p.value_and_grad)(x, g)
    };
    let r = Lbfgs::new().with_bounds(case.lower, case.upper).unwrap().minimize(&mut f, case.x0).unwrap();
    assert!(outside.is_empty(), "{}: evaluated outside the box: {outside:?}", case.label);
    r
}

/// Indices at a bound (exactly: both solvers put active variables on them).
fn active(case: &Case, x: &[f64]) -> Vec<usize> {
    (0..x.len()).filter(|&i| x[i] == case.lower[i] || x[i] == case.upper[i]).collect()
}

/// The README's table row.
fn row(case: &Case, r: &SolverReport) -> String {
    format!(
        "| {} | {} | {:.6e} | {:.6e} | {} / {} | {} / {} |",
        case.label,
        case.x0.len(),
        r.value,
        case.scipy.f,
        r.iterations,
        r.evaluations,
        case.scipy.nit,
        case.scipy.nfev
    )
}

#[test]
fn same_minimum_active_set_and_no_more_evaluations_than_scipy() {
    assert!(CASES.len() >= 20);
    let mut bad = Vec::new();
    let (mut gd_ev, mut sp_ev, mut gd_it, mut sp_it) = (0, 0, 0, 0);
    for case in CASES {
        let r = run(case);
        let s = &case.scipy;
        eprintln!("{}", row(case, &r));
        (gd_ev, sp_ev, gd_it, sp_it) = (gd_ev + r.evaluations, sp_ev + s.nfev, gd_it + r.iterations, sp_it + s.nit);
        if !r.converged() {
            bad.push(format!("{}: stopped by {:?}", case.label, r.stop));
        }
        // Both stop on the same tolerances, so f agrees to about the digits
        // the relative-decrease test leaves (1e-5 covers the flat ends of
        // Kowalik-Osborne and Osborne 1).
        if (r.value - s.f).abs() > 1e-5 * s.f.abs() + 1e-12 {
            bad.push(format!("{}: f = {:e}, scipy {:e}", case.label, r.value, s.f));
        }
        // x to 1e-3: the two runs follow the same path, so they end close
        // even where f is flat (Kowalik-Osborne and Osborne 1 differ by ~1e-4).
        if let Some(i) = (0..r.x.len()).find(|&i| (r.x[i] - s.x[i]).abs() > 1e-3 * s.x[i].abs().max(1.0)) {
            bad.push(format!("{}: x[{i}] = {}, scipy {}", case.label, r.x[i], s.x[i]));
        }
        if active(case, &r.x) != active(case, s.x) {
            bad.push(format!("{}: active {:?}, scipy {:?}", case.label, active(case, &r.x), active(case, s.x)));
        }
        // Per problem a little over scipy is acceptable; the total below is not.
        if r.evaluations > s.nfev + 2 {
            bad.push(format!("{}: {} evaluations, scipy {}", case.label, r.evaluations, s.nfev));
        }
    }
    eprintln!("| total | | | | {gd_it} / {gd_ev} | {sp_it} / {sp_ev} |");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(gd_ev <= sp_ev, "{gd_ev} evaluations in total, scipy {sp_ev}");
    assert!(gd_it <= sp_it, "{gd_it} iterations in total, scipy {sp_it}");
}

#[test]
fn the_cases_cover_every_kind_of_bound() {
    let count = |pred: &dyn Fn(&Case) -> bool| CASES.iter().filter(|c| pred(c)).count();
    let n = |c: &Case| c.x0.len();
    // One-sided only (some side of every variable is infinite).
    assert!(count(&|c| (0..n(c)).all(|i| c.lower[i].is_infinite() || c.upper[i].is_infinite())) >= 10);
    // Both active and inactive bounds at scipy's solution.
    assert!(count(&|c| {
        let act = active(c, c.scipy.x).len();
        let finite = (0..n(c)).filter(|&i| c.lower[i].is_finite() || c.upper[i].is_finite()).count();
        act > 0 && act < finite
    }) >= 5);
    // A start outside the box, a bound active at the start, fixed variables.
    assert!(count(&|c| (0..n(c)).any(|i| c.x0[i] < c.lower[i] || c.x0[i] > c.upper[i])) >= 2);
    assert!(count(&|c| (0..n(c)).any(|i| c.x0[i] == c.lower[i] || c.x0[i] == c.upper[i])) >= 1);
    assert!(count(&|c| (0..n(c)).any(|i| c.lower[i] == c.upper[i])) >= 2);
}

/// MGH problems that the unconstrained L-BFGS solves to f* from the standard
/// start (tests/mgh_test_set.rs), minimisers well inside ±1e8.
const UNCONSTRAINED: &[&str] = &[
    "Rosenbrock",
    "Beale",
    "Helical valley",
    "Box 3D (m=10)",
    "Wood",
    "Extended Rosenbrock (n=10)",
    "Penalty I (n=4)",
    "Variably dimensioned (n=10)",
    "Discrete boundary value (n=10)",
    "Broyden tridiagonal (n=10)",
    "Linear full rank (n=10, m=20)",
    "Chebyquad (n=8)",
];

#[test]
fn infinite_bounds_give_the_unconstrained_iterates_on_mgh_problems() {
    for name in UNCONSTRAINED {
        let p = problem(name);
        let n = p.x0.len();
        let plain = Lbfgs::new().minimize(&mut p.value_and_grad.clone(), &p.x0).unwrap();
        let bounded =
            Lbfgs::new().with_bounds(&vec![-INF; n], &vec![INF; n]).unwrap().minimize(&mut p.value_and_grad.clone(), &p.x0);
        assert_eq!(plain, bounded.unwrap(), "{name}");
    }
}

#[test]
fn huge_finite_bounds_reach_the_unconstrained_minimum() {
    // Finite bounds run the bounded algorithm (Cauchy point, subspace step,
    // capped search) however far they are; with tight tolerances it must
    // find the same minimum as without bounds.
    let tight = StopCriteria::new().with_gtol(1e-10).unwrap().with_ftol(0.0).unwrap();
    for name in UNCONSTRAINED {
        let p = problem(name);
        let n = p.x0.len();
        let solver = Lbfgs::new().with_stop(tight).with_bounds(&vec![-1e8; n], &vec![1e8; n]).unwrap();
        let r = solver.minimize(&mut p.value_and_grad.clone(), &p.x0).unwrap();
        let plain = Lbfgs::new().with_stop(tight).minimize(&mut p.value_and_grad.clone(), &p.x0).unwrap();
        let ok = if p.fstar == 0.0 { r.value <= 1e-9 } else { (r.value - p.fstar).abs() <= 1e-5 * p.fstar };
        eprintln!("{name}: bounded f = {:e} ({} ev), unconstrained f = {:e} ({} ev)", r.value, r.evaluations, plain.value, plain.evaluations);
        assert!(ok, "{name}: f = {:e}, f* = {:e} ({:?})", r.value, p.fstar, r.stop);
        assert!(r.converged() || matches!(r.stop, SolverStop::LineSearchFailed(_)), "{name}: {:?}", r.stop);
    }
}
