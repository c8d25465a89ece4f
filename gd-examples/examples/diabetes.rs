//! `cargo run --release -p gd-examples --example diabetes [-- --help]`
//!
//! The code is in `gd-examples/src/`; the tour runs it too.

fn main() -> std::process::ExitCode {
    gd_examples::common::example_main("diabetes", gd_examples::diabetes::run)
}
