// A pointer to a differentiated value would read it back past the macro
// (without its derivative): only casts to the function's float type and to
// integers are allowed.
use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let p = &x as *const f64;
    let y = unsafe { *p };
    y * y
}

fn main() {}
