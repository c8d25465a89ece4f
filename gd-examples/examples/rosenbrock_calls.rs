//! Calls one Rosenbrock variant many times, for an instruction counter
//! (`benches/instructions.sh` runs it under cachegrind, whose counts do not
//! vary with the machine's load the way criterion's times do):
//!
//!     rosenbrock_calls primal|hand|set N REPS
//!
//! `set` is the generated `value_and_grad_set`; `hand` the hand-written
//! gradient of benches/fixtures/rosenbrock.rs. Each variant sits behind
//! `#[inline(never)]`, so a call costs what it costs in an optimizer's loop.

use std::hint::black_box;

#[path = "../../benches/fixtures/rosenbrock.rs"]
mod fixture;
use fixture::{rosenbrock, rosenbrock_hand};

#[inline(never)]
fn hand(x: &[f64], g: &mut [f64]) -> f64 {
    rosenbrock_hand(x, g)
}

#[inline(never)]
fn set(x: &[f64], g: &mut [f64]) -> f64 {
    rosenbrock::value_and_grad_set(x, g)
}

#[inline(never)]
fn primal(x: &[f64]) -> f64 {
    rosenbrock(x)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: rosenbrock_calls primal|hand|set N REPS";
    let [which, n, reps] = &args[..] else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let (Ok(n), Ok(reps)) = (n.parse::<usize>(), reps.parse::<usize>()) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let x: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect();
    let mut g = vec![0.0; n];
    let mut acc = 0.0;
    for _ in 0..reps {
        acc += match which.as_str() {
            "hand" => hand(black_box(&x), black_box(&mut g)),
            "set" => set(black_box(&x), black_box(&mut g)),
            "primal" => primal(black_box(&x)),
            _ => {
                eprintln!("{usage}");
                std::process::exit(2);
            }
        };
    }
    println!("{which} n={n}: sum of values {acc}, gradient {:?}", &g[..g.len().min(2)]);
}
