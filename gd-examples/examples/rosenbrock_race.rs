//! `cargo run --release -p gd-examples --example rosenbrock_race [-- --help]`
//!
//! The code is in `gd-examples/src/`; the tour runs it too.

fn main() -> std::process::ExitCode {
    gd_examples::common::example_main("rosenbrock_race", gd_examples::rosenbrock_race::run)
}
