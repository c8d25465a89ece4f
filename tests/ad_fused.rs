//! Accumulator loops, whose trips the reverse sweep reverses right after
//! running them (gd-macros/src/emit/fused.rs): each shape of loop that takes
//! that path, against central differences, forward mode and the Hessian.

use gd::differentiable;

mod common;

fn fd(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|k| {
            let h = 1e-6 * x[k].abs().max(1.0);
            let (mut a, mut b) = (x.to_vec(), x.to_vec());
            a[k] += h;
            b[k] -= h;
            (f(&a) - f(&b)) / (2.0 * h)
        })
        .collect()
}

fn close(g: &[f64], e: &[f64]) {
    for (k, (a, b)) in g.iter().zip(e).enumerate() {
        assert!((a - b).abs() < 1e-6 * (1.0 + b.abs()), "entry {k}: {a} vs {b} ({g:?} vs {e:?})");
    }
}

// The accumulator's adjoint depends on the loop's result (ln after the loop),
// a differentiated scalar from outside is read in the body.
#[differentiable]
fn after_and_outside(x: &[f64], c: f64) -> f64 {
    let mut s = 1.0;
    for i in 0..x.len() {
        s += c * x[i] * x[i] - 0.1 * x[i];
    }
    s.ln() * c
}

// `-=`, an accumulator that starts from a differentiated value.
#[differentiable]
fn minus(x: &[f64]) -> f64 {
    let mut s = x[0] * 3.0;
    for i in 1..x.len() {
        s -= (x[i] - x[i - 1]).powi(2);
    }
    s
}

// Nested accumulators (a dot product per row, inside a per-row sum).
#[differentiable(wrt(w))]
fn rows(w: &[f64], xs: &[f64], limit: usize) -> f64 {
    let d = w.len();
    let mut total = 0.0;
    for i in 0..limit.min(xs.len() / d) {
        let mut z = 0.0;
        for j in 0..d {
            z += w[j] * xs[i * d + j];
        }
        total += (z * 0.5).tanh();
    }
    total * total
}

// A fused loop inside a loop whose trips are saved: it must not be fused
// (its scratch would hold the last trip only).
#[differentiable]
fn inside_saved(x: &[f64]) -> f64 {
    let mut p = 1.0;
    for k in 0..3 {
        let mut s = 0.0;
        for i in 0..x.len() {
            s += (x[i] * (k + 1) as f64).sin();
        }
        p *= s;
    }
    p
}

#[test]
fn accumulators_match_differences() {
    let x = [0.3, -0.7, 1.1, 0.4];
    let (v, (gx, gc)) = after_and_outside::value_and_grad(&x, 0.8);
    assert_eq!(v, after_and_outside(&x, 0.8));
    close(&gx, &fd(&|x| after_and_outside(x, 0.8), &x));
    close(&minus::grad(&x), &fd(&minus, &x));
    close(&[gc], &fd(&|c| after_and_outside(&x, c[0]), &[0.8]));

    let w = [0.5, -0.25, 0.75];
    let xs: Vec<f64> = (0..15).map(|k| ((k * 7) % 5) as f64 * 0.3 - 0.6).collect();
    for limit in [0, 2, 9] {
        let g = rows::grad(&w, &xs, limit);
        close(&g, &fd(&|w| rows(w, &xs, limit), &w));
    }
    close(&inside_saved::grad(&x), &fd(&inside_saved, &x));
}

#[test]
fn into_adds_and_forward_and_second_order_agree() {
    let x = [0.3, -0.7, 1.1, 0.4];
    let (g, _) = after_and_outside::grad(&x, 0.8);
    let mut buf = vec![1.0; 4];
    let mut gc = 2.0;
    after_and_outside::value_and_grad_into(&x, 0.8, &mut buf, &mut gc);
    close(&buf, &g.iter().map(|v| v + 1.0).collect::<Vec<_>>());
    let t = [0.2, 0.1, -0.3, 0.5];
    let (_, dv) = after_and_outside::jvp(&x, 0.8, &t, 0.0);
    let expect: f64 = g.iter().zip(&t).map(|(a, b)| a * b).sum();
    assert!((dv - expect).abs() < 1e-12);
    // hvp against differences of the gradient.
    let (hx, _) = after_and_outside::hvp(&x, 0.8, &t, 0.0);
    let shifted = |s: f64| {
        let y: Vec<f64> = x.iter().zip(&t).map(|(a, b)| a + s * b).collect();
        after_and_outside::grad(&y, 0.8).0
    };
    let (gp, gm) = (shifted(1e-5), shifted(-1e-5));
    let fdh: Vec<f64> = gp.iter().zip(&gm).map(|(a, b)| (a - b) / 2e-5).collect();
    close(&hx, &fdh);
}

// User code in the body reads the running sum: the replay must not run with
// the final sum (it would take other branches).
#[differentiable]
fn reads_running_sum(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let k = if s > 0.5 { 2.0 } else { 1.0 };
        s += k * x[i] * x[i];
    }
    s * 3.0
}

// An accumulator loop after another loop whose trips are saved on the same
// value stack, with the sum used after the loop.
#[differentiable]
fn after_saved_loop(xs: &[f64], a: f64) -> f64 {
    let mut w = a;
    let mut s = 0.0;
    for i in 0..xs.len() {
        s += xs[i] * w;
        w *= 0.9;
    }
    for i in 1..xs.len() {
        s += xs[i - 1] * xs[i] * w;
    }
    w = 3.0;
    s * w
}

#[test]
fn replays_see_what_the_first_run_saw() {
    let x = [0.3, -0.7, 1.1, 0.4];
    close(&reads_running_sum::grad(&x), &fd(&reads_running_sum, &x));
    let (gx, ga) = after_saved_loop::grad(&x, 0.7);
    close(&gx, &fd(&|x| after_saved_loop(x, 0.7), &x));
    close(&[ga], &fd(&|a| after_saved_loop(&x, a[0]), &[0.7]));
}

// A sum that reaches the value linearly, with factors known before the loop
// (not a seeded loop: its sum is scaled after it, so it goes through the
// scratch gradient; see `returned_sum` below for the seeded path).
#[differentiable]
fn seeded_mean(x: &[f64], c: f64) -> f64 {
    let n = x.len() as f64;
    let k = 0.5 * c;
    let mut s = 0.0;
    for i in 0..x.len() {
        s += (x[i] * c).sin() + x[i] * x[i];
    }
    -(k * s) / n + 3.0 - 2.0 * c
}

#[test]
fn seeded_sums_match_differences_and_second_order() {
    let x = [0.3, -0.7, 1.1, 0.4];
    let (v, (gx, gc)) = seeded_mean::value_and_grad(&x, 0.8);
    assert_eq!(v, seeded_mean(&x, 0.8));
    close(&gx, &fd(&|x| seeded_mean(x, 0.8), &x));
    close(&[gc], &fd(&|c| seeded_mean(&x, c[0]), &[0.8]));
    // value_and_grad_into adds; the seed scales.
    let mut buf = vec![1.0; 4];
    let mut bc = 0.0;
    seeded_mean::value_and_grad_into(&x, 0.8, &mut buf, &mut bc);
    close(&buf, &gx.iter().map(|g| g + 1.0).collect::<Vec<_>>());
    let t = [0.2, 0.1, -0.3, 0.5];
    let (hx, _) = seeded_mean::hvp(&x, 0.8, &t, 0.0);
    let shifted = |s: f64| {
        let y: Vec<f64> = x.iter().zip(&t).map(|(a, b)| a + s * b).collect();
        seeded_mean::grad(&y, 0.8).0
    };
    let (gp, gm) = (shifted(1e-5), shifted(-1e-5));
    close(&hx, &gp.iter().zip(&gm).map(|(a, b)| (a - b) / 2e-5).collect::<Vec<_>>());
}

// Sums returned as they are (through copies only): their accumulator's
// adjoint is the seed, so each trip's reverse runs right after it with the
// seed, into the gradient itself (`plan_seeded`), with nothing left for the
// reverse sweep. Called with a seed other than one from `scaled_calls`, and
// through the dual copy by `hvp`.
#[differentiable]
fn returned_sum(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..x.len() / 2 {
        let i = 2 * k;
        let a = x[i + 1] - x[i] * x[i];
        s += 100.0 * a * a + (1.0 - x[i]).powi(2);
    }
    let total = s;
    total
}

// A nested product loop (its trips saved), from a differentiated start.
#[differentiable]
fn returned_nested(x: &[f64]) -> f64 {
    let mut s = x[0];
    for i in 0..x.len() {
        let mut p = 1.0;
        for j in 0..=i {
            p *= x[j].cos();
        }
        s += p * x[i];
    }
    s
}

#[differentiable]
fn scaled_calls(x: &[f64]) -> f64 {
    2.5 * returned_sum(x) + returned_nested(x).sin()
}

#[test]
fn returned_sums_take_the_seed() {
    let x = [0.3, -0.7, 1.1, 0.4, -1.2, 1.0];
    let fs: [(&dyn Fn(&[f64]) -> f64, fn(&[f64]) -> (f64, Vec<f64>)); 3] = [
        (&returned_sum, returned_sum::value_and_grad),
        (&returned_nested, returned_nested::value_and_grad),
        (&scaled_calls, scaled_calls::value_and_grad),
    ];
    for (f, vg) in fs {
        let (v, g) = vg(&x);
        assert_eq!(v, f(&x));
        close(&g, &fd(f, &x));
    }
    let g = returned_sum::grad(&x);
    let mut buf = vec![1.0; x.len()];
    returned_sum::value_and_grad_into(&x, &mut buf);
    close(&buf, &g.iter().map(|v| v + 1.0).collect::<Vec<_>>());
    let t = [0.2, 0.1, -0.3, 0.5, 0.7, -0.4];
    for (hv, gr) in [
        (returned_sum::hvp as fn(&[f64], &[f64]) -> Vec<f64>, returned_sum::grad as fn(&[f64]) -> Vec<f64>),
        (returned_nested::hvp, returned_nested::grad),
        (scaled_calls::hvp, scaled_calls::grad),
    ] {
        let shifted = |s: f64| gr(&x.iter().zip(&t).map(|(a, b)| a + s * b).collect::<Vec<_>>());
        let (gp, gm) = (shifted(1e-5), shifted(-1e-5));
        close(&hv(&x, &t), &gp.iter().zip(&gm).map(|(a, b)| (a - b) / 2e-5).collect::<Vec<_>>());
    }
}

// A seeded loop that reads a differentiated scalar made before it: the
// trips add into that scalar's adjoint during the forward sweep, which the
// reverse sweep then carries back to `c`.
#[differentiable]
fn returned_with_outer(x: &[f64], c: f64) -> f64 {
    let k = c * c;
    let mut s = c;
    for i in 0..x.len() {
        s += k * x[i].sin() + c;
    }
    s
}

#[test]
fn a_seeded_loop_reads_an_outer_scalar() {
    let x = [0.3, -0.7, 1.1, 0.4];
    let c = 0.6;
    let (v, (gx, gc)) = returned_with_outer::value_and_grad(&x, c);
    assert_eq!(v, returned_with_outer(&x, c));
    close(&gx, &fd(&|x| returned_with_outer(x, c), &x));
    close(&[gc], &fd(&|c| returned_with_outer(&x, c[0]), &[c]));
    let t = [0.2, 0.1, -0.3, 0.5];
    let (hx, hc) = returned_with_outer::hvp(&x, c, &t, 0.7);
    let shifted = |s: f64| {
        let y: Vec<f64> = x.iter().zip(&t).map(|(a, b)| a + s * b).collect();
        let (gx, gc) = returned_with_outer::grad(&y, c + s * 0.7);
        let mut g = gx;
        g.push(gc);
        g
    };
    let (gp, gm) = (shifted(1e-5), shifted(-1e-5));
    let mut h = hx;
    h.push(hc);
    close(&h, &gp.iter().zip(&gm).map(|(a, b)| (a - b) / 2e-5).collect::<Vec<_>>());
}
