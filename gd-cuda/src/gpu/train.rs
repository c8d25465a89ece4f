//! The MLP on the GPU: forward and backward with cuBLAS and the layer and
//! loss kernels, and the training loop. Data, parameters, gradients,
//! optimizer state, the epochs' row orders and the per-epoch losses live on
//! the device; the host copies in at the start and out at the end only.

use cudarc::driver::{CudaSlice, CudaView, CudaViewMut};

use super::optim::GpuOptimizer;
use super::{blas, ops, Gpu};
use crate::error::CudaError;
use crate::kernels;
use crate::model::{Loss, MlpSpec};
use crate::train::{Data, Targets, TrainConfig, Trained};

/// Device buffers for a batch of up to `rows` rows.
#[derive(Debug)]
pub struct GpuWorkspace {
    /// Post-activation outputs per layer, `rows × sizes[l+1]`.
    pub acts: Vec<CudaSlice<f32>>,
    /// Gradients w.r.t. pre-activations per layer.
    pub deltas: Vec<CudaSlice<f32>>,
    /// `rows` ones (the bias gradient is `dzᵀ · 1`).
    pub ones: CudaSlice<f32>,
}

impl GpuWorkspace {
    /// Buffers for `rows` rows.
    pub fn new(gpu: &Gpu, spec: &MlpSpec, rows: usize) -> Result<Self, CudaError> {
        let alloc = |s: usize| gpu.stream.alloc_zeros::<f32>(rows * s);
        let acts = spec.sizes[1..].iter().map(|&s| alloc(s)).collect::<Result<Vec<_>, _>>()?;
        let deltas = spec.sizes[1..].iter().map(|&s| alloc(s)).collect::<Result<Vec<_>, _>>()?;
        let mut ones = gpu.stream.alloc_zeros::<f32>(rows.max(1))?;
        ops::fill(gpu, &mut ones.as_view_mut(), 1.0)?;
        Ok(GpuWorkspace { acts, deltas, ones })
    }
}

/// A batch's targets on the device.
#[derive(Debug, Clone, Copy)]
pub enum GpuTargets<'a> {
    /// One class per row.
    Classes(&'a CudaView<'a, u32>),
    /// `n_out` values per row.
    Values(&'a CudaView<'a, f32>),
}

/// Forward pass of `rows` rows of `x` (outputs in `ws.acts`).
pub fn forward(gpu: &Gpu, spec: &MlpSpec, p: &CudaSlice<f32>, x: &CudaView<f32>, rows: usize, ws: &mut GpuWorkspace) -> Result<(), CudaError> {
    for (li, l) in spec.layout().iter().enumerate() {
        let (done, rest) = ws.acts.split_at_mut(li);
        let mut z = rest[0].slice_mut(..rows * l.n_out);
        let w = p.slice(l.w..l.b);
        if li == 0 {
            blas::linear_forward(gpu, &x.slice(..rows * l.n_in), &w, rows, l.n_in, l.n_out, &mut z)?;
        } else {
            blas::linear_forward(gpu, &done[li - 1].slice(..rows * l.n_in), &w, rows, l.n_in, l.n_out, &mut z)?;
        }
        ops::bias_act_forward(gpu, &mut z, &p.slice(l.b..l.b + l.n_out), rows, l.act)?;
    }
    Ok(())
}

/// Forward and backward of one batch: the gradient of the mean loss into
/// `g` (overwritten), the mean loss added to `loss_acc[0]` on the device.
#[allow(clippy::too_many_arguments)]
pub fn loss_and_grad(
    gpu: &Gpu,
    spec: &MlpSpec,
    p: &CudaSlice<f32>,
    x: &CudaView<f32>,
    targets: GpuTargets<'_>,
    rows: usize,
    g: &mut CudaSlice<f32>,
    loss_acc: &mut CudaViewMut<f32>,
    ws: &mut GpuWorkspace,
) -> Result<(), CudaError> {
    loss_and_grad_part(gpu, spec, p, x, targets, rows, rows, g, loss_acc, ws)
}

/// [`loss_and_grad`] over `rows` rows that are part of a batch of
/// `batch_rows` (one GPU's part of a data-parallel batch): loss and
/// gradient are divided by `batch_rows`, so the GPUs' parts sum to the
/// batch's mean.
#[allow(clippy::too_many_arguments)]
pub fn loss_and_grad_part(
    gpu: &Gpu,
    spec: &MlpSpec,
    p: &CudaSlice<f32>,
    x: &CudaView<f32>,
    targets: GpuTargets<'_>,
    rows: usize,
    batch_rows: usize,
    g: &mut CudaSlice<f32>,
    loss_acc: &mut CudaViewMut<f32>,
    ws: &mut GpuWorkspace,
) -> Result<(), CudaError> {
    forward(gpu, spec, p, x, rows, ws)?;
    let layout = spec.layout();
    let last = layout.len() - 1;
    let k = spec.n_out();
    {
        let out = ws.acts[last].slice(..rows * k);
        let mut d = ws.deltas[last].slice_mut(..rows * k);
        match (spec.loss, targets) {
            (Loss::SoftmaxCrossEntropy, GpuTargets::Classes(lab)) => {
                ops::softmax_xent(gpu, &out, &lab.slice(..rows), &mut d, loss_acc, k, 1.0 / batch_rows as f32)?
            }
            (Loss::Mse, GpuTargets::Values(t)) => {
                ops::mse(gpu, &out, &t.slice(..rows * k), &mut d, loss_acc, 1.0 / (batch_rows * k) as f32)?
            }
            _ => return Err(CudaError::Invalid("targets do not fit the loss".into())),
        }
        ops::act_backward(gpu, &mut d, &out, layout[last].act)?;
    }
    for li in (0..=last).rev() {
        let l = layout[li];
        let (lower, upper) = ws.deltas.split_at_mut(li);
        let dz = upper[0].slice(..rows * l.n_out);
        let mut gl = g.slice_mut(l.w..l.b + l.n_out);
        let (mut gw, mut gb) = gl.split_at_mut(l.b - l.w);
        if li == 0 {
            blas::weight_grad(gpu, &x.slice(..rows * l.n_in), &dz, rows, l.n_in, l.n_out, &mut gw)?;
        } else {
            blas::weight_grad(gpu, &ws.acts[li - 1].slice(..rows * l.n_in), &dz, rows, l.n_in, l.n_out, &mut gw)?;
        }
        blas::bias_grad(gpu, &dz, &ws.ones.slice(..rows), rows, l.n_out, &mut gb)?;
        if li > 0 {
            let mut dx = lower[li - 1].slice_mut(..rows * l.n_in);
            blas::input_grad(gpu, &dz, &p.slice(l.w..l.b), rows, l.n_in, l.n_out, &mut dx)?;
            ops::act_backward(gpu, &mut dx, &ws.acts[li - 1].slice(..rows * l.n_in), layout[li - 1].act)?;
        }
    }
    Ok(())
}

/// The training loop on `gpu`; `order` holds each epoch's row order.
pub fn run(
    gpu: &Gpu,
    spec: &MlpSpec,
    params: &[f32],
    data: Data<'_>,
    n: usize,
    cfg: TrainConfig,
    order: &[u32],
) -> Result<Trained, CudaError> {
    run_parallel(gpu, spec, params, data, n, cfg, order, None)
}

/// [`run`], data parallel when `dp` is given: every rank (one per GPU,
/// each with all the data and the same `order`) takes its contiguous part
/// of each batch (`rank·rows/size .. (rank+1)·rows/size`), computes that
/// part's loss and gradient divided by the batch's rows, and NCCL sums the
/// gradients on the devices before every rank takes the same step. The
/// epoch losses are summed once at the end.
#[allow(clippy::too_many_arguments)]
pub fn run_parallel(
    gpu: &Gpu,
    spec: &MlpSpec,
    params: &[f32],
    data: Data<'_>,
    n: usize,
    cfg: TrainConfig,
    order: &[u32],
    dp: Option<&crate::nccl::NcclComm>,
) -> Result<Trained, CudaError> {
    let (rank, size) = dp.map_or((0, 1), |c| (c.rank(), c.size()));
    let (d, k) = (spec.n_in(), spec.n_out());
    let b = cfg.batch.min(n);
    gpu.kernels.warm(&kernels::all())?;
    // Host → device, once.
    let x = gpu.stream.clone_htod(data.x)?;
    let order = gpu.stream.clone_htod(order)?;
    let mut p = gpu.stream.clone_htod(params)?;
    let (labels, values) = match data.targets {
        Targets::Classes(l) => (Some(gpu.stream.clone_htod(l)?), None),
        Targets::Values(v) => (None, Some(gpu.stream.clone_htod(v)?)),
    };
    let mut g = gpu.stream.alloc_zeros::<f32>(spec.n_params())?;
    let mut losses = gpu.stream.alloc_zeros::<f32>(cfg.epochs.max(1))?;
    let mut xb = gpu.stream.alloc_zeros::<f32>(b * d)?;
    let mut tb = gpu.stream.alloc_zeros::<f32>(if values.is_some() { b * k } else { 1 })?;
    let mut lb = gpu.stream.alloc_zeros::<u32>(b)?;
    let mut ws = GpuWorkspace::new(gpu, spec, b)?;
    let mut opt = GpuOptimizer::new(gpu, spec.optimizer, spec.n_params())?;
    let batches_per_epoch = n.div_ceil(b);
    for e in 0..cfg.epochs {
        for start in (0..n).step_by(b) {
            let batch_rows = b.min(n - start);
            let (lo, hi) = (batch_rows * rank / size, batch_rows * (rank + 1) / size);
            let rows = hi - lo;
            if rows == 0 {
                // A batch shorter than the ranks: this one adds zeros.
                ops::fill(gpu, &mut g.as_view_mut(), 0.0)?;
                if let Some(c) = dp {
                    c.all_reduce_f32(&mut g)?;
                }
                opt.step(gpu, &mut p, &g)?;
                continue;
            }
            let idx = order.slice(e * n + start + lo..e * n + start + hi);
            ops::gather_rows(gpu, &x, &idx, d, &mut xb.slice_mut(..rows * d))?;
            let xv = xb.slice(..rows * d);
            let mut slot = losses.slice_mut(e..e + 1);
            if let Some(lab) = &labels {
                ops::gather_labels(gpu, lab, &idx, &mut lb.slice_mut(..rows))?;
                let lv = lb.slice(..rows);
                loss_and_grad_part(gpu, spec, &p, &xv, GpuTargets::Classes(&lv), rows, batch_rows, &mut g, &mut slot, &mut ws)?;
            } else if let Some(val) = &values {
                ops::gather_rows(gpu, val, &idx, k, &mut tb.slice_mut(..rows * k))?;
                let tv = tb.slice(..rows * k);
                loss_and_grad_part(gpu, spec, &p, &xv, GpuTargets::Values(&tv), rows, batch_rows, &mut g, &mut slot, &mut ws)?;
            }
            if let Some(c) = dp {
                c.all_reduce_f32(&mut g)?;
            }
            opt.step(gpu, &mut p, &g)?;
        }
    }
    // Device → host, once.
    if let Some(c) = dp {
        c.all_reduce_f32(&mut losses)?;
    }
    let params = gpu.stream.clone_dtoh(&p)?;
    let sums = gpu.stream.clone_dtoh(&losses)?;
    gpu.sync()?;
    let epoch_loss = sums.iter().take(cfg.epochs).map(|&s| s as f64 / batches_per_epoch as f64).collect();
    Ok(Trained { params, epoch_loss, steps: opt.steps() })
}
