// A matrix-valued differentiable function called without a type on the
// binding: the macro cannot see the callee's signature and takes the result
// for a float; the error says how to bind it.
use gd::differentiable;
use gd::nalgebra::DMatrix;

#[differentiable]
fn forward(w: &DMatrix<f64>, x: &DMatrix<f64>) -> DMatrix<f64> {
    w * x
}

#[differentiable(wrt(w))]
fn loss(w: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let h = forward(w, x);
    h.norm_squared()
}


// Used in place, without a binding.
#[differentiable(wrt(w))]
fn loss_in_place(w: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    forward(w, x).sum()
}

fn main() {}
