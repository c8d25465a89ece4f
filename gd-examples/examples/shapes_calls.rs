//! Calls one variant of one shape of the benchmark zoo many times, for an
//! instruction counter (`benches/shapes_instructions.sh` runs it under
//! cachegrind):
//!
//!     shapes_calls SHAPE primal|hand|set|vag|hand_vec N REPS
//!     shapes_calls --list
//!
//! Each call goes through the registry's function pointer
//! (benches/fixtures/shapes/), so it costs what one call costs; `vag` and
//! `hand_vec` return a new `Vec`, freed after each call (as in criterion's
//! `shapes/<shape>/vag` and `hand_vec`).

use std::hint::black_box;

#[path = "../../benches/fixtures/shapes/mod.rs"]
mod shapes;
use shapes::{Real, Shape, F32, F64};

fn run<F: Real>(s: &Shape<F>, variant: &str, n: usize, reps: usize) -> Option<f64> {
    let p = (s.setup)(n);
    let mut g = vec![F::default(); p.x.len()];
    let mut acc = 0.0;
    for _ in 0..reps {
        let v = match variant {
            "primal" => (s.primal)(black_box(&p)),
            "hand" => (s.hand)(black_box(&p), black_box(&mut g)),
            "set" => (s.set)(black_box(&p), black_box(&mut g)),
            "vag" => returned((s.vag)(black_box(&p))),
            "hand_vec" => returned((s.hand_vec)(black_box(&p))),
            _ => return None,
        };
        acc += v.into();
    }
    Some(acc + g.first().map_or(0.0, |&v| v.into()))
}

/// The value of a call that returns its gradient, the `Vec` kept alive
/// until here (so that its allocation and free are part of the call).
fn returned<F: Real>((v, g): (F, Vec<F>)) -> F {
    black_box(g);
    v
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") {
        F64.iter().map(|s| s.name).chain(F32.iter().map(|s| s.name)).for_each(|name| println!("{name}"));
        return;
    }
    let usage = "usage: shapes_calls SHAPE primal|hand|set|vag|hand_vec N REPS, or shapes_calls --list";
    let parsed = match &args[..] {
        [shape, variant, n, reps] => n.parse::<usize>().ok().zip(reps.parse::<usize>().ok()).map(|(n, r)| (shape, variant, n, r)),
        _ => None,
    };
    let Some((shape, variant, n, reps)) = parsed else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let out = match (F64.iter().find(|s| s.name == shape), F32.iter().find(|s| s.name == shape)) {
        (Some(s), _) => run(s, variant, n, reps),
        (None, Some(s)) => run(s, variant, n, reps),
        (None, None) => None,
    };
    match out {
        Some(acc) => println!("{shape} {variant} n={n}: {acc}"),
        None => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}
