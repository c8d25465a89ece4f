//! `cargo run --release -p gd-examples --example breast_cancer [-- --help]`
//!
//! The code is in `gd-examples/src/`; the tour runs it too.

fn main() -> std::process::ExitCode {
    gd_examples::common::example_main("breast_cancer", gd_examples::breast_cancer::run)
}
