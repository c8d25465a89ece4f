//! `cargo run --release -p gd-examples --example digits [-- --help]`
//!
//! The code is in `gd-examples/src/`; the tour runs it too.

fn main() -> std::process::ExitCode {
    gd_examples::common::example_main("digits", gd_examples::digits::run)
}
