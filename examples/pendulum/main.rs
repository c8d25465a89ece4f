//! Peak memory and time of the pendulum's gradient (see `model.rs`), one
//! mode per process so that the peak resident set (`VmHWM` in
//! /proc/self/status) is that mode's alone:
//!
//! ```text
//! cargo run --release --example pendulum -- STEPS primal|plain|ckpt
//! ```
//!
//! prints `mode steps peak_rss_MB baseline_rss_MB seconds value grad0 grad1`
//! (`baseline`: the resident set before the run, i.e. the program itself;
//! seconds: the fastest of a few runs). `benches/checkpoint.sh` runs the
//! README's table.

mod model;

use std::time::Instant;

/// A line of /proc/self/status in MB (Linux; 0 elsewhere).
fn status_mb(key: &str) -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let steps: usize = args.get(1).and_then(|s| s.parse::<f64>().ok()).map_or(2_000_000, |s| s as usize);
    let mode = args.get(2).map_or("ckpt", |s| s.as_str());
    let base = status_mb("VmRSS:");
    let p = model::P;
    // Fewer repetitions for long runs: the time is the fastest one.
    let reps = if steps >= 5_000_000 { 2 } else if steps >= 100_000 { 3 } else { 20 };
    let mut best = f64::INFINITY;
    let mut out = (0.0, vec![0.0; 2]);
    for _ in 0..reps {
        let t = Instant::now();
        out = match mode {
            "primal" => (model::plain(std::hint::black_box(&p), steps), vec![f64::NAN; 2]),
            "plain" => model::plain::value_and_grad(std::hint::black_box(&p), steps),
            "ckpt" => model::ckpt::value_and_grad(std::hint::black_box(&p), steps),
            _ => panic!("mode: primal, plain or ckpt"),
        };
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!("{mode} {steps} {:.1} {:.1} {:.6} {:.12e} {:.12e} {:.12e}", status_mb("VmHWM:"), base, best, out.0, out.1[0], out.1[1]);
}
