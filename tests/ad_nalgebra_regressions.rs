//! Code over matrices that once failed to compile or gave a wrong result,
//! each checked against central differences (found by the oracle tests in
//! ad_nalgebra_oracles.rs).

use gd::differentiable;
use gd::nalgebra::{DMatrix, DVector};

mod common;

/// Central differences of `f` at `x` over every element.
fn fd(f: impl Fn(&DMatrix<f64>) -> f64, x: &DMatrix<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| {
        let h = 1e-6 * x[(i, j)].abs().max(1.0);
        let (mut a, mut b) = (x.clone(), x.clone());
        a[(i, j)] += h;
        b[(i, j)] -= h;
        (f(&a) - f(&b)) / (2.0 * h)
    })
}

fn close(a: &DMatrix<f64>, b: &DMatrix<f64>) {
    assert!((a - b).amax() < 1e-7 * (1.0 + b.amax()), "{a} vs {b}");
}

fn lower() -> DMatrix<f64> {
    DMatrix::from_fn(3, 3, |i, j| if j <= i { 1.0 + 0.3 * i as f64 - 0.1 * j as f64 } else { 0.0 })
}

// A range bounded by a shape query of a differentiated matrix.
#[differentiable]
fn log_det_tri(l: &DMatrix<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..l.nrows() {
        s -= l[(i, i)].ln();
    }
    s
}

#[test]
fn range_over_a_shape_query() {
    let l = lower();
    close(&log_det_tri::grad(&l), &fd(log_det_tri, &l));
}

#[derive(Clone, Debug, gd::Params)]
struct Lin {
    w: DMatrix<f64>,
    bias: f64,
    layers: Vec<Part>,
}

#[derive(Clone, Debug, gd::Params)]
struct Part {
    b: DVector<f64>,
}

// `let mut` copies of a parameter's field, and of a by-value matrix parameter.
#[differentiable(wrt(p))]
fn mut_copy(p: &Lin) -> f64 {
    let mut s = p.bias;
    s += p.w.sum();
    s * s + p.layers[0].b.sum() + p.layers[0].b.norm() + p.layers[0].b.clone().dot(&p.layers[0].b)
}

#[differentiable]
fn mut_param_copy(a: DMatrix<f64>) -> f64 {
    let mut h = a;
    h = &h * 2.0;
    h.norm_squared()
}

#[test]
fn mutable_copies_of_parameters_and_methods_through_indices() {
    use gd::Params;
    let p = Lin { w: lower(), bias: 0.4, layers: vec![Part { b: DVector::from_vec(vec![0.5, -1.0, 2.0]) }] };
    let g = mut_copy::grad(&p);
    let flat = p.to_vec();
    let gf = g.to_vec();
    let mut q = p.clone();
    for k in 0..flat.len() {
        let mut x = flat.clone();
        let h = 1e-6 * x[k].abs().max(1.0);
        x[k] += h;
        q.set_from_slice(&x).unwrap();
        let fp = mut_copy(&q);
        x[k] -= 2.0 * h;
        q.set_from_slice(&x).unwrap();
        let d = (fp - mut_copy(&q)) / (2.0 * h);
        assert!((d - gf[k]).abs() < 1e-6 * (1.0 + d.abs()), "{k}: {d} vs {}", gf[k]);
    }
    let a = lower();
    close(&mut_param_copy::grad(a.clone()), &fd(|x| mut_param_copy(x.clone()), &a));
}

// A data matrix through stop_gradient, scaled and shifted by a float; the
// float is the only differentiated parameter (no dual copy over matrices).
#[differentiable(wrt(t))]
fn stopped(t: f64, a: &DMatrix<f64>) -> f64 {
    let d = gd::stop_gradient(a.clone());
    (&d * t).sum() + d.add_scalar(t).norm_squared()
}

// Data parameters behind references keep their type in hvp/hessian.
#[differentiable(wrt(w))]
fn indexed(w: &[f64], d: &Vec<usize>) -> f64 {
    w[d[0]] * w[d[0]] * w[d[1]]
}

#[test]
fn float_parameter_with_matrix_data() {
    let a = lower();
    let (t, h) = (0.7, 1e-6);
    let g = stopped::grad(t, &a);
    let d = (stopped(t + h, &a) - stopped(t - h, &a)) / (2.0 * h);
    assert!((g - d).abs() < 1e-6 * (1.0 + d.abs()));
    let (_, tan) = stopped::jvp(t, &a, 1.0);
    assert!((tan - g).abs() < 1e-12 * (1.0 + g.abs()));

    let d = vec![1, 2];
    let w = [0.5, 1.5, -2.0];
    let (_, gw, hess) = indexed::hessian(&w, &d);
    assert_eq!(gw, vec![0.0, 2.0 * 1.5 * -2.0, 1.5 * 1.5]);
    assert_eq!(hess[(1, 1)], 2.0 * -2.0);
    assert_eq!(hess[(1, 2)], 2.0 * 1.5);
}

// The value of `norm_squared` is nalgebra's, bit for bit.
#[differentiable]
fn norms(m: &DMatrix<f64>) -> f64 {
    m.norm_squared() + m.norm()
}

#[test]
fn matrix_norms_are_nalgebras() {
    for s in 0..40 {
        let m = DMatrix::from_fn(3, 3, |i, j| ((s * 31 + i * 7 + j * 13) % 17) as f64 * 0.37 - 2.9);
        assert_eq!(norms::value_and_grad(&m).0, norms(&m));
    }
}

// A matrix carried by a loop that starts from data: the first trip's
// reverse is emitted with it passive (no adjoint made for the data), the
// other trips take it; 0, 1 and 3 trips, and a start that is a
// differentiated value (the header keeps its adjoint on every trip).
#[differentiable(wrt(w))]
fn from_data(w: &DMatrix<f64>, x: &DMatrix<f64>, trips: usize) -> f64 {
    let mut h = x.clone();
    for _ in 0..trips {
        h = (w * &h).map(|v| v.tanh());
    }
    h.norm_squared() + h.sum()
}

#[differentiable]
fn from_param(w: &DMatrix<f64>, trips: usize) -> f64 {
    let mut h = w.clone();
    for _ in 0..trips {
        h = (w * &h).map(|v| v.sin());
    }
    h.sum()
}

#[test]
fn a_carried_matrix_from_data_takes_no_adjoint_on_its_first_trip() {
    let w = DMatrix::from_fn(3, 3, |i, j| 0.4 * ((i * 3 + j) as f64 * 0.7).sin());
    let x = DMatrix::from_fn(3, 2, |i, j| 0.5 - 0.3 * i as f64 + 0.2 * j as f64);
    for trips in [0, 1, 3] {
        close(&from_data::grad(&w, &x, trips), &fd(|w| from_data(w, &x, trips), &w));
        close(&from_param::grad(&w, trips), &fd(|w| from_param(w, trips), &w));
        // Second order through the dual copy of the same sweep.
        let v = DMatrix::from_fn(3, 3, |i, j| 0.1 * (i as f64 - j as f64));
        let shifted = |s: f64| from_data::grad(&(&w + &v * s), &x, trips);
        close(&from_data::hvp(&w, &x, trips, &v), &((shifted(1e-5) - shifted(-1e-5)) / 2e-5));
    }
}

// A product with a loop's item over data (`w * x` for `x` in `xs.iter()`):
// the item was taken for a parameter and borrowed by a value saved per
// trip, past the trip ("`x` does not live long enough"); it is copied now.
#[differentiable(wrt(w))]
fn over_items(w: &DMatrix<f64>, xs: &[DVector<f64>]) -> f64 {
    let mut s = 0.0;
    for x in xs.iter() {
        let z = w * x;
        s += z.map(|v| v.tanh()).norm_squared();
    }
    s
}

#[test]
fn a_product_with_a_loop_item() {
    let w = DMatrix::from_fn(2, 3, |i, j| 0.3 * i as f64 - 0.2 * j as f64 + 0.1);
    let xs = vec![DVector::from_vec(vec![1.0, 2.0, -0.5]), DVector::from_vec(vec![-1.0, 0.5, 0.25])];
    close(&over_items::grad(&w, &xs), &fd(|w| over_items(w, &xs), &w));
}

// A method of a data struct's matrix field with a differentiated argument
// (`batch.y.dot(&v)`): the macro cannot see the field's type; the argument
// says it is a matrix (it took it for a float and refused `dot`).
#[derive(Clone)]
struct Batch {
    y: DMatrix<f64>,
}

#[differentiable(wrt(v))]
fn field_receiver(batch: &Batch, v: &DMatrix<f64>) -> f64 {
    let z = batch.y.dot(v);
    z * z + batch.y.component_mul(v).sum() + (&batch.y).component_div(&v.add_scalar(3.0)).sum()
}

#[test]
fn a_data_fields_method_with_a_matrix_argument() {
    let batch = Batch { y: DMatrix::from_fn(2, 2, |i, j| 0.5 + i as f64 - 0.3 * j as f64) };
    let v = DMatrix::from_fn(2, 2, |i, j| 0.2 * i as f64 - 0.1 + 0.4 * j as f64);
    let (val, g) = field_receiver::value_and_grad(&batch, &v);
    assert_eq!(val, field_receiver(&batch, &v));
    close(&g, &fd(|v| field_receiver(&batch, v), &v));
}

// `map` with a float method named as a path.
#[differentiable]
fn map_path(w: &DMatrix<f64>) -> f64 {
    w.map(f64::tanh).sum() + w.map(|v| v * v).map(f64::sqrt).sum()
}

#[test]
fn matrix_map_with_a_method_path() {
    let w = DMatrix::from_fn(2, 3, |i, j| 0.3 + 0.2 * i as f64 - 0.15 * j as f64);
    let (val, g) = map_path::value_and_grad(&w);
    assert_eq!(val, map_path(&w));
    close(&g, &fd(map_path, &w));
}
