use gd::differentiable;

#[differentiable]
fn sq(x: f64) -> f64 {
    x * x
}

#[differentiable]
fn rosen(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

#[differentiable]
fn mix(x: f64, y: f64) -> f64 {
    let mut z = x.sin() * y;
    if z > 0.0 {
        z = z.exp();
    } else {
        z = -z;
    }
    let w = sq(z) + y.powi(3);
    w
}

#[differentiable]
fn sumsq(xs: &[f64]) -> f64 {
    xs.iter().map(|x| x * x).sum::<f64>()
}

#[differentiable]
fn early(x: f64) -> f64 {
    if x < 0.0 {
        return -x * 2.0;
    }
    let y = x * x;
    y + 1.0
}

#[differentiable]
fn loopy(x: f64, n: usize) -> f64 {
    let mut y = x;
    let mut i = 0;
    while i < n {
        y = y * y * 0.5 + x;
        if y > 10.0 {
            break;
        }
        i += 1;
    }
    y
}

fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6;
    (f(x + h) - f(x - h)) / (2.0 * h)
}

#[test]
fn smoke() {
    let (v, g) = sq::value_and_grad(3.0);
    assert_eq!((v, g), (9.0, 6.0));
    let x = [-1.2, 1.0, 0.5];
    let (v, g) = rosen::value_and_grad(&x);
    assert_eq!(v, rosen(&x));
    let g0 = -400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0]);
    assert!((g[0] - g0).abs() < 1e-9, "{g:?}");
    let jv = rosen::jvp(&x, &[1.0, 0.0, 0.0]);
    assert!((jv.1 - g[0]).abs() < 1e-9);
    for &(x, y) in &[(0.3, 0.7), (-0.4, 1.3), (2.0, -1.0)] {
        let (v, (gx, gy)) = mix::value_and_grad(x, y);
        assert_eq!(v, mix(x, y));
        assert!((gx - fd(|x| mix(x, y), x)).abs() < 1e-5, "{gx}");
        assert!((gy - fd(|y| mix(x, y), y)).abs() < 1e-5, "{gy}");
        assert!((mix::jvp(x, y, 1.0, 0.0).1 - gx).abs() < 1e-9);
    }
    let g = sumsq::grad(&[1.0, 2.0]);
    assert_eq!(g, vec![2.0, 4.0]);
    for x in [-1.5, 0.5, 1.7] {
        assert!((early::grad(x) - fd(early, x)).abs() < 1e-5);
        let g = loopy::grad(x, 5);
        assert!((g - fd(|x| loopy(x, 5), x)).abs() < 1e-4 * g.abs().max(1.0), "{x}: {g} {}", fd(|x| loopy(x, 5), x));
    }
}

/// Two loops that may each return: the flag set by the second must not change
/// how the reverse sweep replays the branch taken after the first.
#[differentiable]
fn two_returning_loops(xs: &[f64], t: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        if s > 2.0 {
            return s * t;
        }
        s += xs[i] * xs[i];
    }
    let mut k = 0;
    while k < xs.len() {
        s = s * 0.5 + xs[k] * t;
        if s < -1.0 {
            return s.exp();
        }
        k += 1;
    }
    s
}

#[test]
fn return_flag_is_replayed_per_branch() {
    for xs in [[0.3, -0.4, -0.9, 0.2], [1.0, 1.2, 0.3, 0.1], [0.1, 0.2, 0.1, 0.3]] {
        let t = 2.5;
        let (v, (gx, gt)) = two_returning_loops::value_and_grad(&xs, t);
        assert_eq!(v, two_returning_loops(&xs, t));
        assert!((gt - fd(|t| two_returning_loops(&xs, t), t)).abs() < 1e-5, "{gt}");
        for j in 0..4 {
            let num = fd(
                |h| {
                    let mut y = xs;
                    y[j] = h;
                    two_returning_loops(&y, t)
                },
                xs[j],
            );
            assert!((gx[j] - num).abs() < 1e-5, "{xs:?} {j}: {} vs {num}", gx[j]);
        }
    }
}

#[differentiable]
fn tail_returns(x: f64) -> f64 {
    if x > 0.0 {
        return x * x;
    } else if x < -1.0 {
        x.exp()
    } else {
        return -x;
    }
}

#[differentiable]
fn tail_loop(x: f64) -> f64 {
    let mut y = x;
    loop {
        y = y * 0.5 + 0.1 * x;
        if y < 1.0 {
            return y * x;
        }
    }
}

mod k {
    #[allow(non_upper_case_globals)]
    pub const x: f64 = 2.0;
}

pub struct P {
    x: f64,
}

/// `k::x` and the field `p.x` are not the parameter `x`.
#[differentiable]
fn paths_and_fields(x: f64) -> f64 {
    let p = P { x: 3.0 };
    x * k::x + p.x * x * x
}

#[test]
fn tails_that_return_and_names_that_are_not_variables() {
    for x in [2.0, -0.5, -3.0, 7.5, 0.3] {
        assert!((tail_returns::grad(x) - fd(tail_returns, x)).abs() < 1e-6, "{x}");
        // tail_loop ends only where y settles below 1 (x < 5).
        if x < 5.0 {
            assert!((tail_loop::grad(x) - fd(tail_loop, x)).abs() < 1e-5 * (1.0 + x.abs()), "{x}");
        }
        assert!((paths_and_fields::grad(x) - (2.0 + 6.0 * x)).abs() < 1e-12);
    }
}

#[differentiable]
fn clones(x: f64) -> f64 {
    let y = x.clone() * 2.0;
    y * x.to_owned()
}

#[test]
fn clone_of_a_float_is_the_identity() {
    assert_eq!(clones::grad(3.0), 12.0);
}
