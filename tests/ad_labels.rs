//! Labelled `break 'outer` / `continue 'outer` out of nested loops (`for`,
//! `while`, `loop`), with and without a label on the inner loop, mixed with
//! an early `return`: the exit is carried out through a flag that each loop
//! in between checks, and the reverse sweep replays it. `return_inner` is
//! the same shape with a `return`, whose gradient was wrong before the flags
//! were cleared at each trip (the replay of a later trip left the flag set).

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// The former compile-fail case: leave both loops at once.
#[differentiable]
fn break_outer(x: f64) -> f64 {
    let mut s = 0.0;
    'outer: for i in 0..3 {
        for j in 0..3 {
            if i + j > 3 {
                break 'outer;
            }
            s += x * (j as f64 + 1.0);
        }
        s *= x;
    }
    s
}
fn break_outer_d<D: Dn>(x: D) -> D {
    let mut s = c(0.0);
    'outer: for i in 0..3 {
        for j in 0..3 {
            if i + j > 3 {
                break 'outer;
            }
            s += x * (j as f64 + 1.0);
        }
        s *= x;
    }
    s
}

#[differentiable]
fn return_inner(x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        for j in 0..3 {
            if i + j > 3 {
                return s;
            }
            s += x * (j as f64 + 1.0);
        }
        s *= x;
    }
    s
}

// `continue 'rows` from an inner loop, a `break 'rows` after it, a labelled
// inner loop that a third, unlabelled loop continues, and a `while`.
#[differentiable]
fn rows(x: &[f64]) -> f64 {
    let mut s = 0.0;
    'rows: for i in 0..x.len() {
        let mut p = 1.0;
        'cols: for j in 0..x.len() {
            p *= x[j].sin() + 1.5;
            let mut k = 0;
            while k < 3 {
                k += 1;
                if k == 2 && j == 1 {
                    continue 'cols;
                }
                if i == 1 && j == 2 {
                    s += p * x[i];
                    continue 'rows;
                }
                p += x[i] * 0.25;
            }
        }
        s += p;
        if i == 2 {
            break 'rows;
        }
    }
    s
}
fn rows_d<D: Dn>(x: &[D]) -> D {
    let mut s = c(0.0);
    'rows: for i in 0..x.len() {
        let mut p: D = c(1.0);
        'cols: for j in 0..x.len() {
            p *= x[j].sin() + 1.5;
            let mut k = 0;
            while k < 3 {
                k += 1;
                if k == 2 && j == 1 {
                    continue 'cols;
                }
                if i == 1 && j == 2 {
                    s += p * x[i];
                    continue 'rows;
                }
                p += x[i] * 0.25;
            }
        }
        s += p;
        if i == 2 {
            break 'rows;
        }
    }
    s
}

// A `loop` labelled and left from two loops down by a condition on a
// differentiated value, beside an early `return` from the same depth.
#[differentiable]
fn search(x: f64, y: f64) -> f64 {
    let mut acc = x;
    'search: loop {
        for _ in 0..4 {
            let mut t = 0;
            loop {
                t += 1;
                acc = acc * 0.9 + y;
                if acc > 30.0 {
                    return acc * x;
                }
                if acc * acc > 4.0 * y * y + 9.0 {
                    break 'search;
                }
                if t == 2 {
                    break;
                }
            }
        }
        acc += 1.0;
    }
    acc * y
}
fn search_d<D: Dn>(x: D, y: D) -> D {
    let mut acc = x;
    'search: loop {
        for _ in 0..4 {
            let mut t = 0;
            loop {
                t += 1;
                acc = acc * 0.9 + y;
                if acc.re() > 30.0 {
                    return acc * x;
                }
                if (acc * acc).re() > (y * y * 4.0 + 9.0).re() {
                    break 'search;
                }
                if t == 2 {
                    break;
                }
            }
        }
        acc += 1.0;
    }
    acc * y
}

fn hvp_check(name: &str, x: &[f64], got: &[f64], d: &[f64], dual2: &dyn Fn(&[HyperDual64]) -> HyperDual64) {
    assert_close(&format!("{name}: hvp vs hyper-dual"), got, &hyperdual_hvp(dual2, x, d), 1e-11, 0.0);
}

#[test]
fn break_outer_ad() {
    let case = Case::new("break_outer", |v| break_outer(v[0]), |v| break_outer_d(v[0]), rand_points(60, 5, 1, -1.5, 1.5));
    case.check_api(api_scalars!(break_outer; 1));
    for x in &case.points {
        hvp_check("break_outer", x, &[break_outer::hvp(x[0], 1.0)], &[1.0], &|v| break_outer_d(v[0]));
    }
}

#[test]
fn return_from_nested_loop_ad() {
    // The same function as break_outer: the `return` leaves both loops.
    let case = Case::new("return_inner", |v| return_inner(v[0]), |v| break_outer_d(v[0]), rand_points(62, 5, 1, -1.5, 1.5));
    case.check_api(api_scalars!(return_inner; 1));
    for x in &case.points {
        hvp_check("return_inner", x, &[return_inner::hvp(x[0], 1.0)], &[1.0], &|v| break_outer_d(v[0]));
    }
}

#[test]
fn continue_and_break_rows_ad() {
    let case = Case::new("rows", |v| rows(v), |v| rows_d(v), rand_points(61, 5, 4, -1.0, 1.0));
    case.check_api(api_slice!(rows));
    let d = [0.3, -1.0, 0.5, 2.0];
    for x in &case.points {
        hvp_check("rows", x, &rows::hvp(x, &d), &d, &|v| rows_d(v));
    }
}

#[test]
fn labelled_loop_beside_return_ad() {
    // Points that leave by `break 'search` after a few trips, and (large y)
    // by the `return`.
    let pts = vec![vec![0.5, 1.0], vec![-1.0, 0.7], vec![2.0, 1.3], vec![1.0, 20.0], vec![0.2, 25.0]];
    let case = Case::new("search", |v| search(v[0], v[1]), |v| search_d(v[0], v[1]), pts);
    case.check_api(api_scalars!(search; 2));
    for x in &case.points {
        let (hx, hy) = search::hvp(x[0], x[1], 1.0, -0.5);
        hvp_check("search", x, &[hx, hy], &[1.0, -0.5], &|v| search_d(v[0], v[1]));
    }
}
