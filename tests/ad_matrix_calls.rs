//! Calls to matrix-valued `#[differentiable]` functions
//! (`let h: DMatrix<f64> = forward(p, x);`): an MLP's forward pass written
//! once and called by two losses, a call inside a loop, a vector output, an
//! argument computed by the caller. Each caller is checked against the same
//! function written without the call (gradients to 1e-12), central
//! differences, forward mode (`jvp == grad · v`) and differences of the
//! gradient for `hvp`.

use gd::differentiable;
use gd::nalgebra::{DMatrix, DVector};
use gd::Params;

#[derive(Clone, Debug, gd::Params)]
struct Layer {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

#[derive(Clone, Debug, gd::Params)]
struct Net {
    layers: Vec<Layer>,
}

/// The network's outputs for the columns of `x` (tanh between layers).
#[differentiable(wrt(p))]
fn forward(p: &Net, x: &DMatrix<f64>) -> DMatrix<f64> {
    let ones = DVector::from_element(x.ncols(), 1.0);
    let mut h = x.clone();
    for (l, layer) in p.layers.iter().enumerate() {
        let z = &layer.w * &h + &layer.b * ones.transpose();
        h = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z };
    }
    h
}

#[differentiable(wrt(p))]
fn mse(p: &Net, x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let out: DMatrix<f64> = forward(p, x);
    let r = &out - y;
    r.norm_squared() / x.ncols() as f64
}

/// `mse` with the forward pass written in place: the oracle for the call.
#[differentiable(wrt(p))]
fn mse_inline(p: &Net, x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let ones = DVector::from_element(x.ncols(), 1.0);
    let mut h = x.clone();
    for (l, layer) in p.layers.iter().enumerate() {
        let z = &layer.w * &h + &layer.b * ones.transpose();
        h = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z };
    }
    let r = &h - y;
    r.norm_squared() / x.ncols() as f64
}

/// The same network called twice per trip over a list of batches, its
/// output fed back through a second call.
#[differentiable(wrt(p))]
fn looped(p: &Net, xs: &[DMatrix<f64>]) -> f64 {
    let mut total = 0.0;
    for x in xs.iter() {
        let a: DMatrix<f64> = forward(p, x);
        total += a.map(|v| v.sin()).sum();
    }
    total
}

#[differentiable(wrt(p))]
fn looped_inline(p: &Net, xs: &[DMatrix<f64>]) -> f64 {
    let mut total = 0.0;
    for x in xs.iter() {
        let ones = DVector::from_element(x.ncols(), 1.0);
        let mut h = x.clone();
        for (l, layer) in p.layers.iter().enumerate() {
            let z = &layer.w * &h + &layer.b * ones.transpose();
            h = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z };
        }
        total += h.map(|v| v.sin()).sum();
    }
    total
}

/// A vector-valued callee fed a matrix the caller computed (both
/// arguments differentiated in the callee; the caller's `a` too).
#[differentiable]
fn squash(m: &DMatrix<f64>, v: &DVector<f64>) -> DVector<f64> {
    (m * v).map(|t| t.tanh())
}

#[differentiable]
fn through_vector(a: &DMatrix<f64>, v: &DVector<f64>) -> f64 {
    let m = a.transpose() * a;
    let s: DVector<f64> = squash(&m, v);
    s.dot(&s) + s.sum()
}

#[differentiable]
fn through_vector_inline(a: &DMatrix<f64>, v: &DVector<f64>) -> f64 {
    let m = a.transpose() * a;
    let s = (&m * v).map(|t| t.tanh());
    s.dot(&s) + s.sum()
}

/// A callee taking a data vector by value (its split keeps a copy), and a
/// call whose result reaches the value only through its shape (its reverse
/// sweep is dropped, never run).
#[differentiable(wrt(w))]
fn times(w: &DMatrix<f64>, x: DVector<f64>) -> DVector<f64> {
    w * x
}

#[differentiable]
fn by_value_and_unused(a: &DMatrix<f64>) -> f64 {
    let x = DVector::from_vec(vec![0.5, -1.5]);
    let y: DVector<f64> = times(a, x.clone());
    let unused: DVector<f64> = times(a, x);
    y.norm_squared() + unused.len() as f64
}

fn net() -> Net {
    let layer = |o: usize, i: usize, k: f64| Layer {
        w: DMatrix::from_fn(o, i, |r, c| 0.4 * ((r * i + c) as f64 * 0.9 + k).sin()),
        b: DVector::from_fn(o, |r, _| 0.1 * (r as f64 - k)),
    };
    Net { layers: vec![layer(4, 3, 0.3), layer(2, 4, 1.1)] }
}

fn batch(n: usize, k: f64) -> DMatrix<f64> {
    DMatrix::from_fn(3, n, |r, c| ((r * n + c) as f64 * 0.7 + k).cos())
}

/// Central differences of `f` over the flattened parameters of `p`.
fn fd(f: impl Fn(&Net) -> f64, p: &Net) -> Vec<f64> {
    let x = p.to_vec();
    (0..x.len())
        .map(|k| {
            let (mut a, mut b) = (x.clone(), x.clone());
            a[k] += 1e-6;
            b[k] -= 1e-6;
            let (mut pa, mut pb) = (p.clone(), p.clone());
            pa.set_from_slice(&a).unwrap();
            pb.set_from_slice(&b).unwrap();
            (f(&pa) - f(&pb)) / 2e-6
        })
        .collect()
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "entry {k}: {x} vs {y}");
    }
}

fn direction(p: &Net) -> Net {
    let mut v = p.clone();
    let d: Vec<f64> = (0..p.num_params()).map(|k| ((k * 37) % 11) as f64 * 0.1 - 0.5).collect();
    v.set_from_slice(&d).unwrap();
    v
}

/// `hvp(p, v)` against central differences of `grad` along `v`.
fn check_hvp(grad: impl Fn(&Net) -> Net, hvp: impl Fn(&Net, &Net) -> Net, p: &Net) {
    let v = direction(p);
    let shifted = |s: f64| {
        let mut q = p.clone();
        q.axpy(s, &v);
        grad(&q).to_vec()
    };
    let (gp, gm) = (shifted(1e-5), shifted(-1e-5));
    let fdh: Vec<f64> = gp.iter().zip(&gm).map(|(a, b)| (a - b) / 2e-5).collect();
    close(&hvp(p, &v).to_vec(), &fdh, 1e-6);
}

#[test]
fn a_loss_that_calls_the_forward_pass() {
    let (p, x) = (net(), batch(5, 0.2));
    let y = DMatrix::from_fn(2, 5, |r, c| 0.3 * r as f64 - 0.1 * c as f64);
    let (v, g) = mse::value_and_grad(&p, &x, &y);
    let (vi, gi) = mse_inline::value_and_grad(&p, &x, &y);
    assert_eq!(v, mse(&p, &x, &y));
    assert!((v - vi).abs() < 1e-14);
    close(&g.to_vec(), &gi.to_vec(), 1e-12);
    close(&g.to_vec(), &fd(|p| mse(p, &x, &y), &p), 1e-6);
    let t = direction(&p);
    let (_, dv) = mse::jvp(&p, &x, &y, &t);
    let expect: f64 = g.to_vec().iter().zip(t.to_vec()).map(|(a, b)| a * b).sum();
    assert!((dv - expect).abs() < 1e-10 * (1.0 + expect.abs()));
    check_hvp(|q| mse::grad(q, &x, &y), |q, v| mse::hvp(q, &x, &y, v), &p);
    close(&mse::hvp(&p, &x, &y, &t).to_vec(), &mse_inline::hvp(&p, &x, &y, &t).to_vec(), 1e-12);
}

#[test]
fn calls_inside_a_loop() {
    let p = net();
    let xs = vec![batch(2, 0.0), batch(3, 1.0), batch(1, 2.0)];
    let g = looped::grad(&p, &xs);
    close(&g.to_vec(), &looped_inline::grad(&p, &xs).to_vec(), 1e-12);
    close(&g.to_vec(), &fd(|p| looped(p, &xs), &p), 1e-6);
    check_hvp(|q| looped::grad(q, &xs), |q, v| looped::hvp(q, &xs, v), &p);
    assert_eq!(looped::grad(&p, &[]).to_vec(), vec![0.0; p.num_params()]);
}

#[test]
fn a_vector_valued_callee_with_a_computed_argument() {
    let a = DMatrix::from_fn(3, 2, |r, c| 0.5 - 0.2 * r as f64 + 0.3 * c as f64);
    let v = DVector::from_vec(vec![0.7, -0.4]);
    let (ga, gv) = through_vector::grad(&a, &v);
    let (ia, iv) = through_vector_inline::grad(&a, &v);
    close(ga.as_slice(), ia.as_slice(), 1e-12);
    close(gv.as_slice(), iv.as_slice(), 1e-12);
    let (ta, tv) = (a.map(|x| 0.3 * x - 0.1), DVector::from_vec(vec![0.2, 0.5]));
    let (_, dv) = through_vector::jvp(&a, &v, &ta, &tv);
    assert!((dv - (ga.dot(&ta) + gv.dot(&tv))).abs() < 1e-10);
    let (ha, hv) = through_vector::hvp(&a, &v, &ta, &tv);
    let (ja, jv) = through_vector_inline::hvp(&a, &v, &ta, &tv);
    close(ha.as_slice(), ja.as_slice(), 1e-10);
    close(hv.as_slice(), jv.as_slice(), 1e-10);
}

#[test]
fn a_by_value_argument_and_an_unused_result() {
    let a = DMatrix::from_fn(3, 2, |r, c| 0.5 - 0.2 * r as f64 + 0.3 * c as f64);
    let x = DVector::from_vec(vec![0.5, -1.5]);
    // d/da ‖a x‖² = 2 (a x) xᵀ
    let expect = (&a * &x) * x.transpose() * 2.0;
    close(by_value_and_unused::grad(&a).as_slice(), expect.as_slice(), 1e-12);
    let v = a.map(|t| 0.1 * t + 0.05);
    // H·v = 2 (v x) xᵀ
    close(by_value_and_unused::hvp(&a, &v).as_slice(), ((&v * &x) * x.transpose() * 2.0).as_slice(), 1e-12);
}

// More callee shapes: a place in a parameter struct, an active float and an
// active slice as arguments, a call in a branch, and a callee whose body has
// an accumulator loop (no seeded loop in a split).
#[differentiable(wrt(layer, scale))]
fn apply(layer: &Layer, x: &DMatrix<f64>, scale: f64) -> DMatrix<f64> {
    (&layer.w * x * scale).map(|v| v.tanh())
}

#[differentiable(wrt(c, m))]
fn weighted(c: &[f64], m: &DMatrix<f64>) -> DVector<f64> {
    let mut s = 0.0;
    for i in 0..c.len() {
        s += c[i] * c[i];
    }
    m.column(0) * s
}

#[differentiable(wrt(p, scale, c))]
fn shapes(p: &Net, x: &DMatrix<f64>, scale: f64, c: &[f64]) -> f64 {
    let h: DMatrix<f64> = apply(&p.layers[0], x, scale);
    let mut total = h.sum();
    if scale > 0.0 {
        let w: DVector<f64> = weighted(c, &p.layers[1].w);
        total += w.dot(&w);
    }
    total
}

#[differentiable(wrt(p, scale, c))]
fn shapes_inline(p: &Net, x: &DMatrix<f64>, scale: f64, c: &[f64]) -> f64 {
    let h = (&p.layers[0].w * x * scale).map(|v| v.tanh());
    let mut total = h.sum();
    if scale > 0.0 {
        let mut s = 0.0;
        for i in 0..c.len() {
            s += c[i] * c[i];
        }
        let a = p.layers[1].w[(0, 0)] * s;
        let b = p.layers[1].w[(1, 0)] * s;
        total += a * a + b * b;
    }
    total
}

#[test]
fn places_floats_slices_and_branches() {
    let (p, x) = (net(), batch(3, 0.4));
    let c = [0.3, -0.6, 0.9];
    for scale in [0.7, -0.5] {
        let (v, (gp, gs, gc)) = shapes::value_and_grad(&p, &x, scale, &c);
        let (vi, (ip, is, ic)) = shapes_inline::value_and_grad(&p, &x, scale, &c);
        assert!((v - vi).abs() < 1e-12 * (1.0 + vi.abs()));
        close(&gp.to_vec(), &ip.to_vec(), 1e-12);
        close(&[gs], &[is], 1e-12);
        close(&gc, &ic, 1e-12);
        close(&gp.to_vec(), &fd(|q| shapes(q, &x, scale, &c), &p), 1e-6);
        let t = direction(&p);
        let tc = [0.1, 0.2, -0.3];
        let (hp, hs, hc) = shapes::hvp(&p, &x, scale, &c, &t, 0.25, &tc);
        let (jp, js, jc) = shapes_inline::hvp(&p, &x, scale, &c, &t, 0.25, &tc);
        close(&hp.to_vec(), &jp.to_vec(), 1e-10);
        close(&[hs], &[js], 1e-10);
        close(&hc, &jc, 1e-10);
        let (_, dv) = shapes::jvp(&p, &x, scale, &c, &t, 0.25, &tc);
        let expect: f64 = gp.to_vec().iter().zip(t.to_vec()).map(|(a, b)| a * b).sum::<f64>()
            + gs * 0.25
            + gc.iter().zip(&tc).map(|(a, b)| a * b).sum::<f64>();
        assert!((dv - expect).abs() < 1e-10 * (1.0 + expect.abs()));
    }
}

// Which calls run once. A call whose arguments are parameters or places in
// them keeps the callee's reverse sweep as a closure; one given a matrix the
// caller computed (`&h`, reassigned each trip) runs the callee again in the
// reverse sweep instead (the closure would borrow `h` past its change).
// Both for a matrix-valued callee and for a float-valued one that takes a
// struct; and a matrix-valued function that calls itself (the same rerun).
#[differentiable(wrt(layer, h))]
fn layer_step(layer: &Layer, h: &DMatrix<f64>) -> DMatrix<f64> {
    (&layer.w * h).map(|v| v.tanh())
}

#[differentiable(wrt(p))]
fn energy(p: &Net, x: &DMatrix<f64>) -> f64 {
    let out: DMatrix<f64> = forward(p, x);
    out.norm_squared()
}

#[differentiable(wrt(p))]
fn calls_of_both_kinds(p: &Net, x: &DMatrix<f64>) -> f64 {
    let mut h = x.clone();
    for layer in p.layers.iter() {
        let z: DMatrix<f64> = layer_step(layer, &h);
        h = z;
    }
    h.sum() + energy(p, x) * 0.5 + energy(p, x).sin()
}

#[differentiable(wrt(p))]
fn calls_of_both_kinds_inline(p: &Net, x: &DMatrix<f64>) -> f64 {
    let mut h = x.clone();
    for layer in p.layers.iter() {
        h = (&layer.w * &h).map(|v| v.tanh());
    }
    let ones = DVector::from_element(x.ncols(), 1.0);
    let mut o = x.clone();
    for (l, layer) in p.layers.iter().enumerate() {
        let z = &layer.w * &o + &layer.b * ones.transpose();
        o = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z };
    }
    let e = o.norm_squared();
    h.sum() + e * 0.5 + e.sin()
}

#[differentiable]
fn repeated(x: &DVector<f64>, n: usize) -> DVector<f64> {
    if n == 0 {
        x.map(|v| v.sin())
    } else {
        let y: DVector<f64> = repeated(x, n - 1);
        y.map(|v| v * v + 0.5 * v)
    }
}

#[differentiable]
fn repeated_sum(x: &DVector<f64>) -> f64 {
    let y: DVector<f64> = repeated(x, 3);
    y.sum()
}

#[test]
fn calls_that_run_once_and_calls_that_run_again() {
    // A layer stack of square layers, so that `layer_step` can chain.
    let sq = |k: f64| Layer {
        w: DMatrix::from_fn(3, 3, |r, c| 0.5 * ((r * 3 + c) as f64 * 0.8 + k).sin()),
        b: DVector::from_fn(3, |r, _| 0.1 * (r as f64 - k)),
    };
    let p = Net { layers: vec![sq(0.2), sq(1.3)] };
    let x = batch(4, 0.9);
    let g = calls_of_both_kinds::grad(&p, &x);
    close(&g.to_vec(), &calls_of_both_kinds_inline::grad(&p, &x).to_vec(), 1e-12);
    close(&g.to_vec(), &fd(|q| calls_of_both_kinds(q, &x), &p), 1e-6);
    let t = direction(&p);
    close(
        &calls_of_both_kinds::hvp(&p, &x, &t).to_vec(),
        &calls_of_both_kinds_inline::hvp(&p, &x, &t).to_vec(),
        1e-10,
    );

    let v = DVector::from_vec(vec![0.3, -0.8, 1.2]);
    let gr = repeated_sum::grad(&v);
    let f = |v: &DVector<f64>| {
        let mut y = v.map(|a| a.sin());
        for _ in 0..3 {
            y = y.map(|a| a * a + 0.5 * a);
        }
        y.sum()
    };
    let fdv: Vec<f64> = (0..3)
        .map(|k| {
            let (mut a, mut b) = (v.clone(), v.clone());
            a[k] += 1e-6;
            b[k] -= 1e-6;
            (f(&a) - f(&b)) / 2e-6
        })
        .collect();
    close(gr.as_slice(), &fdv, 1e-6);
}

// A loop over the layers calling with each layer (a place) and data: split.
#[differentiable(wrt(p))]
fn per_layer(p: &Net, x: &DMatrix<f64>) -> f64 {
    let mut total = 0.0;
    for layer in p.layers.iter() {
        let z: DMatrix<f64> = apply(layer, x, 1.5);
        total += z.sum();
    }
    total
}

#[differentiable(wrt(p))]
fn per_layer_inline(p: &Net, x: &DMatrix<f64>) -> f64 {
    let mut total = 0.0;
    for layer in p.layers.iter() {
        let z = (&layer.w * x * 1.5).map(|v| v.tanh());
        total += z.sum();
    }
    total
}

#[test]
fn a_call_per_layer() {
    let sq = |k: f64| Layer {
        w: DMatrix::from_fn(3, 3, |r, c| 0.5 * ((r * 3 + c) as f64 * 0.8 + k).sin()),
        b: DVector::from_fn(3, |r, _| 0.1 * (r as f64 - k)),
    };
    let p = Net { layers: vec![sq(0.2), sq(1.3), sq(2.1)] };
    let x = batch(4, 0.9);
    let g = per_layer::grad(&p, &x);
    close(&g.to_vec(), &per_layer_inline::grad(&p, &x).to_vec(), 1e-12);
    close(&g.to_vec(), &fd(|q| per_layer(q, &x), &p), 1e-6);
}

// Calls with the caller's own data: `&ones` (a local) and the running `h`
// are copied into the caller's `Keep` for the callee's closure. `net_out`
// itself holds a borrow of its local `ones`, so its own split cannot keep
// its reverse sweep: it reruns `__gd_vjp` (the wrapper), still correct.
#[differentiable(wrt(layer, h))]
fn dense(layer: &Layer, h: &DMatrix<f64>, ones: &DVector<f64>) -> DMatrix<f64> {
    &layer.w * h + &layer.b * ones.transpose()
}

#[differentiable(wrt(p))]
fn net_out(p: &Net, x: &DMatrix<f64>) -> DMatrix<f64> {
    let ones = DVector::from_element(x.ncols(), 1.0);
    let mut h = x.clone();
    for (l, layer) in p.layers.iter().enumerate() {
        let z: DMatrix<f64> = dense(layer, &h, &ones);
        h = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z };
    }
    h
}

#[differentiable(wrt(p))]
fn net_mse(p: &Net, x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let out: DMatrix<f64> = net_out(p, x);
    let r = &out - y;
    r.norm_squared() / x.ncols() as f64
}

#[test]
fn kept_arguments_and_a_split_that_reruns() {
    let (p, x) = (net(), batch(5, 0.2));
    let y = DMatrix::from_fn(2, 5, |r, c| 0.3 * r as f64 - 0.1 * c as f64);
    let g = net_mse::grad(&p, &x, &y);
    close(&g.to_vec(), &mse_inline::grad(&p, &x, &y).to_vec(), 1e-12);
    let (v, gv) = net_out::vjp(&p, &x, y.as_slice());
    assert!((v - forward(&p, &x)).amax() < 1e-14);
    let (_, fv) = forward::vjp(&p, &x, y.as_slice());
    close(&gv.to_vec(), &fv.to_vec(), 1e-12);
    let t = direction(&p);
    close(&net_mse::hvp(&p, &x, &y, &t).to_vec(), &mse_inline::hvp(&p, &x, &y, &t).to_vec(), 1e-10);
}

// Early `return` in a matrix-valued function: from a branch, and from
// inside a loop; called, and differentiated on its own (vjp, jvp).
#[differentiable]
fn early(x: &DVector<f64>, limit: f64) -> DVector<f64> {
    if x[0] > limit {
        return x * 2.0;
    }
    let mut y = x.map(|v| v.sin());
    for k in 0..4 {
        if y.norm_squared() > limit + k as f64 {
            return y.map(|v| v * v);
        }
        y = &y * 1.5;
    }
    y
}

#[differentiable]
fn early_sum(x: &DVector<f64>, limit: f64) -> f64 {
    let y: DVector<f64> = early(x, limit);
    y.sum() + y.norm_squared()
}

#[test]
fn early_returns_from_matrix_valued_functions() {
    let fd_v = |f: &dyn Fn(&DVector<f64>) -> f64, x: &DVector<f64>| -> Vec<f64> {
        (0..x.len())
            .map(|k| {
                let (mut a, mut b) = (x.clone(), x.clone());
                a[k] += 1e-6;
                b[k] -= 1e-6;
                (f(&a) - f(&b)) / 2e-6
            })
            .collect()
    };
    let x = DVector::from_vec(vec![0.3, -0.6, 0.9]);
    // limit -1: returns at once; 0.5, 1.2, 2.0: from inside the loop on
    // trips 0, 1, 2 (‖sin x‖² = 1.02, then ×2.25 a trip); 50: falls through.
    for limit in [-1.0, 0.5, 1.2, 2.0, 50.0] {
        let (v, (gx, _)) = early_sum::value_and_grad(&x, limit);
        assert_eq!(v, early_sum(&x, limit));
        close(gx.as_slice(), &fd_v(&|x| early_sum(x, limit), &x), 1e-6);
        let w = DVector::from_vec(vec![1.0, -2.0, 0.5]);
        let (y, (jx, _)) = early::vjp(&x, limit, w.as_slice());
        assert_eq!(y, early(&x, limit));
        close(jx.as_slice(), &fd_v(&|x| early(x, limit).dot(&w), &x), 1e-6);
        let t = DVector::from_vec(vec![0.2, 0.1, -0.3]);
        let (_, dy) = early::jvp(&x, limit, &t, 0.0);
        let fdt: Vec<f64> = (0..3).map(|i| (early(&(&x + &t * 1e-6), limit)[i] - early(&(&x - &t * 1e-6), limit)[i]) / 2e-6).collect();
        close(dy.as_slice(), &fdt, 1e-6);
        let (hx, _) = early_sum::hvp(&x, limit, &t, 0.0);
        let shifted = |s: f64| early_sum::grad(&(&x + &t * s), limit).0;
        close(hx.as_slice(), ((shifted(1e-5) - shifted(-1e-5)) / 2e-5).as_slice(), 1e-6);
    }
}
