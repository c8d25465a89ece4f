//! `cargo run --release -p gd-examples --example learning_rates [-- --help]`
//!
//! The code is in `gd-examples/src/`; the tour runs it too.

fn main() -> std::process::ExitCode {
    gd_examples::common::example_main("learning_rates", gd_examples::learning_rates::run)
}
