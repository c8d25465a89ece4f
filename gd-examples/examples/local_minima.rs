//! `cargo run --release -p gd-examples --example local_minima [-- --help]`
//!
//! The code is in `gd-examples/src/`; the tour runs it too.

fn main() -> std::process::ExitCode {
    gd_examples::common::example_main("local_minima", gd_examples::local_minima::run)
}
