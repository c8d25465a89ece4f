//! Fused optimizer updates: one launch per parameter vector per step, the
//! arithmetic of [`crate::cpu::optim::apply`] (gd-runtime's optimizers) in f32.
//! The step's scalars come from [`crate::optim::OptimSpec::update`].

use crate::kernel::{Kernel, LaunchShape};

/// The module's program (after [`super::PRELUDE`]).
pub const SOURCE: &str = concat!(
    "/* gd-cuda: optim */\n",
    r#"
/* Each thread updates four consecutive floats with 16-byte loads and stores
   when every vector it touches is 16-byte aligned (whole allocations are),
   one float at a time otherwise and for the last n % 4. On an H200 one
   float per thread left the updates with a square root and a division
   (RMSprop, Adam) latency-bound at 60-78 % of a device-to-device copy's
   bandwidth; four per thread keep more loads in flight. The arithmetic is
   one per-element function either way, the CPU path's, in its order. */
#define GD_ALIGNED16(ptr) ((((unsigned long long)(ptr)) & 15ull) == 0)
struct gd_f4 { float v[4]; };
__device__ __forceinline__ gd_f4 gd_ld4(const float* a, long long j) {
    float4 t = reinterpret_cast<const float4*>(a)[j];
    gd_f4 r = {{t.x, t.y, t.z, t.w}};
    return r;
}
__device__ __forceinline__ void gd_st4(float* a, long long j, const gd_f4& r) {
    float4 t = {r.v[0], r.v[1], r.v[2], r.v[3]};
    reinterpret_cast<float4*>(a)[j] = t;
}
/* Groups of four for this launch (0: every float goes one at a time). */
#define GD_GROUPS(n, aligned) ((aligned) ? (long long)(n) / 4 : 0ll)
/* The floats after the groups, one per thread: `i` indexes the vectors. */
#define GD_LEFTOVER(i, n, groups) \
    for (long long i = 4 * (groups) + (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); \
         i += (long long)blockDim.x * gridDim.x)

__device__ __forceinline__ void sgd_one(float& p, float gi, float& buf, float lr, float mu, float dampening,
                                        int nesterov, int first, int use_momentum) {
    if (!use_momentum) {
        p -= lr * gi;
    } else {
        float b = first ? gi : mu * buf + (1.0f - dampening) * gi;
        buf = b;
        float d = nesterov ? gi + mu * b : b;
        p -= lr * d;
    }
}

extern "C" __global__ void sgd_update(float* __restrict__ p, const float* __restrict__ g,
                                      float* __restrict__ buf, int n, float lr, float mu,
                                      float dampening, int nesterov, int first, int use_momentum) {
    long long groups = GD_GROUPS(n, GD_ALIGNED16(p) && GD_ALIGNED16(g) && (!use_momentum || GD_ALIGNED16(buf)));
    GD_GRID_STRIDE(j, groups) {
        gd_f4 P = gd_ld4(p, j), G = gd_ld4(g, j), B = {{0.0f, 0.0f, 0.0f, 0.0f}};
        if (use_momentum) B = gd_ld4(buf, j);
#pragma unroll
        for (int k = 0; k < 4; k++) sgd_one(P.v[k], G.v[k], B.v[k], lr, mu, dampening, nesterov, first, use_momentum);
        gd_st4(p, j, P);
        if (use_momentum) gd_st4(buf, j, B);
    }
    GD_LEFTOVER(i, n, groups) {
        float b = use_momentum ? buf[i] : 0.0f;
        sgd_one(p[i], g[i], b, lr, mu, dampening, nesterov, first, use_momentum);
        if (use_momentum) buf[i] = b;
    }
}

__device__ __forceinline__ void rmsprop_one(float& p, float gi, float& sq, float& avg, float& buf, float lr,
                                            float alpha, float eps, float mu, int centered, int use_momentum) {
    float v = alpha * sq + (1.0f - alpha) * gi * gi;
    sq = v;
    float d;
    if (centered) {
        float a = alpha * avg + (1.0f - alpha) * gi;
        avg = a;
        d = sqrtf(fmaxf(v - a * a, 0.0f)) + eps;
    } else {
        d = sqrtf(v) + eps;
    }
    if (use_momentum) {
        float b = mu * buf + gi / d;
        buf = b;
        p -= lr * b;
    } else {
        p -= lr * gi / d;
    }
}

extern "C" __global__ void rmsprop_update(float* __restrict__ p, const float* __restrict__ g,
                                          float* __restrict__ sq, float* __restrict__ avg,
                                          float* __restrict__ buf, int n, float lr, float alpha,
                                          float eps, float mu, int centered, int use_momentum) {
    long long groups = GD_GROUPS(n, GD_ALIGNED16(p) && GD_ALIGNED16(g) && GD_ALIGNED16(sq) &&
                                        (!centered || GD_ALIGNED16(avg)) && (!use_momentum || GD_ALIGNED16(buf)));
    GD_GRID_STRIDE(j, groups) {
        gd_f4 P = gd_ld4(p, j), G = gd_ld4(g, j), S = gd_ld4(sq, j);
        gd_f4 A = {{0.0f, 0.0f, 0.0f, 0.0f}}, B = A;
        if (centered) A = gd_ld4(avg, j);
        if (use_momentum) B = gd_ld4(buf, j);
#pragma unroll
        for (int k = 0; k < 4; k++)
            rmsprop_one(P.v[k], G.v[k], S.v[k], A.v[k], B.v[k], lr, alpha, eps, mu, centered, use_momentum);
        gd_st4(p, j, P);
        gd_st4(sq, j, S);
        if (centered) gd_st4(avg, j, A);
        if (use_momentum) gd_st4(buf, j, B);
    }
    GD_LEFTOVER(i, n, groups) {
        float a = centered ? avg[i] : 0.0f, b = use_momentum ? buf[i] : 0.0f;
        rmsprop_one(p[i], g[i], sq[i], a, b, lr, alpha, eps, mu, centered, use_momentum);
        if (centered) avg[i] = a;
        if (use_momentum) buf[i] = b;
    }
}

/* Adam and AdamW (decay = 1 - lr * weight_decay; 1 for Adam). */
__device__ __forceinline__ void adam_one(float& p, float gi, float& m, float& v, float step_size,
                                         float inv_bc2_sqrt, float beta1, float beta2, float eps, float decay) {
    float mi = beta1 * m + (1.0f - beta1) * gi;
    float vi = beta2 * v + (1.0f - beta2) * gi * gi;
    m = mi;
    v = vi;
    p = p * decay - step_size * mi / (sqrtf(vi) * inv_bc2_sqrt + eps);
}

extern "C" __global__ void adam_update(float* __restrict__ p, const float* __restrict__ g,
                                       float* __restrict__ m, float* __restrict__ v, int n,
                                       float step_size, float inv_bc2_sqrt, float beta1, float beta2,
                                       float eps, float decay) {
    long long groups = GD_GROUPS(n, GD_ALIGNED16(p) && GD_ALIGNED16(g) && GD_ALIGNED16(m) && GD_ALIGNED16(v));
    GD_GRID_STRIDE(j, groups) {
        gd_f4 P = gd_ld4(p, j), G = gd_ld4(g, j), M = gd_ld4(m, j), V = gd_ld4(v, j);
#pragma unroll
        for (int k = 0; k < 4; k++) adam_one(P.v[k], G.v[k], M.v[k], V.v[k], step_size, inv_bc2_sqrt, beta1, beta2, eps, decay);
        gd_st4(p, j, P);
        gd_st4(m, j, M);
        gd_st4(v, j, V);
    }
    GD_LEFTOVER(i, n, groups) {
        adam_one(p[i], g[i], m[i], v[i], step_size, inv_bc2_sqrt, beta1, beta2, eps, decay);
    }
}

__device__ __forceinline__ void lion_one(float& p, float gi, float& m, float lr, float beta1, float beta2) {
    float c = beta1 * m + (1.0f - beta1) * gi;
    float s = c > 0.0f ? 1.0f : (c < 0.0f ? -1.0f : c);
    p -= lr * s;
    m = beta2 * m + (1.0f - beta2) * gi;
}

extern "C" __global__ void lion_update(float* __restrict__ p, const float* __restrict__ g,
                                       float* __restrict__ m, int n, float lr, float beta1, float beta2) {
    long long groups = GD_GROUPS(n, GD_ALIGNED16(p) && GD_ALIGNED16(g) && GD_ALIGNED16(m));
    GD_GRID_STRIDE(j, groups) {
        gd_f4 P = gd_ld4(p, j), G = gd_ld4(g, j), M = gd_ld4(m, j);
#pragma unroll
        for (int k = 0; k < 4; k++) lion_one(P.v[k], G.v[k], M.v[k], lr, beta1, beta2);
        gd_st4(p, j, P);
        gd_st4(m, j, M);
    }
    GD_LEFTOVER(i, n, groups) {
        lion_one(p[i], g[i], m[i], lr, beta1, beta2);
    }
}
"#
);

/// Floats per thread: launch the updates for `n.div_ceil(FLOATS_PER_THREAD)`
/// items (any grid is correct; this one gives each thread one group).
pub const FLOATS_PER_THREAD: usize = 4;

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
