//! The tour of gd: every example in order, a short report each, plots in
//! one folder.
//!
//! `cargo run --release -p gd-examples [-- --quick --out DIR --data DIR]`

use std::process::ExitCode;
use std::time::Instant;

use gd_examples::common::{parse_args, usage, Parsed};
use gd_examples::EXAMPLES;

fn main() -> ExitCode {
    let program = "cargo run --release -p gd-examples --";
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Help) => {
            println!("{}", usage(program));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n{}", usage(program));
            return ExitCode::from(2);
        }
    };
    println!("gd — a tour: ordinary Rust functions, derivatives written by the compiler\n");
    let t0 = Instant::now();
    let mut failed = Vec::new();
    for (name, run) in EXAMPLES {
        let t = Instant::now();
        match run(&args) {
            Ok(report) => {
                print!("{report}");
                println!("  ({:.1} s; alone: cargo run --release -p gd-examples --example {name})\n", t.elapsed().as_secs_f64());
            }
            Err(e) => {
                println!("── {name}: FAILED: {e}\n");
                failed.push(*name);
            }
        }
    }
    println!("tour done in {:.1} s", t0.elapsed().as_secs_f64());
    if args.plots {
        let dir = args.out_dir.canonicalize().unwrap_or_else(|_| args.out_dir.clone());
        println!("plots (SVG): {}", dir.display());
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("failed: {}", failed.join(", "));
        ExitCode::from(1)
    }
}
