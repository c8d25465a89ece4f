//! Data parallelism over MPI (feature `mpi`): this test binary is also the
//! MPI program. The driver tests run `mpirun -np N` on this same binary,
//! filtered to the `mpi_worker` test, with the scenario in
//! `GD_MPI_SCENARIO`; each rank writes its outcome (final loss and
//! parameters, or its error) to `GD_MPI_OUT/rank{r}.txt`, and the driver
//! compares them: 1, 2 and 4 ranks train to the parameters of one process
//! up to rounding, every rank ends with the same parameters, a failing rank
//! stops every rank with an error naming it (never a hang: each run has a
//! deadline), and a killed run resumes from its checkpoint to the bits of
//! an uninterrupted one.
//!
//! Needs `mpirun` (Open MPI): without it these tests fail and say how to
//! install it, they do not skip — `--features mpi` asks for MPI.

#[path = "common/tiny_net.rs"]
mod tiny_net;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gd_runtime::dist::{self, Collective, Mpi};
use gd_runtime::optim::Adam;
use gd_runtime::{BatchMode, GdError, Lbfgs, NewtonCg, StopCriteria, Trainer};

const EPOCHS: usize = 6;
const BATCH: usize = 16;
const SEED: u64 = 5;

fn trainer() -> Trainer<'static> {
    Trainer::new().progress(false).max_epochs(EPOCHS).batch(BatchMode::MiniBatch(BATCH)).seed(SEED)
}

// ---------------------------------------------------------------- worker

/// The MPI program: does nothing unless started by a driver below.
#[test]
fn mpi_worker() {
    let (Ok(scenario), Ok(out)) = (std::env::var("GD_MPI_SCENARIO"), std::env::var("GD_MPI_OUT")) else {
        return;
    };
    let comm = Mpi::init().expect("MPI_Init");
    let (rank, size) = (comm.rank(), comm.size());
    let last = size - 1;
    let result: Result<(f64, Vec<f64>), GdError> = match scenario.as_str() {
        "train" => train(&comm, trainer(), |_, _| None),
        "lbfgs" => lbfgs(&comm),
        "newton_cg" => newton_cg(&comm),
        // The last rank's loss panics at its third call.
        "panic" => train(&comm, trainer(), |r, calls| {
            if r == last && calls == 3 {
                panic!("injected panic on rank {r}");
            }
            None
        }),
        // The last rank's gradient is NaN at coordinate 4 on its second call.
        "nan" => train(&comm, trainer(), |r, calls| (r == last && calls == 2).then_some(4)),
        // The last rank cannot read its data file.
        "bad_data" => {
            let path = if rank == last { "/nonexistent/gd-shard.csv".to_string() } else { out.clone() };
            let read = std::fs::metadata(&path).map_err(|e| format!("cannot read data file {path}: {e}"));
            dist::agree(&comm, read).and_then(|_| train(&comm, trainer(), |_, _| None))
        }
        // The last rank was given another sample count.
        "mismatch" => {
            let n = if rank == last { tiny_net::N + 1 } else { tiny_net::N };
            let mut p = tiny_net::init();
            trainer()
                .fit_distributed(&comm, &mut Adam::new(0.02).unwrap(), &mut p, n, |p: &[f64], s: &[usize], g: &mut [f64]| tiny_net::loss(p, 0, s, g))
                .map(|_| (tiny_net::full_loss(&p), p))
        }
        // Checkpoints every 2 epochs: run to the end; run and get killed
        // after epoch 2 (the checkpoint of epochs 1-2 written); resume.
        "ckpt_full" | "ckpt_killed" | "ckpt_resume" => {
            let path = Path::new(&out).join("ckpt.json");
            let mut t = trainer().max_epochs(4).checkpoint(&path, 2);
            if scenario == "ckpt_killed" {
                t = t.on_epoch(|rec| {
                    if rec.epoch == 1 {
                        // A kill, not a return: no finalisation, no report.
                        std::process::exit(3);
                    }
                    std::ops::ControlFlow::Continue(())
                });
            }
            if scenario == "ckpt_resume" {
                t = t.resume(true);
            }
            train(&comm, t, |_, _| None)
        }
        other => panic!("unknown scenario {other}"),
    };
    let text = match result {
        Ok((loss, p)) => {
            let ps: Vec<String> = p.iter().map(|v| format!("{v:e}")).collect();
            format!("ok {loss:e} {}", ps.join(" "))
        }
        Err(e) => format!("err {e}"),
    };
    std::fs::write(Path::new(&out).join(format!("rank{rank}.txt")), text).expect("write the outcome");
}

/// Train the tiny net data parallel; `fault(rank, calls)` may return a
/// gradient coordinate to poison (and may panic).
fn train<C: Collective>(comm: &C, mut t: Trainer<'_>, fault: impl Fn(usize, usize) -> Option<usize>) -> Result<(f64, Vec<f64>), GdError> {
    let start = dist::shard_range(tiny_net::N, comm.rank(), comm.size()).start;
    let mut p = tiny_net::init();
    let mut calls = 0;
    let mut opt = Adam::new(0.02)?;
    t.fit_distributed(comm, &mut opt, &mut p, tiny_net::N, |p: &[f64], s: &[usize], g: &mut [f64]| {
        calls += 1;
        let l = tiny_net::loss(p, start, s, g);
        if let Some(k) = fault(comm.rank(), calls) {
            g[k] = f64::NAN;
        }
        l
    })?;
    Ok((tiny_net::full_loss(&p), p))
}

/// L-BFGS on the tiny net's full-batch loss, summed over the ranks.
fn lbfgs<C: Collective>(comm: &C) -> Result<(f64, Vec<f64>), GdError> {
    let start = dist::shard_range(tiny_net::N, comm.rank(), comm.size()).start;
    let mut obj = dist::objective(comm, tiny_net::N, |p: &[f64], s: &[usize], g: &mut [f64]| tiny_net::loss(p, start, s, g))?;
    let solver = Lbfgs::new().with_stop(StopCriteria::new().with_max_iterations(40)?);
    let r = solver.minimize(&mut obj, &tiny_net::init());
    let r = obj.result(r)?;
    Ok((r.value, r.x))
}

/// Newton-CG on the logistic regression, value, gradient and
/// Hessian–vector products summed over the ranks.
fn newton_cg<C: Collective>(comm: &C) -> Result<(f64, Vec<f64>), GdError> {
    let start = dist::shard_range(tiny_net::N, comm.rank(), comm.size()).start;
    let mut obj = dist::objective(comm, tiny_net::N, |p: &[f64], s: &[usize], g: &mut [f64]| tiny_net::logistic(p, start, s, g))?;
    let mut hvp = dist::hvp(comm, tiny_net::N, |p: &[f64], v: &[f64], s: &[usize], out: &mut [f64]| tiny_net::logistic_hvp(p, v, start, s, out))?;
    let r = NewtonCg::new().minimize(&mut obj, |x: &[f64], v: &[f64], o: &mut [f64]| hvp.apply(x, v, o), &[0.0; 4]);
    let r = hvp.result(obj.result(r))?;
    Ok((r.value, r.x))
}

// ---------------------------------------------------------------- driver

/// One rank's outcome.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Ok { loss: f64, params: Vec<f64> },
    Err(String),
}

/// Run `scenario` on `np` ranks in a fresh directory (or `dir`); the exit
/// status and every rank's outcome (`None` for a rank that wrote none).
fn mpirun(np: usize, scenario: &str, dir: Option<&Path>) -> (std::process::ExitStatus, Vec<Option<Outcome>>) {
    let dir = dir.map(Path::to_path_buf).unwrap_or_else(|| fresh_dir(&format!("{scenario}-{np}")));
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new("mpirun")
        // --oversubscribe: more ranks than this machine's cores (4 on 2);
        // --allow-run-as-root: CI containers run as root, which Open MPI
        // refuses unless told.
        .args(["--oversubscribe", "--allow-run-as-root", "-np", &np.to_string()])
        .arg(&exe)
        .args(["--exact", "mpi_worker", "--nocapture", "--test-threads", "1"])
        .env("GD_MPI_SCENARIO", scenario)
        .env("GD_MPI_OUT", &dir)
        // In containers Open MPI's shared-memory transport cannot use
        // cross-memory attach (ptrace is not allowed) and warns; copy-in/out
        // works everywhere.
        .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "could not start mpirun ({e}). The `mpi` feature's tests run under Open MPI: \
                 install it (Debian: apt-get install openmpi-bin libopenmpi-dev), or run `sh scripts/test.sh`, which does"
            )
        });
    // A deadline, so a hang (a rank waiting for one that gave up) fails the
    // test instead of stalling it.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for mpirun") {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            let out = child.wait_with_output().expect("mpirun's output");
            panic!(
                "{scenario} on {np} ranks still running after 120 s (a hang); stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().expect("mpirun's output");
    let outcomes = (0..np)
        .map(|r| {
            let text = std::fs::read_to_string(dir.join(format!("rank{r}.txt"))).ok()?;
            Some(parse(&text))
        })
        .collect::<Vec<_>>();
    if std::env::var_os("GD_MPI_VERBOSE").is_some() {
        eprintln!("{scenario} np {np}: {status}\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
    (status, outcomes)
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gd-mpi-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn parse(text: &str) -> Outcome {
    if let Some(e) = text.strip_prefix("err ") {
        return Outcome::Err(e.to_string());
    }
    let mut nums = text.strip_prefix("ok ").expect("ok or err").split(' ').map(|v| v.parse::<f64>().expect("a number"));
    let loss = nums.next().expect("the loss");
    Outcome::Ok { loss, params: nums.collect() }
}

/// Every rank succeeded with the same bits; that outcome.
fn all_same_ok(np: usize, scenario: &str) -> (f64, Vec<f64>) {
    let (status, outs) = mpirun(np, scenario, None);
    assert!(status.success(), "{scenario} on {np} ranks: mpirun {status}");
    let first = outs[0].clone().unwrap_or_else(|| panic!("{scenario} on {np} ranks: rank 0 wrote nothing"));
    for (r, o) in outs.iter().enumerate() {
        assert_eq!(o.as_ref(), Some(&first), "{scenario} on {np} ranks: rank {r} differs from rank 0");
    }
    match first {
        Outcome::Ok { loss, params } => (loss, params),
        Outcome::Err(e) => panic!("{scenario} on {np} ranks failed: {e}"),
    }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / y.abs().max(1e-3)).fold(0.0, f64::max)
}

#[test]
fn one_two_and_four_ranks_train_to_one_process() {
    // The reference: the plain loop in this process, no MPI.
    let mut p = tiny_net::init();
    trainer()
        .fit(&mut Adam::new(0.02).unwrap(), &mut p, tiny_net::N, |p: &[f64], s: &[usize], g: &mut [f64]| tiny_net::loss(p, 0, s, g))
        .unwrap();
    let loss = tiny_net::full_loss(&p);
    assert!(loss < 0.5 * tiny_net::full_loss(&tiny_net::init()), "the reference run learns: {loss}");
    for np in [1, 2, 4] {
        let (l, q) = all_same_ok(np, "train");
        eprintln!("train on {np} ranks: final loss {l:e} (one process {loss:e}, rel {:.1e}), params max rel {:.1e}", rel(l, loss), max_rel(&q, &p));
        assert!(rel(l, loss) <= 1e-9, "{np} ranks: final loss {l:e}, one process {loss:e}");
        assert!(max_rel(&q, &p) <= 1e-9, "{np} ranks: parameters {q:?}\none process {p:?}");
    }
}

#[test]
fn lbfgs_on_one_two_and_four_ranks_agrees() {
    let (l1, p1) = all_same_ok(1, "lbfgs");
    for np in [2, 4] {
        let (l, p) = all_same_ok(np, "lbfgs");
        eprintln!("lbfgs on {np} ranks: value {l:e} (1 rank {l1:e}), params max rel {:.1e}", max_rel(&p, &p1));
        assert!(rel(l, l1) <= 1e-9, "{np} ranks: {l:e}, 1 rank {l1:e}");
        assert!(max_rel(&p, &p1) <= 1e-6, "{np} ranks: {p:?}\n1 rank {p1:?}");
    }
}

#[test]
fn newton_cg_on_one_two_and_four_ranks_agrees() {
    let (l1, p1) = all_same_ok(1, "newton_cg");
    for np in [2, 4] {
        let (l, p) = all_same_ok(np, "newton_cg");
        eprintln!("newton_cg on {np} ranks: value {l:e} (1 rank {l1:e}), params max rel {:.1e}", max_rel(&p, &p1));
        assert!(rel(l, l1) <= 1e-9, "{np} ranks: {l:e}, 1 rank {l1:e}");
        assert!(max_rel(&p, &p1) <= 1e-6, "{np} ranks: {p:?}\n1 rank {p1:?}");
    }
}

/// Every rank of `scenario` on `np` ranks returned an error containing
/// each of `needles`, the same on all.
fn all_fail_with(np: usize, scenario: &str, needles: &[&str]) {
    let (status, outs) = mpirun(np, scenario, None);
    assert!(status.success(), "{scenario} on {np} ranks: every rank returns its error and exits normally; mpirun {status}");
    let first = outs[0].clone();
    for (r, o) in outs.iter().enumerate() {
        match o {
            Some(Outcome::Err(e)) => {
                for n in needles {
                    assert!(e.contains(n), "{scenario} on {np} ranks: rank {r}'s error lacks {n:?}: {e}");
                }
                assert_eq!(o, &first, "{scenario}: rank {r}'s error differs from rank 0's");
            }
            other => panic!("{scenario} on {np} ranks: rank {r} should have failed, got {other:?}"),
        }
    }
}

#[test]
fn a_failing_rank_stops_every_rank_with_its_name() {
    all_fail_with(2, "panic", &["rank 1 of 2 failed at step", "its loss panicked: injected panic on rank 1"]);
    all_fail_with(4, "panic", &["rank 3 of 4 failed at step", "injected panic on rank 3"]);
    all_fail_with(4, "nan", &["rank 3 of 4 failed at step", "gradient[4] is NaN"]);
    all_fail_with(2, "bad_data", &["rank 1 of 2 failed", "cannot read data file /nonexistent/gd-shard.csv"]);
    all_fail_with(4, "mismatch", &["ranks disagree on n_samples: rank 0 has 203, rank 3 has 204"]);
}

#[test]
fn a_killed_run_resumes_from_its_checkpoint_to_the_same_bits() {
    let (full_loss, full) = all_same_ok(2, "ckpt_full");
    let dir = fresh_dir("ckpt-killed");
    let (status, outs) = mpirun(2, "ckpt_killed", Some(&dir));
    assert!(!status.success() && outs.iter().all(Option::is_none), "the killed run ends without a report: {status}");
    let ck: dist::Checkpoint<Adam> = dist::Checkpoint::read(&dir.join("ckpt.json")).unwrap();
    assert_eq!((ck.epochs, ck.ranks, ck.seed), (2, 2, SEED));
    let (status, outs) = mpirun(2, "ckpt_resume", Some(&dir));
    assert!(status.success(), "resume: mpirun {status}");
    for o in outs {
        assert_eq!(o, Some(Outcome::Ok { loss: full_loss, params: full.clone() }), "the resumed run ends as the uninterrupted one");
    }
}
