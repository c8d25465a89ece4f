//! The training loop on the CPU (f32, the GPU's precision).

use super::mlp::{loss_and_grad, BatchTargets, Workspace};
use super::ops::gather_rows;
use super::optim::apply;
use crate::error::CudaError;
use crate::model::MlpSpec;
use crate::train::{Data, Targets, TrainConfig, Trained};

/// Run the epochs; `order` holds each epoch's row order.
pub fn run(
    spec: &MlpSpec,
    params: &[f32],
    data: Data<'_>,
    n: usize,
    cfg: TrainConfig,
    order: &[u32],
) -> Result<Trained, CudaError> {
    let (d, k, np) = (spec.n_in(), spec.n_out(), spec.n_params());
    let b = cfg.batch.min(n);
    let mut p = params.to_vec();
    let mut g = vec![0.0f32; np];
    let used = spec.optimizer.state_used();
    let mut state: Vec<Vec<f32>> = used.iter().map(|&u| vec![0.0; if u { np } else { 0 }]).collect();
    let mut ws = Workspace::new(spec, b);
    let (mut xb, mut tb, mut lb) = (vec![0.0f32; b * d], vec![0.0f32; b * k], vec![0u32; b]);
    let mut epoch_loss = Vec::with_capacity(cfg.epochs);
    let mut t = 0u64;
    for e in 0..cfg.epochs {
        let ord = &order[e * n..(e + 1) * n];
        let mut sum = 0.0f64;
        let mut batches = 0usize;
        for idx in ord.chunks(b) {
            let rows = idx.len();
            gather_rows(data.x, idx, d, &mut xb[..rows * d]);
            let targets = match data.targets {
                Targets::Classes(l) => {
                    for (o, &i) in lb.iter_mut().zip(idx) {
                        *o = l[i as usize];
                    }
                    BatchTargets::Classes(&lb[..rows])
                }
                Targets::Values(v) => {
                    gather_rows(v, idx, k, &mut tb[..rows * k]);
                    BatchTargets::Values(&tb[..rows * k])
                }
            };
            let loss = loss_and_grad(spec, &p, &xb, targets, rows, &mut g, &mut ws);
            sum += loss as f64;
            batches += 1;
            let [s0, s1, s2] = &mut state[..] else { unreachable!() };
            apply(&spec.optimizer.update(t), &mut p, &g, [s0, s1, s2]);
            t += 1;
        }
        epoch_loss.push(sum / batches as f64);
    }
    Ok(Trained { params: p, epoch_loss, steps: t })
}
