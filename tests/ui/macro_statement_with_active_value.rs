use gd::differentiable;

macro_rules! add_to {
    ($a:ident, $b:expr) => {
        $a += $b;
    };
}

#[differentiable]
fn f(x: f64) -> f64 {
    let mut s = 1.0;
    add_to!(s, x * x);
    s
}

fn main() {}
