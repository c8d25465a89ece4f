//! Local arrays written in the body: checked against central differences and
//! forward mode.
use gd::differentiable;

/// A two-layer perceptron on one sample, hidden activations in a local Vec.
#[differentiable(wrt(w1, w2))]
fn mlp(w1: &[f64], w2: &[f64], x: &[f64], nh: usize) -> f64 {
    let ni = x.len();
    let mut h = vec![0.0; nh];
    for j in 0..nh {
        let mut z = 0.0;
        for i in 0..ni {
            z += w1[j * ni + i] * x[i];
        }
        h[j] = z.tanh();
    }
    let mut out = 0.0;
    for j in 0..nh {
        out += w2[j] * h[j];
    }
    (out - 1.0).powi(2)
}

/// Prefix sums with `+=` on elements, `push`, and reads after writes.
#[differentiable]
fn prefix(xs: &[f64]) -> f64 {
    let mut acc = Vec::new();
    let mut s = 0.0;
    for &x in xs {
        s += x * x;
        acc.push(s);
    }
    let mut t = [0.0; 3];
    for i in 0..acc.len() {
        t[i % 3] += acc[i].sin();
        t[i % 3] *= 1.1;
    }
    let v = vec![t[0], t[1] * t[2]];
    v.iter().map(|a| a * a).sum::<f64>() + acc[acc.len() - 1]
}

/// An array created inside a loop, one per trip.
#[differentiable]
fn per_trip(xs: &[f64]) -> f64 {
    let mut total = 0.0;
    for k in 0..3 {
        let mut v = vec![xs[k]; 2];
        v[1] = v[0] * xs[k + 1];
        if v[1] > 0.0 {
            v[0] = v[1].exp();
        }
        total += v[0] + v[1] * (k as f64);
    }
    total
}

fn fd_grad(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let h = 1e-6 * x[i].abs().max(1.0);
            let (mut a, mut b) = (x.to_vec(), x.to_vec());
            a[i] += h;
            b[i] -= h;
            (f(&a) - f(&b)) / (2.0 * h)
        })
        .collect()
}

fn close(a: &[f64], b: &[f64]) {
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{a:?}\n{b:?}");
    }
}

#[test]
fn mlp_gradient() {
    let x = [0.5, -1.0, 2.0];
    let w1: Vec<f64> = (0..12).map(|i| ((i * 7 % 5) as f64 - 2.0) * 0.3).collect();
    let w2 = [0.4, -0.3, 0.2, 0.9];
    let (v, (g1, g2)) = mlp::value_and_grad(&w1, &w2, &x, 4);
    assert_eq!(v, mlp(&w1, &w2, &x, 4));
    close(&g1, &fd_grad(|w| mlp(w, &w2, &x, 4), &w1));
    close(&g2, &fd_grad(|w| mlp(&w1, w, &x, 4), &w2));
    let t1: Vec<f64> = (0..12).map(|i| (i as f64 * 0.37).sin()).collect();
    let t2 = [0.3, 0.1, -0.7, 0.2];
    let (_, dir) = mlp::jvp(&w1, &w2, &x, 4, &t1, &t2);
    let dot: f64 = g1.iter().zip(&t1).chain(g2.iter().zip(&t2)).map(|(a, b)| a * b).sum();
    assert!((dir - dot).abs() < 1e-10, "{dir} {dot}");
}

#[test]
fn prefix_and_per_trip_gradients() {
    for x in [[0.3, -0.2, 0.7, 1.1, -0.5], [1.0, 0.2, -0.3, 0.4, 0.9]] {
        let g = prefix::grad(&x);
        close(&g, &fd_grad(prefix, &x));
        let g = per_trip::grad(&x);
        close(&g, &fd_grad(per_trip, &x));
        let t = [0.2, -0.1, 0.5, 0.3, 0.7];
        let dot: f64 = g.iter().zip(&t).map(|(a, b)| a * b).sum();
        assert!((per_trip::jvp(&x, &t).1 - dot).abs() < 1e-9);
    }
}
