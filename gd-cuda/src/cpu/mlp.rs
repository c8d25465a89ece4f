//! The MLP's forward and backward pass on the CPU, in plain loops over
//! [`super::ops`] (the reference the GPU path is tested against).

use super::ops;
use super::real::Real;
use crate::model::{Loss, MlpSpec};

/// Targets of one batch.
#[derive(Debug, Clone, Copy)]
pub enum BatchTargets<'a, R> {
    /// One class per row.
    Classes(&'a [u32]),
    /// `n_out` values per row.
    Values(&'a [R]),
}

/// Activations and their gradients for a batch of up to `rows` rows.
#[derive(Debug, Clone)]
pub struct Workspace<R> {
    /// `acts[l]`: the output of layer `l` (post-activation), `rows × sizes[l+1]`.
    pub acts: Vec<Vec<R>>,
    /// `deltas[l]`: gradient of the loss w.r.t. layer `l`'s pre-activation.
    pub deltas: Vec<Vec<R>>,
}

impl<R: Real> Workspace<R> {
    /// Buffers for `rows` rows.
    pub fn new(spec: &MlpSpec, rows: usize) -> Self {
        let acts: Vec<Vec<R>> = spec.sizes[1..].iter().map(|&s| vec![R::ZERO; rows * s]).collect();
        Workspace { deltas: acts.clone(), acts }
    }
}

/// Forward pass of `rows` rows of `x`; outputs in `ws.acts`.
pub fn forward<R: Real>(spec: &MlpSpec, p: &[R], x: &[R], rows: usize, ws: &mut Workspace<R>) {
    for (li, l) in spec.layout().iter().enumerate() {
        let (done, rest) = ws.acts.split_at_mut(li);
        let input: &[R] = if li == 0 { &x[..rows * l.n_in] } else { &done[li - 1][..rows * l.n_in] };
        let z = &mut rest[0][..rows * l.n_out];
        ops::linear_forward(input, &p[l.w..l.b], l.n_in, l.n_out, z);
        ops::bias_act_forward(z, &p[l.b..l.b + l.n_out], l.act);
    }
}

/// Mean loss over the `rows` rows of `x` and its gradient in `g`
/// (overwritten).
pub fn loss_and_grad<R: Real>(
    spec: &MlpSpec,
    p: &[R],
    x: &[R],
    targets: BatchTargets<'_, R>,
    rows: usize,
    g: &mut [R],
    ws: &mut Workspace<R>,
) -> R {
    forward(spec, p, x, rows, ws);
    let layout = spec.layout();
    let last = layout.len() - 1;
    let k = spec.n_out();
    let out = &ws.acts[last][..rows * k];
    let d = &mut ws.deltas[last][..rows * k];
    let loss = match (spec.loss, targets) {
        (Loss::SoftmaxCrossEntropy, BatchTargets::Classes(lab)) => {
            ops::softmax_xent(out, &lab[..rows], k, R::ONE / R::from_f64(rows as f64), d)
        }
        (Loss::Mse, BatchTargets::Values(t)) => {
            ops::mse(out, &t[..rows * k], R::ONE / R::from_f64((rows * k) as f64), d)
        }
        _ => panic!("targets do not match the loss (checked by the caller)"),
    };
    ops::act_backward(d, out, layout[last].act);
    for li in (0..=last).rev() {
        let l = layout[li];
        let (lower, upper) = ws.deltas.split_at_mut(li);
        let dz = &upper[0][..rows * l.n_out];
        let input: &[R] = if li == 0 { &x[..rows * l.n_in] } else { &ws.acts[li - 1][..rows * l.n_in] };
        let (gw, gb) = g[l.w..l.b + l.n_out].split_at_mut(l.b - l.w);
        let dx = if li == 0 { None } else { Some(&mut lower[li - 1][..rows * l.n_in]) };
        let has_dx = dx.is_some();
        ops::linear_backward(input, &p[l.w..l.b], dz, l.n_in, l.n_out, gw, gb, dx);
        if has_dx {
            let prev = layout[li - 1];
            ops::act_backward(&mut lower[li - 1][..rows * l.n_in], &ws.acts[li - 1][..rows * l.n_in], prev.act);
        }
    }
    loss
}
