//! Dense layers through cuBLAS SGEMM, for row-major matrices (a row-major
//! `r × c` matrix is cuBLAS's column-major `c × r`, so each product below is
//! written transposed). The configurations are pure functions so that the
//! layouts are tested without a GPU.

use cudarc::cublas::sys::cublasOperation_t::{CUBLAS_OP_N, CUBLAS_OP_T};
use cudarc::cublas::{Gemm, GemmConfig};
use cudarc::driver::{DevicePtr, DevicePtrMut};

use super::Gpu;
use crate::error::CudaError;

fn dim(v: usize) -> Result<i32, CudaError> {
    i32::try_from(v).map_err(|_| CudaError::Invalid(format!("dimension {v} exceeds cuBLAS's i32")))
}

/// `z (rows × n_out) = x (rows × n_in) · Wᵀ` with `W` `n_out × n_in`.
pub fn linear_forward(
    gpu: &Gpu,
    x: &impl DevicePtr<f32>,
    w: &impl DevicePtr<f32>,
    rows: usize,
    n_in: usize,
    n_out: usize,
    z: &mut impl DevicePtrMut<f32>,
) -> Result<(), CudaError> {
    let cfg = forward_cfg(rows, n_in, n_out)?;
    unsafe { gpu.blas.gemm(cfg, w, x, z) }?;
    Ok(())
}

/// `dW (n_out × n_in) = dzᵀ · x` (overwritten).
pub fn weight_grad(
    gpu: &Gpu,
    x: &impl DevicePtr<f32>,
    dz: &impl DevicePtr<f32>,
    rows: usize,
    n_in: usize,
    n_out: usize,
    dw: &mut impl DevicePtrMut<f32>,
) -> Result<(), CudaError> {
    let cfg = weight_grad_cfg(rows, n_in, n_out)?;
    unsafe { gpu.blas.gemm(cfg, x, dz, dw) }?;
    Ok(())
}

/// `db (n_out) = Σ_rows dz = dzᵀ · 1` (overwritten); `ones` holds `rows` ones.
pub fn bias_grad(
    gpu: &Gpu,
    dz: &impl DevicePtr<f32>,
    ones: &impl DevicePtr<f32>,
    rows: usize,
    n_out: usize,
    db: &mut impl DevicePtrMut<f32>,
) -> Result<(), CudaError> {
    let cfg = bias_grad_cfg(rows, n_out)?;
    unsafe { gpu.blas.gemm(cfg, dz, ones, db) }?;
    Ok(())
}

/// `dx (rows × n_in) = dz (rows × n_out) · W`.
pub fn input_grad(
    gpu: &Gpu,
    dz: &impl DevicePtr<f32>,
    w: &impl DevicePtr<f32>,
    rows: usize,
    n_in: usize,
    n_out: usize,
    dx: &mut impl DevicePtrMut<f32>,
) -> Result<(), CudaError> {
    let cfg = input_grad_cfg(rows, n_in, n_out)?;
    unsafe { gpu.blas.gemm(cfg, w, dz, dx) }?;
    Ok(())
}

/// The GEMM of [`linear_forward`]: A = W, B = x, C = z (the order it passes them to cuBLAS;
/// `tests/gemm_layouts.rs` checks the layout against the CPU path).
pub fn forward_cfg(rows: usize, n_in: usize, n_out: usize) -> Result<GemmConfig<f32>, CudaError> {
    // zᵀ (n_out × rows, col-major) = W (col-major Wᵀ, transposed) · xᵀ.
    Ok(GemmConfig {
        transa: CUBLAS_OP_T,
        transb: CUBLAS_OP_N,
        m: dim(n_out)?,
        n: dim(rows)?,
        k: dim(n_in)?,
        alpha: 1.0f32,
        lda: dim(n_in)?,
        ldb: dim(n_in)?,
        beta: 0.0f32,
        ldc: dim(n_out)?,
    })
}

/// The GEMM of [`weight_grad`]: A = x, B = dz, C = dW (the order it passes them to cuBLAS;
/// `tests/gemm_layouts.rs` checks the layout against the CPU path).
pub fn weight_grad_cfg(rows: usize, n_in: usize, n_out: usize) -> Result<GemmConfig<f32>, CudaError> {
    // dWᵀ (n_in × n_out, col-major) = xᵀ (n_in × rows) · dz (rows × n_out).
    Ok(GemmConfig {
        transa: CUBLAS_OP_N,
        transb: CUBLAS_OP_T,
        m: dim(n_in)?,
        n: dim(n_out)?,
        k: dim(rows)?,
        alpha: 1.0f32,
        lda: dim(n_in)?,
        ldb: dim(n_out)?,
        beta: 0.0f32,
        ldc: dim(n_in)?,
    })
}

/// The GEMM of [`bias_grad`]: A = dz, B = ones, C = db (the order it passes them to cuBLAS;
/// `tests/gemm_layouts.rs` checks the layout against the CPU path).
pub fn bias_grad_cfg(rows: usize, n_out: usize) -> Result<GemmConfig<f32>, CudaError> {
    Ok(GemmConfig {
        transa: CUBLAS_OP_N,
        transb: CUBLAS_OP_N,
        m: dim(n_out)?,
        n: 1,
        k: dim(rows)?,
        alpha: 1.0f32,
        lda: dim(n_out)?,
        ldb: dim(rows)?,
        beta: 0.0f32,
        ldc: dim(n_out)?,
    })
}

/// The GEMM of [`input_grad`]: A = W, B = dz, C = dx (the order it passes them to cuBLAS;
/// `tests/gemm_layouts.rs` checks the layout against the CPU path).
pub fn input_grad_cfg(rows: usize, n_in: usize, n_out: usize) -> Result<GemmConfig<f32>, CudaError> {
    // dxᵀ (n_in × rows) = Wᵀ (col-major W, n_in × n_out) · dzᵀ (n_out × rows).
    Ok(GemmConfig {
        transa: CUBLAS_OP_N,
        transb: CUBLAS_OP_N,
        m: dim(n_in)?,
        n: dim(rows)?,
        k: dim(n_out)?,
        alpha: 1.0f32,
        lda: dim(n_in)?,
        ldb: dim(n_out)?,
        beta: 0.0f32,
        ldc: dim(n_in)?,
    })
}
