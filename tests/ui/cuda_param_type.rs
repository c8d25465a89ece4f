use gd::differentiable;

#[differentiable(cuda)]
fn f(x: f32, xs: Vec<f32>) -> f32 {
    x * xs[0]
}

fn main() {
    let _ = f(1.0, vec![2.0]);
}
