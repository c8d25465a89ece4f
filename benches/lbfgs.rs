//! L-BFGS side by side: gd's `Lbfgs` (More–Thuente, m = 10), argmin's `LBFGS`
//! (More–Thuente, m = 10; with `--features bench-argmin`) and scipy's
//! L-BFGS-B (read from `target/scipy_lbfgs.tsv` when present, written by
//! `python3 benches/scipy_lbfgs.py > target/scipy_lbfgs.tsv`).
//!
//! ```sh
//! python3 benches/scipy_lbfgs.py > target/scipy_lbfgs.tsv   # optional
//! cargo bench --bench lbfgs --features bench-argmin
//! ```
//!
//! Every run stops on ‖g‖∞ ≤ 1e-5 alone (gd and scipy: relative-decrease
//! test off). argmin has no ∞-norm test: it stops on ‖g‖₂ ≤ 1e-5, a little
//! stricter. Objectives: extended Rosenbrock (MGH #21) from (−1.2, 1, …) at
//! n = 2, 100, 1 000, 10 000, then the MGH set of tests/mgh/ — the gradients
//! are the ones `#[differentiable]` generates. argmin asks for cost and
//! gradient in separate calls; here one call computes both and the second is
//! served from a cache, so it pays for no extra work. Prints a Markdown table.

#[path = "../tests/mgh/mod.rs"]
mod mgh;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use gd::runtime::quasi_newton::{Lbfgs, SolverReport, StopCriteria};

/// What one solver did on one problem.
#[derive(Clone)]
struct Run {
    /// Ended away from f* and the documented local minima.
    away: bool,
    iterations: u64,
    evaluations: String,
    value: f64,
    ginf: f64,
    seconds: Option<f64>,
    note: String,
}

fn gd_solve(f: fn(&[f64], &mut [f64]) -> f64, x0: &[f64]) -> SolverReport {
    let stop = StopCriteria::new().with_gtol(1e-5).unwrap().with_ftol(0.0).unwrap();
    Lbfgs::new().with_stop(stop).minimize(&mut f.clone(), x0).unwrap()
}

/// Mean seconds per call of `run`, repeated for at least ~0.2 s.
fn time_it(mut run: impl FnMut()) -> f64 {
    let start = Instant::now();
    run();
    let once = start.elapsed().as_secs_f64().max(1e-7);
    let reps = ((0.2 / once) as usize).clamp(3, 2000);
    let start = Instant::now();
    for _ in 0..reps {
        run();
    }
    start.elapsed().as_secs_f64() / reps as f64
}

fn gd_run(f: fn(&[f64], &mut [f64]) -> f64, x0: &[f64]) -> Run {
    let r = gd_solve(f, x0);
    let seconds = time_it(|| {
        std::hint::black_box(gd_solve(f, x0));
    });
    Run {
        away: false,
        iterations: r.iterations as u64,
        evaluations: r.evaluations.to_string(),
        value: r.value,
        ginf: r.grad_inf_norm,
        seconds: Some(seconds),
        note: if r.converged() { String::new() } else { format!("{:?}", r.stop) },
    }
}

#[cfg(feature = "bench-argmin")]
mod argmin_side {
    use super::{time_it, Run};
    use argmin::core::{CostFunction, Error, Executor, Gradient, State};
    use argmin::solver::linesearch::MoreThuenteLineSearch;
    use argmin::solver::quasinewton::LBFGS;
    use std::cell::RefCell;

    /// One fused value-and-gradient call per new point; the gradient of the
    /// last point is cached for argmin's separate `gradient` call.
    /// argmin's line search is not bounded in evaluations (it can loop on
    /// Meyer): after this many objective calls the problem returns an error,
    /// which stops the run.
    const MAX_CALLS: usize = 15000;

    struct Problem {
        f: fn(&[f64], &mut [f64]) -> f64,
        cache: RefCell<(Vec<f64>, f64, Vec<f64>)>,
        calls: std::cell::Cell<usize>,
    }

    impl Problem {
        fn eval(&self, x: &[f64]) -> Result<(f64, Vec<f64>), Error> {
            let mut c = self.cache.borrow_mut();
            if c.0.as_slice() != x {
                self.calls.set(self.calls.get() + 1);
                if self.calls.get() > MAX_CALLS {
                    return Err(Error::msg(format!("over {MAX_CALLS} objective calls")));
                }
                let mut g = vec![0.0; x.len()];
                let v = (self.f)(x, &mut g);
                *c = (x.to_vec(), v, g);
            }
            Ok((c.1, c.2.clone()))
        }
    }

    impl CostFunction for Problem {
        type Param = Vec<f64>;
        type Output = f64;
        fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
            Ok(self.eval(x)?.0)
        }
    }

    impl Gradient for Problem {
        type Param = Vec<f64>;
        type Gradient = Vec<f64>;
        fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
            Ok(self.eval(x)?.1)
        }
    }

    /// iterations, cost calls, gradient calls, best cost, best x, status.
    type Outcome = (u64, u64, u64, f64, Vec<f64>, String);

    fn solve(f: fn(&[f64], &mut [f64]) -> f64, x0: &[f64]) -> Result<Outcome, Error> {
        let problem = Problem { f, cache: RefCell::new((Vec::new(), 0.0, Vec::new())), calls: std::cell::Cell::new(0) };
        let ls = MoreThuenteLineSearch::new().with_c(1e-4, 0.9)?;
        let solver = LBFGS::new(ls, 10).with_tolerance_grad(1e-5)?.with_tolerance_cost(0.0)?;
        let res = Executor::new(problem, solver)
            .configure(|s| s.param(x0.to_vec()).max_iters(15000).counting(true))
            .timer(false)
            .run()?;
        let st = res.state();
        let counts = st.get_func_counts();
        let x = st.get_best_param().cloned().unwrap_or_default();
        Ok((
            st.get_iter(),
            counts.get("cost_count").copied().unwrap_or(0),
            counts.get("gradient_count").copied().unwrap_or(0),
            st.get_best_cost(),
            x,
            format!("{}", st.get_termination_status()),
        ))
    }

    pub fn run(f: fn(&[f64], &mut [f64]) -> f64, x0: &[f64]) -> Run {
        match solve(f, x0) {
            Ok((it, c, g, value, x, status)) => {
                let mut grad = vec![0.0; x.len().max(1)];
                let ginf = if x.is_empty() { f64::NAN } else {
                    f(&x, &mut grad);
                    grad.iter().fold(0.0f64, |m, v| m.max(v.abs()))
                };
                // "Solver converged" is also argmin's status after a failed
                // step; count it only when the gradient test really holds.
                let converged = status == "Solver converged" && ginf <= 1e-5;
                let status = if status == "Solver converged" && !converged {
                    format!("{status}, but ‖g‖∞ = {ginf:.1e}")
                } else {
                    status
                };
                // Only converged runs are timed.
                let seconds = converged.then(|| {
                    time_it(|| {
                        let _ = std::hint::black_box(solve(f, x0));
                    })
                });
                Run {
                    away: false,
                    iterations: it,
                    evaluations: format!("{c}/{g}"),
                    value,
                    ginf,
                    seconds,
                    note: if converged { String::new() } else { status },
                }
            }
            Err(e) => Run {
                away: false,
                iterations: 0,
                evaluations: "-".into(),
                value: f64::NAN,
                ginf: f64::NAN,
                seconds: None,
                note: format!("error: {e}"),
            },
        }
    }
}

/// scipy rows of setting `gtol`, keyed by problem name.
fn scipy_rows() -> HashMap<String, Run> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/scipy_lbfgs.tsv");
    let mut rows = HashMap::new();
    let Ok(text) = std::fs::read_to_string(path) else { return rows };
    for line in text.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        if c.len() < 8 || c[0] != "gtol" {
            continue;
        }
        let conv = c[7].contains("PGTOL");
        rows.insert(
            c[1].to_string(),
            Run {
                away: false,
                iterations: c[3].parse().unwrap_or(0),
                evaluations: c[4].to_string(),
                value: c[5].parse().unwrap_or(f64::NAN),
                ginf: c[6].parse().unwrap_or(f64::NAN),
                seconds: None,
                note: if conv { String::new() } else { c[7].trim().to_string() },
            },
        );
    }
    rows
}

fn cell(r: Option<&Run>) -> String {
    match r {
        None => "–".into(),
        Some(r) => {
            let flag = if r.note.is_empty() { String::new() } else { " ✗".into() };
            let away = if r.away { " †" } else { "" };
            format!("{} / {}{}{}", r.iterations, r.evaluations, flag, away)
        }
    }
}

fn ms(r: Option<&Run>) -> String {
    match r.and_then(|r| r.seconds) {
        Some(s) => format!("{:.3}", s * 1e3),
        None => "–".into(),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing:
    // run the full table only under `cargo bench`.
    let quick = !std::env::args().any(|a| a == "--bench");
    let scipy = scipy_rows();
    // name, n, objective, x0, f* and documented local minima.
    type Case = (String, usize, fn(&[f64], &mut [f64]) -> f64, Vec<f64>, Vec<f64>);
    let mut cases: Vec<Case> = Vec::new();
    let ext_rosen = mgh::all().into_iter().find(|p| p.number == 21).unwrap().value_and_grad;
    for n in [2usize, 100, 1000, 10000] {
        let x0 = (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect();
        cases.push((format!("Extended Rosenbrock n={n}"), n, ext_rosen, x0, vec![0.0]));
    }
    for p in mgh::all() {
        let targets = std::iter::once(p.fstar).chain(p.also.iter().copied()).collect();
        cases.push((p.name.to_string(), p.x0.len(), p.value_and_grad, p.x0.clone(), targets));
    }
    // LBFGS_BENCH_FILTER=text keeps the cases whose name contains it.
    if let Ok(filter) = std::env::var("LBFGS_BENCH_FILTER") {
        cases.retain(|c| c.0.contains(&filter));
    }
    if quick {
        // Smoke run for `cargo test --benches`: every case solves.
        for (name, _, f, x0, _) in &cases {
            let r = gd_solve(*f, x0);
            assert!(r.value.is_finite(), "{name}");
        }
        println!("lbfgs bench: {} cases solved (run `cargo bench --bench lbfgs` for the table)", cases.len());
        return;
    }
    let mut notes = Vec::new();
    println!("| problem | n | gd it / ev | scipy L-BFGS-B it / ev | argmin it / cost/grad | gd ms | argmin ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let (mut gd_total, mut ar_total, mut sc_total) = (0usize, 0u64, 0usize);
    let t0 = Instant::now();
    for (name, n, f, x0, targets) in &cases {
        let mut g = gd_run(*f, x0);
        #[cfg(feature = "bench-argmin")]
        let a = Some(argmin_side::run(*f, x0));
        #[cfg(not(feature = "bench-argmin"))]
        let a: Option<Run> = None;
        #[allow(unused_mut)]
        let mut a = a;
        let mut s = scipy.get(name.as_str()).cloned();
        // † = ended away from f* and from the documented local minima.
        for r in [Some(&mut g), s.as_mut(), a.as_mut()].into_iter().flatten() {
            let near = targets.iter().any(|&t| (r.value - t).abs() <= 1e-4 * t.abs().max(1e-2));
            if !near {
                r.away = true;
            }
        }
        let s = s.as_ref();
        println!("| {name} | {n} | {} | {} | {} | {} | {} |", cell(Some(&g)), cell(s), cell(a.as_ref()), ms(Some(&g)), ms(a.as_ref()));
        gd_total += g.evaluations.parse::<usize>().unwrap_or(0);
        if let Some(s) = s {
            sc_total += s.evaluations.parse::<usize>().unwrap_or(0);
        }
        if let Some(a) = &a {
            ar_total += a.evaluations.split('/').next().and_then(|v| v.parse().ok()).unwrap_or(0);
        }
        for (who, r) in [("gd", Some(&g)), ("scipy", s), ("argmin", a.as_ref())] {
            if let Some(r) = r {
                if !r.note.is_empty() {
                    notes.push(format!("{who} on {name}: {} (f = {:.6e}, ‖g‖∞ = {:.1e})", r.note, r.value, r.ginf));
                }
            }
        }
        if t0.elapsed() > Duration::from_secs(600) {
            eprintln!("stopping: over 10 minutes");
            break;
        }
    }
    println!();
    println!("Total evaluations: gd {gd_total}, scipy {sc_total}, argmin (cost) {ar_total}.");
    println!();
    println!("† = final f not within 1e-4 (relative; 1e-6 absolute for f* = 0) of f* or of a documented local minimum.");
    println!("✗ = stopped without ‖g‖ ≤ 1e-5:");
    for n in notes {
        println!("- {n}");
    }
}
