//! Runs the CUDA C that `#[differentiable(cuda)]` prints on the host: the
//! sources compiled by the host C++ compiler against stubs of CUDA's
//! built-ins (as gd-cuda's tests/kernels_on_host.rs does for the built-in
//! kernels), each call's `_vjp` (seed 1) and primal run once in one
//! program, results read back from its output. Used by tests/cuda_*.rs
//! (`#[path]`-included, so that the other tests' `common` is unchanged).
#![allow(dead_code)]

use std::fmt::Write;
use std::path::PathBuf;
use std::process::Command;

/// An argument of a device function.
#[derive(Clone, Debug)]
pub enum Arg {
    Float(f64),
    Slice(Vec<f64>),
    Usize(usize),
    Int(i32),
    Bool(bool),
}

/// One call: the function's C name (`loss::cuda_name()`) and its arguments.
pub struct Call {
    pub cname: &'static str,
    pub args: Vec<Arg>,
}

/// What a call gave: the `_vjp`'s value, the primal's, the gradient
/// (each float argument's, slices flattened, in order) and the overflow flag.
#[derive(Debug)]
pub struct Got {
    pub value: f64,
    pub primal: f64,
    pub grad: Vec<f64>,
    pub overflow: bool,
}

/// CUDA's qualifiers as nothing: the printed functions are plain C++.
pub const STUBS: &str = "#include <math.h>\n#include <stdio.h>\n#define __device__\n#define __forceinline__ inline\n";

/// The host C++ compiler, or None (the caller skips, saying so).
pub fn compiler() -> Option<String> {
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    Command::new(&cxx).arg("--version").output().ok().map(|_| cxx)
}

fn lit(v: f64, float: &str) -> String {
    if float == "float" {
        format!("{:e}f", v as f32)
    } else {
        format!("{v:e}")
    }
}

/// Builds `sources` (each a `cuda_source()`) with a `main` making `calls`
/// in `float` (`"float"` or `"double"`), runs it, and returns each call's
/// results. `None` when no C++ compiler is found.
pub fn run(tag: &str, float: &str, sources: &[String], calls: &[Call]) -> Option<Vec<Got>> {
    let cxx = compiler()?;
    let mut main = String::from("int main() {\n");
    for c in calls {
        let mut args = Vec::new();
        let mut slots = Vec::new();
        let mut prints = String::new();
        writeln!(main, "{{").unwrap();
        for (i, a) in c.args.iter().enumerate() {
            match a {
                Arg::Float(v) => {
                    writeln!(main, "{float} g{i} = 0;").unwrap();
                    args.push(lit(*v, float));
                    slots.push(format!("&g{i}"));
                    writeln!(prints, "printf(\" %.17g\", (double)g{i});").unwrap();
                }
                Arg::Slice(xs) => {
                    let vals: Vec<String> = xs.iter().map(|v| lit(*v, float)).collect();
                    let n = xs.len().max(1);
                    writeln!(main, "static const {float} a{i}[{n}] = {{{}}}; {float} g{i}[{n}] = {{0}};", vals.join(", ")).unwrap();
                    args.push(format!("gd_slice<{float}>(a{i}, {})", xs.len()));
                    slots.push(format!("g{i}"));
                    writeln!(prints, "for (int j = 0; j < {}; ++j) printf(\" %.17g\", (double)g{i}[j]);", xs.len()).unwrap();
                }
                Arg::Usize(n) => {
                    args.push(format!("(gd_usize){n}"));
                    slots.push("0".into());
                }
                Arg::Int(n) => {
                    args.push(format!("{n}"));
                    slots.push("0".into());
                }
                Arg::Bool(b) => {
                    args.push(format!("{b}"));
                    slots.push("0".into());
                }
            }
        }
        let (a, s) = (args.join(", "), slots.join(", "));
        writeln!(main, "int over = 0; {float} v = {n}_vjp({a}, ({float})1, {s}, &over); {float} p = {n}({a});", n = c.cname).unwrap();
        writeln!(main, "printf(\"%.17g %.17g %d\", (double)v, (double)p, over);\n{prints}printf(\"\\n\");\n}}").unwrap();
    }
    main.push_str("return 0;\n}\n");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cuda_host");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join(format!("{tag}.cpp"));
    let exe = dir.join(format!("{tag}_{}", std::process::id()));
    std::fs::write(&src, format!("{STUBS}{}\n{main}", sources.concat())).unwrap();
    // The device program alone, for a check by NVRTC where there is one.
    std::fs::write(dir.join(format!("{tag}.cu")), sources.concat()).unwrap();
    let out = Command::new(&cxx).args(["-std=c++14", "-O1", "-o"]).arg(&exe).arg(&src).output().unwrap();
    assert!(out.status.success(), "{} failed on {}:\n{}", cxx, src.display(), String::from_utf8_lossy(&out.stderr));
    let run = Command::new(&exe).output().unwrap();
    let _ = std::fs::remove_file(&exe);
    assert!(run.status.success(), "{} exited with {:?}", exe.display(), run.status);
    let text = String::from_utf8(run.stdout).unwrap();
    let got: Vec<Got> = text
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let num = |s: &str| s.parse::<f64>().unwrap_or_else(|_| if s.contains("nan") { f64::NAN } else if s.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
            Got { value: num(w[0]), primal: num(w[1]), overflow: w[2] != "0", grad: w[3..].iter().map(|s| num(s)).collect() }
        })
        .collect();
    assert_eq!(got.len(), calls.len(), "output of {}:\n{text}", exe.display());
    Some(got)
}

/// Each call's value within `tol` (relative, or absolute below 1), the
/// primal's value the same bits as the reverse sweep's, no stack overflow,
/// and the gradient within `tol` of the wanted one, normwise (relative to
/// its largest entry, or absolute below 1e-3).
pub fn check(got: &[Got], want: &[(f64, Vec<f64>)], tol: f64) {
    for (i, (g, (v, grad))) in got.iter().zip(want).enumerate() {
        assert!(!g.overflow, "call {i}: value stack overflow");
        assert!((g.value - v).abs() <= tol * v.abs().max(1.0), "call {i}: value {} vs {v}", g.value);
        assert_eq!(g.value.to_bits(), g.primal.to_bits(), "call {i}: the primal and the reverse sweep's value differ");
        let e = rel_err(&g.grad, grad, 1e-3);
        assert!(e <= tol, "call {i}: gradient relative error {e:.2e}\n got {:?}\nwant {grad:?}", g.grad);
    }
}

/// `max |a − b| / max(|b|, floor)` over a gradient.
pub fn rel_err(a: &[f64], b: &[f64], floor: f64) -> f64 {
    assert_eq!(a.len(), b.len(), "gradient lengths differ");
    let num = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    let den = b.iter().map(|y| y.abs()).fold(floor, f64::max);
    num / den
}
