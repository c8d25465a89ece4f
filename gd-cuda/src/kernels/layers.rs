//! Dense-layer kernels around cuBLAS's GEMM: bias + activation, the
//! activation's backward pass, gathering a batch's rows, filling.

use crate::kernel::{Kernel, LaunchShape};

/// The module's program (after [`super::PRELUDE`]).
pub const SOURCE: &str = concat!(
    "/* gd-cuda: layers */\n",
    r#"
extern "C" __global__ void bias_act_forward(float* __restrict__ z, const float* __restrict__ b,
                                            int rows, int cols, int act) {
    GD_GRID_STRIDE(i, (long long)rows * cols) {
        z[i] = gd_act(act, z[i] + b[i % cols]);
    }
}

extern "C" __global__ void act_backward(float* __restrict__ dz, const float* __restrict__ y,
                                        int n, int act) {
    GD_GRID_STRIDE(i, n) {
        dz[i] *= gd_act_grad(act, y[i]);
    }
}

extern "C" __global__ void gather_rows(const float* __restrict__ x, const unsigned* __restrict__ idx,
                                       float* __restrict__ out, int rows, int cols) {
    GD_GRID_STRIDE(i, (long long)rows * cols) {
        long long r = i / cols, c = i % cols;
        out[i] = x[(long long)idx[r] * cols + c];
    }
}

extern "C" __global__ void gather_labels(const unsigned* __restrict__ labels,
                                         const unsigned* __restrict__ idx,
                                         unsigned* __restrict__ out, int rows) {
    GD_GRID_STRIDE(i, rows) {
        out[i] = labels[idx[i]];
    }
}

extern "C" __global__ void fill(float* __restrict__ x, float v, int n) {
    GD_GRID_STRIDE(i, n) {
        x[i] = v;
    }
}
"#
);

const SHAPE: LaunchShape = LaunchShape::ELEMENTWISE;

/// `z[r, c] = act(z[r, c] + b[c])`; args `(z, b, rows, cols, act)`.
pub static BIAS_ACT_FORWARD: Kernel = Kernel::new("bias_act_forward", SOURCE, SHAPE);
/// `dz *= act'(y)`; args `(dz, y, n, act)`.
pub static ACT_BACKWARD: Kernel = Kernel::new("act_backward", SOURCE, SHAPE);
/// `out[r, :] = x[idx[r], :]`; args `(x, idx, out, rows, cols)`.
pub static GATHER_ROWS: Kernel = Kernel::new("gather_rows", SOURCE, SHAPE);
/// `out[r] = labels[idx[r]]`; args `(labels, idx, out, rows)`.
pub static GATHER_LABELS: Kernel = Kernel::new("gather_labels", SOURCE, SHAPE);
/// `x[i] = v`; args `(x, v, n)`.
pub static FILL: Kernel = Kernel::new("fill", SOURCE, SHAPE);

/// The module's kernels.
pub static ALL: &[&Kernel] = &[&BIAS_ACT_FORWARD, &ACT_BACKWARD, &GATHER_ROWS, &GATHER_LABELS, &FILL];
