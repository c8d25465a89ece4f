use gd::differentiable;

#[differentiable]
fn squares(x: &[f64]) -> Vec<f64> {
    let mut v = Vec::new();
    for i in 0..x.len() {
        v.push(x[i] * x[i]);
    }
    v
}

// Without a type (`let v: Vec<f64> = squares(x);`) the call is taken to
// return a float.
#[differentiable]
fn indexed(x: &[f64]) -> f64 {
    let v = squares(x);
    v[0]
}

// Iterating over a call's result needs it bound by `let` first.
#[differentiable]
fn iterated(x: &[f64]) -> f64 {
    squares(x).iter().sum::<f64>()
}

fn main() {
    let _ = (indexed(&[1.0]), iterated(&[1.0]));
}
