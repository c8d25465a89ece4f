//! What can be checked of the kernel sources without NVRTC: every kernel's
//! entry point is defined `extern "C" __global__` in its program, names are
//! unique (the cache is keyed by name), the text is plain ASCII C without NUL
//! bytes, and braces and parentheses balance.

mod common;

use gd_cuda::kernel::{nvrtc_options, Kernel, LaunchShape};
use gd_cuda::kernels;

#[test]
fn every_kernel_is_defined_in_its_source() {
    for k in kernels::all() {
        let def = format!("extern \"C\" __global__ void {}(", k.name);
        assert_eq!(k.program().matches(&def).count(), 1, "`{}` must be defined exactly once in its program", k.name);
    }
}

#[test]
fn every_entry_point_in_a_source_is_a_listed_kernel() {
    let names: Vec<&str> = kernels::all().iter().map(|k| k.name).collect();
    for src in [kernels::layers::SOURCE, kernels::loss::SOURCE, kernels::optim::SOURCE] {
        for part in src.split("__global__ void ").skip(1) {
            let name = part.split('(').next().unwrap();
            assert!(names.contains(&name), "entry point `{name}` has no Kernel value");
        }
    }
}

#[test]
fn kernel_names_are_unique() {
    let mut names: Vec<&str> = kernels::all().iter().map(|k| k.name).collect();
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n);
    assert_eq!(n, 11, "5 layer, 2 loss, 4 optimizer kernels");
}

#[test]
fn sources_are_plain_balanced_c() {
    for k in kernels::all() {
        let p = k.program();
        assert!(p.is_ascii() && !p.contains('\0'), "{}: non-ASCII or NUL", k.name);
        for (open, close) in [('{', '}'), ('(', ')'), ('[', ']')] {
            assert_eq!(p.matches(open).count(), p.matches(close).count(), "{}: unbalanced {open}{close}", k.name);
        }
        assert!(p.contains("GD_GRID_STRIDE") && p.contains("gd_block_add"), "{}: prelude missing", k.name);
    }
}

#[test]
fn launch_shapes_cover_the_items() {
    let s = LaunchShape::ELEMENTWISE;
    assert_eq!(s.config(0).grid_dim.0, 1);
    assert_eq!(s.config(257).grid_dim.0, 2);
    assert_eq!(s.config(usize::MAX / 2).grid_dim.0, s.max_blocks);
    let k = Kernel::standalone("k", "extern \"C\" __global__ void k() {}", s);
    assert_eq!(k.program().trim(), "extern \"C\" __global__ void k() {}");
    assert_eq!(nvrtc_options((9, 0))[0], "--gpu-architecture=sm_90");
}

/// The shared stubs; a lone thread's shuffle returns its own value.
fn host_stubs() -> String {
    format!("{}static inline float __shfl_down_sync(unsigned, float v, int) {{ return v; }}\n", common::CUDA_HOST_STUBS)
}

#[test]
fn programs_compile_with_a_host_compiler_and_cuda_stubs() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    if Command::new(&cxx).arg("--version").output().is_err() {
        eprintln!("SKIPPED host syntax check: no C++ compiler `{cxx}`");
        return;
    }
    let mut seen = std::collections::HashSet::new();
    for k in kernels::all() {
        let program = k.program();
        if !seen.insert(program.clone()) {
            continue;
        }
        let mut child = Command::new(&cxx)
            .args(["-std=c++14", "-fsyntax-only", "-Wall", "-Werror", "-Wno-unused-function", "-Wno-unused-variable", "-Wno-unknown-pragmas", "-x", "c++", "-"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the C++ compiler");
        child.stdin.take().unwrap().write_all(format!("{}\n{program}", host_stubs()).as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "program of `{}` does not compile:\n{}", k.name, String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(seen.len(), 3, "three modules");
}
