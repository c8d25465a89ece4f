//! Calls one Rosenbrock variant many times, for an instruction counter
//! (`benches/instructions.sh` runs it under cachegrind, whose counts do not
//! vary with the machine's load the way criterion's times do):
//!
//!     rosenbrock_calls primal|hand|set N REPS
//!
//! `set` is the generated `value_and_grad_set`; `hand` the hand-written
//! gradient of benches/ad_gradient.rs. Each variant sits behind
//! `#[inline(never)]`, so a call costs what it costs in an optimizer's loop.

use gd::differentiable;
use std::hint::black_box;

#[differentiable]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..x.len() / 2 {
        let i = 2 * k;
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

#[inline(never)]
fn hand(x: &[f64], g: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for (xp, gp) in x.chunks_exact(2).zip(g.chunks_exact_mut(2)) {
        let (x0, x1) = (xp[0], xp[1]);
        let a = x1 - x0 * x0;
        let b = 1.0 - x0;
        s += 100.0 * a * a + b * b;
        gp[0] = -400.0 * a * x0 - 2.0 * b;
        gp[1] = 200.0 * a;
    }
    s
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
