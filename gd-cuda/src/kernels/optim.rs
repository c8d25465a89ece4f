//! Fused optimizer updates: one launch per parameter vector per step, the
//! arithmetic of [`crate::cpu::optim::apply`] (gd-runtime's optimizers) in f32.
//! The step's scalars come from [`crate::optim::OptimSpec::update`].

use crate::kernel::{Kernel, LaunchShape};

/// The module's program (after [`super::PRELUDE`]).
pub const SOURCE: &str = concat!(
    "/* gd-cuda: optim */\n",
    r#"
extern "C" __global__ void sgd_update(float* __restrict__ p, const float* __restrict__ g,
                                      float* __restrict__ buf, int n, float lr, float mu,
                                      float dampening, int nesterov, int first, int use_momentum) {
    GD_GRID_STRIDE(i, n) {
        float gi = g[i];
        if (!use_momentum) {
            p[i] -= lr * gi;
        } else {
            float b = first ? gi : mu * buf[i] + (1.0f - dampening) * gi;
            buf[i] = b;
            float d = nesterov ? gi + mu * b : b;
            p[i] -= lr * d;
        }
    }
}

extern "C" __global__ void rmsprop_update(float* __restrict__ p, const float* __restrict__ g,
                                          float* __restrict__ sq, float* __restrict__ avg,
                                          float* __restrict__ buf, int n, float lr, float alpha,
                                          float eps, float mu, int centered, int use_momentum) {
    GD_GRID_STRIDE(i, n) {
        float gi = g[i];
        float v = alpha * sq[i] + (1.0f - alpha) * gi * gi;
        sq[i] = v;
        float d;
        if (centered) {
            float a = alpha * avg[i] + (1.0f - alpha) * gi;
            avg[i] = a;
            d = sqrtf(fmaxf(v - a * a, 0.0f)) + eps;
        } else {
            d = sqrtf(v) + eps;
        }
        if (use_momentum) {
            float b = mu * buf[i] + gi / d;
            buf[i] = b;
            p[i] -= lr * b;
        } else {
            p[i] -= lr * gi / d;
        }
    }
}

/* Adam and AdamW (decay = 1 - lr * weight_decay; 1 for Adam). */
extern "C" __global__ void adam_update(float* __restrict__ p, const float* __restrict__ g,
                                       float* __restrict__ m, float* __restrict__ v, int n,
                                       float step_size, float inv_bc2_sqrt, float beta1, float beta2,
                                       float eps, float decay) {
    GD_GRID_STRIDE(i, n) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay - step_size * mi / (sqrtf(vi) * inv_bc2_sqrt + eps);
    }
}

extern "C" __global__ void lion_update(float* __restrict__ p, const float* __restrict__ g,
                                       float* __restrict__ m, int n, float lr, float beta1, float beta2) {
    GD_GRID_STRIDE(i, n) {
        float gi = g[i], mi = m[i];
        float c = beta1 * mi + (1.0f - beta1) * gi;
        float s = c > 0.0f ? 1.0f : (c < 0.0f ? -1.0f : c);
        p[i] -= lr * s;
        m[i] = beta2 * mi + (1.0f - beta2) * gi;
    }
}
"#
);

const SHAPE: LaunchShape = LaunchShape::ELEMENTWISE;

/// SGD / momentum / Nesterov; args `(p, g, buf, n, lr, mu, dampening, nesterov, first, use_momentum)`.
pub static SGD: Kernel = Kernel::new("sgd_update", SOURCE, SHAPE);
/// RMSprop; args `(p, g, sq, avg, buf, n, lr, alpha, eps, mu, centered, use_momentum)`.
pub static RMSPROP: Kernel = Kernel::new("rmsprop_update", SOURCE, SHAPE);
/// Adam / AdamW; args `(p, g, m, v, n, step_size, inv_bc2_sqrt, beta1, beta2, eps, decay)`.
pub static ADAM: Kernel = Kernel::new("adam_update", SOURCE, SHAPE);
/// Lion; args `(p, g, m, n, lr, beta1, beta2)`.
pub static LION: Kernel = Kernel::new("lion_update", SOURCE, SHAPE);

/// The module's kernels.
pub static ALL: &[&Kernel] = &[&SGD, &RMSPROP, &ADAM, &LION];
