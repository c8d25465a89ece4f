use gd::differentiable;

macro_rules! sq {
    ($e:expr) => {
        $e * $e
    };
}

#[differentiable]
fn f(x: f64) -> f64 {
    sq!(x) + 1.0
}

fn main() {
    let _ = f(1.0);
}
