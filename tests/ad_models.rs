//! Realistic models, each a loop nest over parameters and data: a two-layer
//! tanh MLP's squared loss over a batch (`wrt(w)`), an RK4 integration of
//! the logistic ODE (derivative of the solution w.r.t. rate, capacity and
//! initial value), a 1-D Gaussian-mixture negative log-likelihood with a
//! max-shifted log-sum-exp, a gated recurrent cell run over a sequence, and
//! Poisson regression with a log link.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

const IN: usize = 3;
const HID: usize = 4;
/// Parameters, flat: W1 (HID x IN), b1 (HID), w2 (HID), b2.
const NPARAM: usize = HID * IN + HID + HID + 1;

#[differentiable(wrt(w))]
fn mlp_loss(w: &[f64], x: &[f64], y: &[f64]) -> f64 {
    let n = y.len();
    let mut loss = 0.0;
    for k in 0..n {
        let mut out = w[HID * IN + 2 * HID];
        for h in 0..HID {
            let mut z = w[HID * IN + h];
            for i in 0..IN {
                z += w[h * IN + i] * x[k * IN + i];
            }
            out += w[HID * IN + HID + h] * z.tanh();
        }
        let r = out - y[k];
        loss += r * r;
    }
    loss / n as f64
}
fn mlp_loss_d<D: Dn>(w: &[D], x: &[f64], y: &[f64]) -> D {
    let n = y.len();
    let mut loss = c::<D>(0.0);
    for k in 0..n {
        let mut out = w[HID * IN + 2 * HID];
        for h in 0..HID {
            let mut z = w[HID * IN + h];
            for i in 0..IN {
                z += w[h * IN + i] * x[k * IN + i];
            }
            out += w[HID * IN + HID + h] * z.tanh();
        }
        let r = out - y[k];
        loss += r * r;
    }
    loss / n as f64
}
fn mlp_data() -> (Vec<f64>, Vec<f64>) {
    let x = rand_points(230, 1, 12 * IN, -1.0, 1.0).remove(0);
    let y = (0..12).map(|k| (x[k * IN] * 2.0).sin() + x[k * IN + 1] * x[k * IN + 2]).collect();
    (x, y)
}
fn case_mlp() -> Case {
    let (x, y) = mlp_data();
    let (x2, y2) = (x.clone(), y.clone());
    Case::new("mlp_loss", move |w| mlp_loss(w, &x, &y), move |w| mlp_loss_d(w, &x2, &y2), rand_points(231, 3, NPARAM, -1.0, 1.0))
}

/// dy/dt = r y (1 - y / k), y(0) = y0, RK4 with `steps` steps up to t = 2.
#[differentiable]
fn logistic_rk4(r: f64, k: f64, y0: f64, steps: usize) -> f64 {
    let h = 2.0 / steps as f64;
    let mut y = y0;
    for _ in 0..steps {
        let k1 = r * y * (1.0 - y / k);
        let y2 = y + 0.5 * h * k1;
        let k2 = r * y2 * (1.0 - y2 / k);
        let y3 = y + 0.5 * h * k2;
        let k3 = r * y3 * (1.0 - y3 / k);
        let y4 = y + h * k3;
        let k4 = r * y4 * (1.0 - y4 / k);
        y += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    }
    y
}
fn logistic_rk4_d<D: Dn>(r: D, k: D, y0: D, steps: usize) -> D {
    let h = 2.0 / steps as f64;
    let mut y = y0;
    let f = |y: D| r * y * (-(y / k) + 1.0);
    for _ in 0..steps {
        let k1 = f(y);
        let k2 = f(y + k1 * (0.5 * h));
        let k3 = f(y + k2 * (0.5 * h));
        let k4 = f(y + k3 * h);
        y += (k1 + k2 * 2.0 + k3 * 2.0 + k4) * (h / 6.0);
    }
    y
}
/// The exact solution, for the hand-derived check at fine steps.
fn logistic_exact(r: f64, k: f64, y0: f64, t: f64) -> f64 {
    k / (1.0 + (k / y0 - 1.0) * (-r * t).exp())
}
fn case_rk4() -> Case {
    Case::new(
        "logistic_rk4",
        |v| logistic_rk4(v[0], v[1], v[2], 40),
        |v| logistic_rk4_d(v[0], v[1], v[2], 40),
        rand_points_in(232, 4, &[(0.2, 2.0), (1.0, 5.0), (0.1, 0.9)]),
    )
}

/// Negative log-likelihood of data under sum_j p_j N(mu_j, s_j^2), with
/// p = softmax(a) and s = exp(log_s); params flat: a (J), mu (J), log_s (J).
#[differentiable(wrt(theta))]
fn gmm_nll(theta: &[f64], data: &[f64]) -> f64 {
    let j = theta.len() / 3;
    let mut am = theta[0];
    for c in 1..j {
        am = am.max(theta[c]);
    }
    let mut lse_a = 0.0;
    for c in 0..j {
        lse_a += (theta[c] - am).exp();
    }
    let lse_a = am + lse_a.ln();
    let mut nll = 0.0;
    for &x in data {
        let mut m: f64 = -1e300;
        for c in 0..j {
            let z = (x - theta[j + c]) / theta[2 * j + c].exp();
            let l = theta[c] - lse_a - theta[2 * j + c] - 0.5 * z * z;
            m = m.max(l);
        }
        let mut s = 0.0;
        for c in 0..j {
            let z = (x - theta[j + c]) / theta[2 * j + c].exp();
            let l = theta[c] - lse_a - theta[2 * j + c] - 0.5 * z * z;
            s += (l - m).exp();
        }
        nll -= m + s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
    }
    nll / data.len() as f64
}
fn gmm_nll_d<D: Dn>(theta: &[D], data: &[f64]) -> D {
    let j = theta.len() / 3;
    let mut am = theta[0];
    for k in 1..j {
        am = dmax(am, theta[k]);
    }
    let mut lse_a = c::<D>(0.0);
    for k in 0..j {
        lse_a += (theta[k] - am).exp();
    }
    let lse_a = am + lse_a.ln();
    let mut nll = c::<D>(0.0);
    for &x in data {
        let ls: Vec<D> = (0..j)
            .map(|k| {
                let z = (-theta[j + k] + x) / theta[2 * j + k].exp();
                theta[k] - lse_a - theta[2 * j + k] - z * z * 0.5
            })
            .collect();
        let m = ls.iter().fold(c::<D>(-1e300), |m, &l| dmax(m, l));
        let s = ls.iter().map(|&l| (l - m).exp()).sum::<D>();
        nll -= m + s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
    }
    nll / data.len() as f64
}
fn gmm_data() -> Vec<f64> {
    rand_points(233, 1, 25, -3.0, 3.0).remove(0)
}
fn case_gmm() -> Case {
    let data = gmm_data();
    let d2 = data.clone();
    Case::new("gmm_nll", move |t| gmm_nll(t, &data), move |t| gmm_nll_d(t, &d2), rand_points(234, 3, 9, -1.0, 1.0))
}

/// h_t = (1 - g) h_{t-1} + g tanh(a x_t + b h_{t-1}), g = sigmoid(u x_t + v h_{t-1} + c);
/// params p = [a, b, u, v, c]; the loss is sum_t (h_t - target_t)^2.
#[differentiable(wrt(p))]
fn gru_like(p: &[f64], xs: &[f64], target: &[f64]) -> f64 {
    let mut h = 0.0;
    let mut loss = 0.0;
    for t in 0..xs.len() {
        let pre = p[2] * xs[t] + p[3] * h + p[4];
        let g = if pre >= 0.0 { 1.0 / (1.0 + (-pre).exp()) } else { pre.exp() / (1.0 + pre.exp()) };
        let cand = (p[0] * xs[t] + p[1] * h).tanh();
        h = (1.0 - g) * h + g * cand;
        let e = h - target[t];
        loss += e * e;
    }
    loss
}
fn gru_like_d<D: Dn>(p: &[D], xs: &[f64], target: &[f64]) -> D {
    let mut h = c::<D>(0.0);
    let mut loss = c::<D>(0.0);
    for t in 0..xs.len() {
        let pre = p[2] * xs[t] + p[3] * h + p[4];
        let g = if pre >= 0.0 { ((-pre).exp() + 1.0).recip() } else { pre.exp() / (pre.exp() + 1.0) };
        let cand = (p[0] * xs[t] + p[1] * h).tanh();
        h = (-g + 1.0) * h + g * cand;
        let e = h - target[t];
        loss += e * e;
    }
    loss
}
fn gru_data() -> (Vec<f64>, Vec<f64>) {
    let xs = rand_points(235, 1, 20, -1.0, 1.0).remove(0);
    let target = xs.iter().scan(0.0, |s, x| {
        *s = 0.7 * *s + 0.3 * x;
        Some(*s)
    }).collect();
    (xs, target)
}
fn case_gru() -> Case {
    let (xs, tg) = gru_data();
    let (xs2, tg2) = (xs.clone(), tg.clone());
    Case::new("gru_like", move |p| gru_like(p, &xs, &tg), move |p| gru_like_d(p, &xs2, &tg2), rand_points(236, 4, 5, -1.5, 1.5))
}

/// Poisson regression: sum_i exp(w.x_i) - y_i w.x_i, counts y as data.
#[differentiable(wrt(w))]
fn poisson(w: &[f64], x: &[f64], y: &[usize]) -> f64 {
    let d = w.len();
    let mut s = 0.0;
    for (i, &yi) in y.iter().enumerate() {
        let eta = (0..d).map(|j| w[j] * x[i * d + j]).sum::<f64>();
        s += eta.exp() - yi as f64 * eta;
    }
    s
}
fn poisson_d<D: Dn>(w: &[D], x: &[f64], y: &[usize]) -> D {
    let d = w.len();
    let mut s = c::<D>(0.0);
    for (i, &yi) in y.iter().enumerate() {
        let eta = (0..d).map(|j| w[j] * x[i * d + j]).sum::<D>();
        s += eta.exp() - eta * yi as f64;
    }
    s
}
fn poisson_data() -> (Vec<f64>, Vec<usize>) {
    let x = rand_points(237, 1, 15 * 3, -1.0, 1.0).remove(0);
    let y = (0..15).map(|i| (i * 7 + 3) % 5).collect();
    (x, y)
}
fn case_poisson() -> Case {
    let (x, y) = poisson_data();
    let (x2, y2) = (x.clone(), y.clone());
    Case::new("poisson", move |w| poisson(w, &x, &y), move |w| poisson_d(w, &x2, &y2), rand_points(238, 4, 3, -1.0, 1.0))
}

#[test]
fn oracles_agree() {
    for case in [case_mlp(), case_rk4(), case_gmm(), case_gru(), case_poisson()] {
        case.check_oracles();
    }
    // RK4 with fine steps is the exact solution, whose derivatives num-dual takes too
    let (v, g) = dual_grad(&|p| logistic_rk4_d(p[0], p[1], p[2], 400), &[1.3, 3.0, 0.4]);
    let (ve, ge) = dual_grad(
        &|p| p[1] / ((p[1] / p[2] - 1.0) * (-p[0] * 2.0).exp() + 1.0),
        &[1.3, 3.0, 0.4],
    );
    assert_close1("rk4 vs exact value", v, logistic_exact(1.3, 3.0, 0.4, 2.0), 1e-10);
    assert_close1("rk4 vs exact value (dual)", v, ve, 1e-10);
    assert_close("rk4 vs exact sensitivities", &g, &ge, 1e-8, 0.0);
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn mlp_wrt_w_ad() {
        let (x, y) = mlp_data();
        case_mlp().check_api(Api {
            value_and_grad: &|w| mlp_loss::value_and_grad(w, &x, &y),
            grad: &|w| mlp_loss::grad(w, &x, &y),
            jvp: &|w, t| mlp_loss::jvp(w, &x, &y, t),
            grad_into: &|w, g| mlp_loss::value_and_grad_into(w, &x, &y, g),
        });
    }

    #[test]
    fn logistic_rk4_ad() {
        case_rk4().check_api(Api {
            value_and_grad: &|v| {
                let (val, (a, b, c)) = logistic_rk4::value_and_grad(v[0], v[1], v[2], 40);
                (val, vec![a, b, c])
            },
            grad: &|v| {
                let (a, b, c) = logistic_rk4::grad(v[0], v[1], v[2], 40);
                vec![a, b, c]
            },
            jvp: &|v, t| logistic_rk4::jvp(v[0], v[1], v[2], 40, t[0], t[1], t[2]),
            grad_into: &|v, g| {
                let (g0, rest) = g.split_at_mut(1);
                let (g1, g2) = rest.split_at_mut(1);
                logistic_rk4::value_and_grad_into(v[0], v[1], v[2], 40, &mut g0[0], &mut g1[0], &mut g2[0])
            },
        });
        // fine steps: the sensitivities of the exact solution
        let (_, ge) = dual_grad(&|p| p[1] / ((p[1] / p[2] - 1.0) * (-p[0] * 2.0).exp() + 1.0), &[1.3, 3.0, 0.4]);
        let (a, b, c) = logistic_rk4::grad(1.3, 3.0, 0.4, 400);
        assert_close("rk4 (400 steps): macro grad vs exact sensitivities", &[a, b, c], &ge, 1e-8, 0.0);
    }

    #[test]
    fn gmm_nll_ad() {
        let data = gmm_data();
        case_gmm().check_api(Api {
            value_and_grad: &|t| gmm_nll::value_and_grad(t, &data),
            grad: &|t| gmm_nll::grad(t, &data),
            jvp: &|t, v| gmm_nll::jvp(t, &data, v),
            grad_into: &|t, g| gmm_nll::value_and_grad_into(t, &data, g),
        });
    }

    #[test]
    fn gru_like_ad() {
        let (xs, tg) = gru_data();
        case_gru().check_api(Api {
            value_and_grad: &|p| gru_like::value_and_grad(p, &xs, &tg),
            grad: &|p| gru_like::grad(p, &xs, &tg),
            jvp: &|p, t| gru_like::jvp(p, &xs, &tg, t),
            grad_into: &|p, g| gru_like::value_and_grad_into(p, &xs, &tg, g),
        });
    }

    #[test]
    fn poisson_ad() {
        let (x, y) = poisson_data();
        case_poisson().check_api(Api {
            value_and_grad: &|w| poisson::value_and_grad(w, &x, &y),
            grad: &|w| poisson::grad(w, &x, &y),
            jvp: &|w, t| poisson::jvp(w, &x, &y, t),
            grad_into: &|w, g| poisson::value_and_grad_into(w, &x, &y, g),
        });
    }
}
