use gd::differentiable;

#[differentiable]
fn f(x: f64) -> Vec<f64> {
    if x < 0.0 {
        return vec![0.0, 0.0];
    }
    vec![x, x * x]
}

fn main() {}
