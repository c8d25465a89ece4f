//! Inputs that `#[differentiable]` must reject with a compile error that points
//! at the offending code, names the construct and says what is supported.
//! Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test --test compile_fail` and read every diff.

#[test]
fn rejected_inputs() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
