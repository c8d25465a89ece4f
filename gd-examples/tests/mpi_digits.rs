//! `distributed_digits` under `mpirun` (feature `mpi`; `cargo test` builds
//! the example beside this test): 1 and 2 ranks end with the same loss and
//! parameter checksum up to rounding, every rank prints the same numbers,
//! and a data directory that cannot be read stops every rank with an error
//! that names the rank.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The example built by this `cargo test`: `target/<profile>/examples/`,
/// beside the `deps/` directory this test runs from.
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).expect("target/<profile>/deps/");
    dir.join("examples").join(format!("distributed_digits{}", std::env::consts::EXE_SUFFIX))
}

fn mpirun(np: usize, args: &[&str]) -> Output {
    let exe = example();
    // `cargo test` builds the examples beside the tests; `--test mpi_digits`
    // alone does not (then build it: `cargo build -p gd-examples --features
    // mpi --example distributed_digits`).
    assert!(exe.exists(), "{} not built: run all of `cargo test -p gd-examples --features mpi`, or build the example", exe.display());
    Command::new("mpirun")
        .args(["--oversubscribe", "--allow-run-as-root", "-np", &np.to_string()])
        .arg(&exe)
        .args(args)
        .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
        .output()
        .unwrap_or_else(|e| panic!("could not start mpirun ({e}): install Open MPI (apt-get install openmpi-bin libopenmpi-dev), or run `sh scripts/test.sh`"))
}

/// Each rank's `(final loss, checksum)`, from lines `rank r/N: … final loss L params checksum C`.
fn results(out: &Output, np: usize) -> Vec<(f64, f64)> {
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "mpirun -np {np}: {}\n{text}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let mut rows: Vec<(usize, f64, f64)> = text
        .lines()
        .filter_map(|l| {
            let rank = l.strip_prefix("rank ")?.split('/').next()?.parse().ok()?;
            let (_, tail) = l.rsplit_once("final loss ")?;
            let (loss, sum) = tail.split_once(" params checksum ")?;
            Some((rank, loss.parse().ok()?, sum.parse().ok()?))
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), (0..np).collect::<Vec<_>>(), "one line per rank:\n{text}");
    rows.into_iter().map(|(_, l, c)| (l, c)).collect()
}

#[test]
fn one_and_two_ranks_agree() {
    let one = results(&mpirun(1, &["--quick", "--no-progress"]), 1);
    let two = results(&mpirun(2, &["--quick", "--no-progress"]), 2);
    assert_eq!(two[0], two[1], "both ranks end with the same parameters");
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
    // Printed to 7 digits: equal there, up to a last-digit rounding.
    assert!(rel(two[0].0, one[0].0) < 1e-6, "loss: 2 ranks {:e}, 1 rank {:e}", two[0].0, one[0].0);
    assert!(rel(two[0].1, one[0].1) < 1e-6, "checksum: 2 ranks {:e}, 1 rank {:e}", two[0].1, one[0].1);
    assert!(one[0].0 < 0.5, "3 epochs learn the digits: loss {}", one[0].0);
}

#[test]
fn unreadable_data_stops_every_rank() {
    let out = mpirun(2, &["--quick", "--no-progress", "--data", "/nonexistent-gd-data"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    for r in 0..2 {
        let line = text.lines().find(|l| l.starts_with(&format!("rank {r}/2: error: "))).unwrap_or_else(|| panic!("rank {r} reports:\n{text}"));
        assert!(line.contains("rank 0 of 2 failed") && line.contains("/nonexistent-gd-data"), "{line}");
    }
}
