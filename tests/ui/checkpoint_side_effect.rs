use gd::differentiable;

// A macro in the body: replaying trips would print again.
#[differentiable]
fn f(x: f64, n: usize) -> f64 {
    let mut s = x;
    #[checkpoint]
    for i in 0..n {
        s = s.sin() + x;
        println!("{i}");
    }
    s
}

fn main() {
    let _ = f(1.0, 3);
}
