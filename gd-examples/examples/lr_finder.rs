//! `cargo run --release -p gd-examples --example lr_finder [-- --help]`
//!
//! The code is in `gd-examples/src/`; the tour runs it too.

fn main() -> std::process::ExitCode {
    gd_examples::common::example_main("lr_finder", gd_examples::digits::run_lr_find)
}
