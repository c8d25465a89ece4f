//! gd's generated code in a user crate of edition 2024: the tests of
//! matrix-valued calls (closures returned as `impl FnOnce + 'gd`, the
//! edition's capture rules), of accumulator loops and of `#[checkpoint]`
//! loops, compiled here as they are in the main suite (edition 2021).

#[path = "../../tests/ad_matrix_calls.rs"]
mod matrix_calls;

#[path = "../../tests/ad_fused.rs"]
mod fused;

// `#[checkpoint]` loops: the schedule's generated match, tuples of state and
// `while let` under the edition's scoping rules.
#[path = "../../tests/ad_checkpoint.rs"]
mod checkpoint;
