//! The cuBLAS GEMM configurations of the dense layers, checked without a
//! GPU: a plain emulation of `cublasSgemm`'s column-major semantics
//! (bounds-checked, so a wrong leading dimension fails) runs each
//! configuration on the operands in the order `gpu::blas` passes them, and
//! must give the CPU path's product.

mod common;

use cudarc::cublas::sys::cublasOperation_t;
use cudarc::cublas::GemmConfig;
use gd_cuda::cpu::ops;
use gd_cuda::gpu::blas;

/// `C = α op(A) op(B) + β C`, column-major, as cuBLAS defines it.
fn sgemm(cfg: &GemmConfig<f32>, a: &[f64], b: &[f64], c: &mut [f64]) {
    let (m, n, k) = (cfg.m as usize, cfg.n as usize, cfg.k as usize);
    let (lda, ldb, ldc) = (cfg.lda as usize, cfg.ldb as usize, cfg.ldc as usize);
    let n_op = |t: cublasOperation_t| t == cublasOperation_t::CUBLAS_OP_N;
    assert!(ldc >= m, "ldc {ldc} < m {m}");
    assert!(if n_op(cfg.transa) { lda >= m } else { lda >= k }, "lda too small");
    assert!(if n_op(cfg.transb) { ldb >= k } else { ldb >= n }, "ldb too small");
    for j in 0..n {
        for i in 0..m {
            let mut s = 0.0;
            for l in 0..k {
                let av = if n_op(cfg.transa) { a[i + l * lda] } else { a[l + i * lda] };
                let bv = if n_op(cfg.transb) { b[l + j * ldb] } else { b[j + l * ldb] };
                s += av * bv;
            }
            c[i + j * ldc] = cfg.alpha as f64 * s + cfg.beta as f64 * c[i + j * ldc];
        }
    }
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "{x} vs {y}");
    }
}

#[test]
fn dense_layer_gemms_match_the_cpu_path() {
    for (rows, n_in, n_out) in [(5, 3, 4), (1, 7, 2), (6, 1, 1), (3, 8, 10)] {
        let x = common::uniform(rows * n_in, -1.0, 1.0, 1);
        let w = common::uniform(n_out * n_in, -1.0, 1.0, 2);
        let dz = common::uniform(rows * n_out, -1.0, 1.0, 3);
        let ones = vec![1.0; rows];

        let mut z = vec![0.0; rows * n_out];
        ops::linear_forward(&x, &w, n_in, n_out, &mut z);
        let mut zc = vec![0.0; rows * n_out];
        sgemm(&blas::forward_cfg(rows, n_in, n_out).unwrap(), &w, &x, &mut zc);
        close(&zc, &z);

        let (mut dw, mut db, mut dx) = (vec![0.0; n_out * n_in], vec![0.0; n_out], vec![0.0; rows * n_in]);
        ops::linear_backward(&x, &w, &dz, n_in, n_out, &mut dw, &mut db, Some(&mut dx));
        let mut c = vec![0.0; n_out * n_in];
        sgemm(&blas::weight_grad_cfg(rows, n_in, n_out).unwrap(), &x, &dz, &mut c);
        close(&c, &dw);
        let mut c = vec![0.0; n_out];
        sgemm(&blas::bias_grad_cfg(rows, n_out).unwrap(), &dz, &ones, &mut c);
        close(&c, &db);
        let mut c = vec![0.0; rows * n_in];
        sgemm(&blas::input_grad_cfg(rows, n_in, n_out).unwrap(), &w, &dz, &mut c);
        close(&c, &dx);
    }
}

#[test]
fn oversized_dimensions_are_errors_not_wraparound() {
    assert!(blas::forward_cfg(1 << 31, 1, 1).is_err());
}
