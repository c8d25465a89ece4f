//! `cargo run --release -p gd-examples --example batch_modes [-- --help]`
//!
//! The code is in `gd-examples/src/`; the tour runs it too.

fn main() -> std::process::ExitCode {
    gd_examples::common::example_main("batch_modes", gd_examples::batch_modes::run)
}
