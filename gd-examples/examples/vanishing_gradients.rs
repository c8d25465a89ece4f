//! `cargo run --release -p gd-examples --example vanishing_gradients [-- --help]`
//!
//! The code is in `gd-examples/src/`; the tour runs it too.

fn main() -> std::process::ExitCode {
    gd_examples::common::example_main("vanishing_gradients", gd_examples::vanishing::run)
}
