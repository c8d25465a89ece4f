use gd::differentiable;

// Differentiable, but not printed for the device.
#[differentiable]
fn helper(a: f32) -> f32 {
    a.sin()
}

#[differentiable(cuda)]
fn f(x: f32) -> f32 {
    helper(x) * x
}

fn main() {
    let _ = f(1.0);
}
