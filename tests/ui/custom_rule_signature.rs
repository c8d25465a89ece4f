// A hand-written rule whose signature is not the one the function needs:
// one error, at the rule's name, showing both signatures.
use gd::differentiable;

// The gradient in the wrong precision.
fn bad_rule(x: f64) -> (f64, f32) {
    (x, 1.0)
}

#[differentiable(value_and_grad = bad_rule)]
fn sq(x: f64) -> f64 {
    x * x
}

// One parameter too many.
fn rule2(x: f64, y: f64) -> (f64, f64) {
    (x + y, 1.0)
}

#[differentiable(value_and_grad = rule2)]
fn cube(x: f64) -> f64 {
    x * x * x
}

fn first_rule(x: &[f64]) -> (f64, Vec<f64>) {
    let mut g = vec![0.0; x.len()];
    g[0] = 1.0;
    (x[0], g)
}

// The tangent of an array parameter is a slice, not a float.
fn first_hvp(x: &[f64], t: f64) -> (f64, Vec<f64>, Vec<f64>) {
    (x[0] * t, vec![1.0; x.len()], vec![0.0; x.len()])
}

#[differentiable(value_and_grad = first_rule, hvp = first_hvp)]
fn first(x: &[f64]) -> f64 {
    x[0]
}

fn main() {
    println!("{:?} {:?} {:?}", sq::grad(1.0), cube::grad(1.0), first::grad(&[1.0]));
}
