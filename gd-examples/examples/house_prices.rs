//! `cargo run --release -p gd-examples --example house_prices [-- --help]`
//!
//! The code is in `gd-examples/src/`; the tour runs it too.

fn main() -> std::process::ExitCode {
    gd_examples::common::example_main("house_prices", gd_examples::house_prices::run)
}
