// Code kept as written (a printing or assertion macro's arguments, a
// condition, a match guard) that reads differentiated values may not assign:
// the assignment would not be differentiated (`s` kept `x`'s value but not
// its derivative).
use gd::differentiable;

#[differentiable]
fn in_assert(x: f64) -> f64 {
    let mut s = 0.0;
    assert!({ s = s + x; true });
    s * s
}

#[differentiable]
fn in_condition(x: f64) -> f64 {
    let mut s = 0.0;
    if { s += x; s > 0.0 } {
        s * s
    } else {
        x
    }
}

#[differentiable]
fn in_println(x: f64, v: &mut Vec<f64>) -> f64 {
    println!("{:?}", std::mem::replace(&mut v[0], x));
    v[0] * x
}

#[differentiable]
fn in_guard(x: f64, k: usize) -> f64 {
    let mut s = 1.0;
    match k {
        0 if { s = x * 2.0; s > 1.0 } => s,
        _ => s * x,
    }
}

fn main() {}
