//! Functions of nalgebra matrices and vectors: the generated gradient against
//! central differences over every element, and forward mode against reverse.

use gd::differentiable;
use gd::nalgebra::{DMatrix, DVector};

mod common;

#[differentiable]
fn quad(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let y = a * x;
    y.dot(&y) + 0.5 * x.norm_squared()
}

#[test]
fn matrix_vector_product() {
    let a = DMatrix::from_fn(3, 4, |i, j| (i as f64 + 1.0) * 0.3 - j as f64 * 0.2);
    let x = DVector::from_fn(4, |i, _| 0.1 * i as f64 - 0.2);
    let (v, (ga, gx)) = quad::value_and_grad(&a, &x);
    assert!((v - quad(&a, &x)).abs() < 1e-14);
    // Hand-derived: d/dA = 2 (A x) xᵀ, d/dx = 2 Aᵀ A x + x.
    let y = &a * &x;
    let ga_hand = 2.0 * &y * x.transpose();
    let gx_hand = 2.0 * a.transpose() * &y + &x;
    assert!((&ga - &ga_hand).norm() < 1e-12, "{ga} vs {ga_hand}");
    assert!((gx - gx_hand).norm() < 1e-12);
}

#[derive(Clone, Debug, gd::Params)]
struct Layer {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

#[derive(Clone, Debug, gd::Params)]
struct Mlp {
    layers: Vec<Layer>,
    scale: f64,
}

/// Batched MLP: tanh hidden layers, softmax cross-entropy over the columns of `x`.
#[differentiable(wrt(p))]
fn mlp_loss(p: &Mlp, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let n = x.ncols();
    let ones = DVector::from_element(n, 1.0);
    let mut h = x.clone();
    for (l, layer) in p.layers.iter().enumerate() {
        let z = &layer.w * &h + &layer.b * ones.transpose();
        h = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z * p.scale };
    }
    let mut total = 0.0;
    for j in 0..n {
        let col = h.column(j);
        let m = gd::stop_gradient(col.max());
        let lse = col.add_scalar(-m).map(|v| v.exp()).sum().ln() + m;
        total += lse - col[labels[j]];
    }
    total / n as f64
}

/// The gradient `g` of `f` at `p` against central differences over every
/// flattened parameter.
fn assert_fd(p: &Mlp, g: &Mlp, tol: f64, f: impl Fn(&Mlp) -> f64) {
    use gd::Params;
    let (flat, gflat) = (p.to_vec(), g.to_vec());
    assert_eq!(flat.len(), gflat.len());
    let mut q = p.clone();
    for k in 0..flat.len() {
        let h = 1e-6 * flat[k].abs().max(1.0);
        let mut xp = flat.clone();
        xp[k] += h;
        q.set_from_slice(&xp).unwrap();
        let fp = f(&q);
        xp[k] -= 2.0 * h;
        q.set_from_slice(&xp).unwrap();
        let fd = (fp - f(&q)) / (2.0 * h);
        assert!((fd - gflat[k]).abs() < tol * (1.0 + fd.abs()), "param {k}: fd {fd} vs grad {}", gflat[k]);
    }
}

fn mlp_fixture() -> (Mlp, DMatrix<f64>, Vec<usize>) {
    let sizes = [4, 5, 3];
    let layers = sizes
        .windows(2)
        .enumerate()
        .map(|(l, s)| Layer {
            w: DMatrix::from_fn(s[1], s[0], |i, j| ((i * 7 + j * 3 + l) % 11) as f64 * 0.1 - 0.5),
            b: DVector::from_fn(s[1], |i, _| 0.05 * i as f64 - 0.1),
        })
        .collect();
    let x = DMatrix::from_fn(4, 6, |i, j| ((i + 2 * j) % 5) as f64 * 0.3 - 0.6);
    (Mlp { layers, scale: 1.3 }, x, vec![0, 2, 1, 1, 0, 2])
}

#[test]
fn mlp_struct_gradient_matches_finite_differences() {
    let (p, x, y) = mlp_fixture();
    let (v, g) = mlp_loss::value_and_grad(&p, &x, &y);
    assert!((v - mlp_loss(&p, &x, &y)).abs() < 1e-14);
    assert_fd(&p, &g, 1e-7, |q| mlp_loss(q, &x, &y));
}

#[test]
fn forward_mode_matches_reverse() {
    use gd::Params;
    let a = DMatrix::from_fn(3, 4, |i, j| (i as f64 + 1.0) * 0.3 - j as f64 * 0.2);
    let x = DVector::from_fn(4, |i, _| 0.1 * i as f64 - 0.2);
    let ta = DMatrix::from_fn(3, 4, |i, j| ((i * 5 + j) % 7) as f64 * 0.1 - 0.3);
    let tx = DVector::from_fn(4, |i, _| 0.3 - 0.2 * i as f64);
    let (ga, gx) = quad::grad(&a, &x);
    let (v, dv) = quad::jvp(&a, &x, &ta, &tx);
    assert!((v - quad(&a, &x)).abs() < 1e-14);
    let expect = Params::dot(&ga, &ta) + Params::dot(&gx, &tx);
    assert!((dv - expect).abs() < 1e-12 * (1.0 + expect.abs()), "{dv} vs {expect}");

    let (p, xs, y) = mlp_fixture();
    let g = mlp_loss::grad(&p, &xs, &y);
    let mut t = p.zeros_like();
    let dir: Vec<f64> = (0..p.num_params()).map(|k| ((k * 37) % 11) as f64 * 0.1 - 0.5).collect();
    t.set_from_slice(&dir).unwrap();
    let (_, dv) = mlp_loss::jvp(&p, &xs, &y, &t);
    let expect = g.dot(&t);
    assert!((dv - expect).abs() < 1e-12 * (1.0 + expect.abs()), "{dv} vs {expect}");
}

/// A shape mismatch panics in the generated code with nalgebra's own message,
/// the one the primal function gives.
#[test]
fn shape_mismatch_panics_like_the_primal() {
    let a = DMatrix::from_element(3, 4, 1.0);
    let x = DVector::from_element(5, 1.0);
    let msg = |r: std::thread::Result<f64>| -> String {
        let e = r.unwrap_err();
        e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap()
    };
    let primal = msg(std::panic::catch_unwind(|| quad(&a, &x)));
    let generated = msg(std::panic::catch_unwind(|| quad::value_and_grad(&a, &x).0));
    assert_eq!(primal, generated);
    let forward = msg(std::panic::catch_unwind(|| quad::jvp(&a, &x, &a, &x).0));
    assert_eq!(primal, forward);
}

/// Second order over matrices and structs: `hvp` against central differences
/// of the generated gradient, `hessian` against `hvp` column by column, and
/// against the hand-derived Hessian of `quad` in `x`.
#[test]
fn hvp_and_hessian_over_matrices_and_structs() {
    use gd::Params;
    let a = DMatrix::from_fn(3, 4, |i, j| (i as f64 + 1.0) * 0.3 - j as f64 * 0.2);
    let x = DVector::from_fn(4, |i, _| 0.1 * i as f64 - 0.2);
    let (v, (ga, gx), h) = quad::hessian(&a, &x);
    assert_eq!(v, quad(&a, &x));
    let (ga2, gx2) = quad::grad(&a, &x);
    assert!((&ga - &ga2).amax() < 1e-14 && (&gx - &gx2).amax() < 1e-14);
    let n = a.len() + x.len();
    assert_eq!(h.shape(), (n, n));
    // d²/dx² = 2 AᵀA + I: the block of the last 4 rows and columns.
    let hxx = 2.0 * a.transpose() * &a + DMatrix::identity(4, 4);
    assert!((h.view((12, 12), (4, 4)) - &hxx).amax() < 1e-12, "{h}");
    assert!((&h - h.transpose()).amax() < 1e-12);
    // hvp along (ta, tx) is the Hessian times the flattened direction.
    let ta = DMatrix::from_fn(3, 4, |i, j| ((i * 5 + j) % 7) as f64 * 0.1 - 0.3);
    let tx = DVector::from_fn(4, |i, _| 0.3 - 0.2 * i as f64);
    let (ha, hx) = quad::hvp(&a, &x, &ta, &tx);
    let mut dir = ta.as_slice().to_vec();
    dir.extend(tx.iter());
    let hv = &h * DVector::from_vec(dir);
    assert!((DVector::from_column_slice(ha.as_slice()) - hv.rows(0, 12)).amax() < 1e-12);
    assert!((hx - hv.rows(12, 4)).amax() < 1e-12);

    // The MLP: hvp against central differences of the gradient.
    let (p, xs, y) = mlp_fixture();
    let mut t = p.zeros_like();
    let dir: Vec<f64> = (0..p.num_params()).map(|k| ((k * 37) % 11) as f64 * 0.1 - 0.5).collect();
    t.set_from_slice(&dir).unwrap();
    let hv = mlp_loss::hvp(&p, &xs, &y, &t).to_vec();
    let eps = 1e-5;
    let shifted = |s: f64| {
        let mut q = p.clone();
        q.axpy(s, &t);
        mlp_loss::grad(&q, &xs, &y).to_vec()
    };
    let (gp, gm) = (shifted(eps), shifted(-eps));
    for k in 0..hv.len() {
        let fd = (gp[k] - gm[k]) / (2.0 * eps);
        assert!((fd - hv[k]).abs() < 1e-6 * (1.0 + fd.abs()), "{k}: {fd} vs {}", hv[k]);
    }
    let (_, _, hm) = mlp_loss::hessian(&p, &xs, &y);
    let hd = &hm * DVector::from_vec(dir);
    assert!(hv.iter().zip(hd.iter()).all(|(a, b)| (a - b).abs() < 1e-12), "hessian · v vs hvp");
}

/// A layer's output as an nalgebra vector: `vjp`, `jvp` and `jacobian`.
#[differentiable(wrt(w, b))]
fn layer_out(w: &DMatrix<f64>, b: &DVector<f64>, x: &DVector<f64>) -> DVector<f64> {
    (w * x + b).map(|v| v.tanh())
}

#[test]
fn nalgebra_vector_output_jacobian() {
    let w = DMatrix::from_fn(3, 2, |i, j| 0.2 * i as f64 - 0.3 * j as f64 + 0.1);
    let b = DVector::from_vec(vec![0.1, -0.2, 0.3]);
    let x = DVector::from_vec(vec![0.7, -1.1]);
    let (y, jac) = layer_out::jacobian(&w, &b, &x);
    assert_eq!(y, layer_out(&w, &b, &x));
    assert_eq!(jac.shape(), (3, 6 + 3));
    // Hand-derived: ∂y_i/∂W_ij = (1 - y_i²) x_j, ∂y_i/∂b_i = 1 - y_i².
    for i in 0..3 {
        let s = 1.0 - y[i] * y[i];
        for j in 0..2 {
            for r in 0..3 {
                let expect = if r == i { s * x[j] } else { 0.0 };
                assert!((jac[(i, r + 3 * j)] - expect).abs() < 1e-14);
            }
        }
        for r in 0..3 {
            let expect = if r == i { s } else { 0.0 };
            assert!((jac[(i, 6 + r)] - expect).abs() < 1e-14);
        }
    }
    // vjp with a cotangent: the row combination of the Jacobian.
    let c = [0.5, -1.0, 2.0];
    let (_, (gw, gb)) = layer_out::vjp(&w, &b, &x, &c);
    let row = DVector::from_row_slice(&c).transpose() * &jac;
    assert!((DVector::from_column_slice(gw.as_slice()) - row.columns(0, 6).transpose()).amax() < 1e-14);
    assert!((gb - row.columns(6, 3).transpose()).amax() < 1e-14);
    // jvp along a direction: the Jacobian times it.
    let (tw, tb) = (DMatrix::from_element(3, 2, 0.3), DVector::from_vec(vec![1.0, 0.0, -1.0]));
    let (_, dy) = layer_out::jvp(&w, &b, &x, &tw, &tb);
    let mut dir = tw.as_slice().to_vec();
    dir.extend(tb.iter());
    let expect = &jac * DVector::from_vec(dir);
    assert!(dy.iter().zip(expect.iter()).all(|(a, b)| (a - b).abs() < 1e-14));
}

/// A differentiable function of a layer and a matrix, called from another.
#[differentiable(wrt(layer, h))]
fn layer_energy(layer: &Layer, h: &DMatrix<f64>) -> f64 {
    let z = &layer.w * h;
    z.map(|v| v.tanh()).sum() + layer.b.norm_squared()
}

#[differentiable(wrt(p))]
fn calls_per_layer(p: &Mlp, x: &DMatrix<f64>) -> f64 {
    let mut total = 0.0;
    let mut h = x.clone();
    for layer in p.layers.iter() {
        total += layer_energy(layer, &h) * p.scale;
        h = (&layer.w * &h).map(|v| v.tanh());
    }
    total + layer_energy(&p.layers[0], x)
}

#[test]
fn calls_with_matrix_and_struct_arguments() {
    use gd::Params;
    let (p, x, _) = mlp_fixture();
    let (v, g) = calls_per_layer::value_and_grad(&p, &x);
    assert!((v - calls_per_layer(&p, &x)).abs() < 1e-12);
    assert_fd(&p, &g, 1e-6, |q| calls_per_layer(q, &x));
    let mut t = p.zeros_like();
    let dir: Vec<f64> = (0..p.num_params()).map(|k| ((k * 13) % 7) as f64 * 0.1 - 0.3).collect();
    t.set_from_slice(&dir).unwrap();
    let (_, dv) = calls_per_layer::jvp(&p, &x, &t);
    assert!((dv - g.dot(&t)).abs() < 1e-10 * (1.0 + dv.abs()));
}

#[test]
fn second_order_through_calls_with_structs() {
    use gd::Params;
    let (p, x, _) = mlp_fixture();
    let mut t = p.zeros_like();
    let dir: Vec<f64> = (0..p.num_params()).map(|k| ((k * 13) % 7) as f64 * 0.1 - 0.3).collect();
    t.set_from_slice(&dir).unwrap();
    let hv = calls_per_layer::hvp(&p, &x, &t).to_vec();
    let eps = 1e-5;
    let shifted = |s: f64| {
        let mut q = p.clone();
        q.axpy(s, &t);
        calls_per_layer::grad(&q, &x).to_vec()
    };
    let (gp, gm) = (shifted(eps), shifted(-eps));
    for k in 0..hv.len() {
        let fd = (gp[k] - gm[k]) / (2.0 * eps);
        assert!((fd - hv[k]).abs() < 1e-6 * (1.0 + fd.abs()), "{k}: {fd} vs {}", hv[k]);
    }
    assert_eq!(calls_per_layer::hessian(&p, &x).0, calls_per_layer(&p, &x));
}

// A long map whose closure captures nothing may run on several threads
// (src/__private/tensor/maps.rs); one that captures a variable runs on one,
// whatever its type (an `Rc`, not `Sync`, compiles). Each element is
// computed alone, so both give the same bits, and the hand-derived ones.
#[differentiable]
fn tanh_sum(m: &DMatrix<f32>) -> f32 {
    m.map(|v| v.tanh()).sum()
}

#[differentiable(wrt(m))]
fn tanh_sum_captured(m: &DMatrix<f32>, k: &std::rc::Rc<f32>) -> f32 {
    m.map(|v| (v * **k).tanh()).sum()
}

#[test]
fn long_maps_on_threads_give_the_one_thread_bits() {
    // 2^15 elements of tanh: the first 1 024 take long enough that the
    // rest goes to the threads there are.
    let m = DMatrix::<f32>::from_fn(256, 128, |i, j| ((i * 7 + j * 3) as f32 * 0.013).sin() * 3.0);
    let (v, g) = tanh_sum::value_and_grad(&m);
    let (vc, gc) = tanh_sum_captured::value_and_grad(&m, &std::rc::Rc::new(1.0));
    // Hand-derived: 1 - tanh² per element.
    let hand = m.map(|x| 1.0 - x.tanh() * x.tanh());
    assert_eq!(v.to_bits(), vc.to_bits());
    assert!((v - m.map(|x| x.tanh()).sum()).abs() <= 1e-3, "{v}");
    for ((a, b), h) in g.iter().zip(gc.iter()).zip(hand.iter()) {
        assert_eq!(a.to_bits(), b.to_bits());
        assert!((a - h).abs() <= 1e-6, "{a} vs {h}");
    }
}
