//! Loss kernels: forward and backward fused, the batch's loss summed on the
//! device (one atomic add per block) so that no value leaves the GPU per step.

use crate::kernel::{Kernel, LaunchShape};

/// The module's program (after [`super::PRELUDE`]).
pub const SOURCE: &str = concat!(
    "/* gd-cuda: loss */\n",
    r#"
/* One thread per row: dlogits = scale (softmax - onehot), *loss += scale (lse - z[label]). */
extern "C" __global__ void softmax_xent(const float* __restrict__ logits, const unsigned* __restrict__ labels,
                                        float* __restrict__ dlogits, float* __restrict__ loss,
                                        int rows, int cols, float scale) {
    float acc = 0.0f;
    GD_GRID_STRIDE(r, rows) {
        const float* z = logits + r * cols;
        float* d = dlogits + r * cols;
        float m = z[0];
        for (int c = 1; c < cols; ++c) m = fmaxf(m, z[c]);
        float se = 0.0f;
        for (int c = 0; c < cols; ++c) se += expf(z[c] - m);
        unsigned l = labels[r];
        acc += (m + logf(se) - z[l]) * scale;
        for (int c = 0; c < cols; ++c) {
            float sm = expf(z[c] - m) / se;
            d[c] = (sm - (c == (int)l ? 1.0f : 0.0f)) * scale;
        }
    }
    gd_block_add(loss, acc);
}

/* dy = 2 scale (y - t), *loss += scale sum (y - t)^2. */
extern "C" __global__ void mse(const float* __restrict__ y, const float* __restrict__ t,
                               float* __restrict__ dy, float* __restrict__ loss, int n, float scale) {
    float acc = 0.0f;
    GD_GRID_STRIDE(i, n) {
        float r = y[i] - t[i];
        dy[i] = 2.0f * r * scale;
        acc += r * r * scale;
    }
    gd_block_add(loss, acc);
}
"#
);

/// Softmax cross-entropy; args `(logits, labels, dlogits, loss, rows, cols, scale)`.
pub static SOFTMAX_XENT: Kernel = Kernel::new("softmax_xent", SOURCE, LaunchShape::ELEMENTWISE);
/// Squared error; args `(y, t, dy, loss, n, scale)`.
pub static MSE: Kernel = Kernel::new("mse", SOURCE, LaunchShape::ELEMENTWISE);

/// The module's kernels.
pub static ALL: &[&Kernel] = &[&SOFTMAX_XENT, &MSE];
