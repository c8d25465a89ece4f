//! Typed launches of the built-in kernels (argument order as in
//! [`crate::kernels`]). Sizes are checked to fit the kernels' `int`s.

use cudarc::driver::{CudaSlice, CudaView, CudaViewMut, PushKernelArg};

use super::Gpu;
use crate::error::CudaError;
use crate::kernels::{layers, loss};
use crate::model::Activation;

/// `n` as the kernels' `int`.
pub fn int(n: usize) -> Result<i32, CudaError> {
    i32::try_from(n).map_err(|_| CudaError::Invalid(format!("size {n} exceeds the kernels' i32")))
}

/// `z[r, c] = act(z[r, c] + b[c])`.
pub fn bias_act_forward(gpu: &Gpu, z: &mut CudaViewMut<f32>, b: &CudaView<f32>, rows: usize, act: Activation) -> Result<(), CudaError> {
    let k = &layers::BIAS_ACT_FORWARD;
    let f = gpu.function(k)?;
    let (r, c, a) = (int(rows)?, int(b.len())?, act.code());
    let mut l = gpu.stream.launch_builder(&f);
    l.arg(z).arg(b).arg(&r).arg(&c).arg(&a);
    unsafe { l.launch(k.shape.config(rows * b.len())) }?;
    Ok(())
}

/// `dz *= act'(y)`.
pub fn act_backward(gpu: &Gpu, dz: &mut CudaViewMut<f32>, y: &CudaView<f32>, act: Activation) -> Result<(), CudaError> {
    if act == Activation::Identity {
        return Ok(());
    }
    let k = &layers::ACT_BACKWARD;
    let f = gpu.function(k)?;
    let (len, a) = (dz.len(), act.code());
    let n = int(len)?;
    let mut l = gpu.stream.launch_builder(&f);
    l.arg(dz).arg(y).arg(&n).arg(&a);
    unsafe { l.launch(k.shape.config(len)) }?;
    Ok(())
}

/// `out[r, :] = x[idx[r], :]`.
pub fn gather_rows(gpu: &Gpu, x: &CudaSlice<f32>, idx: &CudaView<u32>, cols: usize, out: &mut CudaViewMut<f32>) -> Result<(), CudaError> {
    let k = &layers::GATHER_ROWS;
    let f = gpu.function(k)?;
    let (r, c) = (int(idx.len())?, int(cols)?);
    let mut l = gpu.stream.launch_builder(&f);
    l.arg(x).arg(idx).arg(out).arg(&r).arg(&c);
    unsafe { l.launch(k.shape.config(idx.len() * cols)) }?;
    Ok(())
}

/// `out[r] = labels[idx[r]]`.
pub fn gather_labels(gpu: &Gpu, labels: &CudaSlice<u32>, idx: &CudaView<u32>, out: &mut CudaViewMut<u32>) -> Result<(), CudaError> {
    let k = &layers::GATHER_LABELS;
    let f = gpu.function(k)?;
    let r = int(idx.len())?;
    let mut l = gpu.stream.launch_builder(&f);
    l.arg(labels).arg(idx).arg(out).arg(&r);
    unsafe { l.launch(k.shape.config(idx.len())) }?;
    Ok(())
}

/// `x[i] = v`.
pub fn fill(gpu: &Gpu, x: &mut CudaViewMut<f32>, v: f32) -> Result<(), CudaError> {
    let k = &layers::FILL;
    let f = gpu.function(k)?;
    let n = int(x.len())?;
    let mut l = gpu.stream.launch_builder(&f);
    l.arg(x).arg(&v).arg(&n);
    unsafe { l.launch(k.shape.config(n as usize)) }?;
    Ok(())
}

/// Softmax cross-entropy of `rows` rows; adds the scaled loss to `loss[0]`.
pub fn softmax_xent(
    gpu: &Gpu,
    logits: &CudaView<f32>,
    labels: &CudaView<u32>,
    dlogits: &mut CudaViewMut<f32>,
    loss_acc: &mut CudaViewMut<f32>,
    cols: usize,
    scale: f32,
) -> Result<(), CudaError> {
    let k = &loss::SOFTMAX_XENT;
    let f = gpu.function(k)?;
    let (r, c) = (int(labels.len())?, int(cols)?);
    let mut l = gpu.stream.launch_builder(&f);
    l.arg(logits).arg(labels).arg(dlogits).arg(loss_acc).arg(&r).arg(&c).arg(&scale);
    unsafe { l.launch(k.shape.config(labels.len())) }?;
    Ok(())
}

/// Squared error; adds the scaled loss to `loss[0]`.
pub fn mse(
    gpu: &Gpu,
    y: &CudaView<f32>,
    t: &CudaView<f32>,
    dy: &mut CudaViewMut<f32>,
    loss_acc: &mut CudaViewMut<f32>,
    scale: f32,
) -> Result<(), CudaError> {
    let k = &loss::MSE;
    let f = gpu.function(k)?;
    let n = int(y.len())?;
    let mut l = gpu.stream.launch_builder(&f);
    l.arg(y).arg(t).arg(dy).arg(loss_acc).arg(&n).arg(&scale);
    unsafe { l.launch(k.shape.config(y.len())) }?;
    Ok(())
}
