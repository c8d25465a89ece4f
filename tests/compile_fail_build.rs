//! Inputs that `#[differentiable]` rejects when code is generated (`cargo
//! build`), not when checked: a post-monomorphization error, raised only
//! where the rejected code is used. The `pass` case makes trybuild build
//! rather than check every case, and shows that the same input builds when
//! the code is not used. Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test --test compile_fail_build` and read it.

#[test]
fn rejected_when_built() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui_build/custom_rule_first_order_only.rs");
    t.compile_fail("tests/ui_build/custom_rule_hessian_without_hvp_rule.rs");
}
