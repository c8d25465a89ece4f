/* gd: what the CUDA C printed by #[differentiable(cuda)] relies on
 * (gd-macros/src/emit/cuda.rs). C++ for NVRTC or a host compiler given
 * stubs of __device__: slices and fixed-size arrays with the methods the
 * Rust code calls (`xs[i]`, `xs.len()`), one helper per float method
 * (`x.exp()` is printed `gd_exp(x)`, overloaded on float and double), and
 * the value stacks of the reverse sweep. */
#ifndef GD_CUDA_PRELUDE
#define GD_CUDA_PRELUDE

/* Entries of each value stack of a reverse sweep (per thread, per call):
 * a sweep that needs more sets its overflow flag (gd::cuda reports it). */
#ifndef GD_STACK
#define GD_STACK 512
#endif

typedef unsigned long long gd_usize;

/* `&[F]`: a pointer and a length. */
template <typename T> struct gd_slice {
    const T* p;
    gd_usize n;
    __device__ gd_slice() : p(0), n(0) {}
    __device__ gd_slice(const T* p_, gd_usize n_) : p(p_), n(n_) {}
    __device__ T operator[](gd_usize i) const { return p[i]; }
    __device__ gd_usize len() const { return n; }
    /* `&xs[lo..hi]` */
    __device__ gd_slice sub(gd_usize lo, gd_usize hi) const { return gd_slice(p + lo, hi - lo); }
    __device__ gd_slice from(gd_usize lo) const { return gd_slice(p + lo, n - lo); }
};

/* A local fixed-size array `[x; N]` (capacity N, length n). */
template <typename T, int N> struct gd_arr {
    T v[N];
    gd_usize n;
    __device__ T& operator[](gd_usize i) { return v[i]; }
    __device__ T operator[](gd_usize i) const { return v[i]; }
    __device__ gd_usize len() const { return n; }
    __device__ operator gd_slice<T>() const { return gd_slice<T>(v, n); }
    __device__ gd_slice<T> sub(gd_usize lo, gd_usize hi) const { return gd_slice<T>(v + lo, hi - lo); }
    __device__ gd_slice<T> from(gd_usize lo) const { return gd_slice<T>(v + lo, n - lo); }
};
template <int N, typename T> __device__ gd_arr<T, N> gd_fill(T x) {
    gd_arr<T, N> a;
    for (int i = 0; i < N; ++i) a.v[i] = x;
    a.n = N;
    return a;
}

/* A passive value the reverse sweep keeps (a call's argument, a branch's
 * passive result): a number, held as a double, or a slice, converted to
 * what reads it (one conversion to a number, so that arithmetic on it is
 * not ambiguous). */
template <typename F> struct gd_val {
    double f;
    gd_slice<F> s;
    __device__ gd_val() : f(0) {}
    __device__ gd_val(float x) : f(x) {}
    __device__ gd_val(double x) : f(x) {}
    __device__ gd_val(int x) : f(x) {}
    __device__ gd_val(unsigned x) : f(x) {}
    __device__ gd_val(long long x) : f((double)x) {}
    __device__ gd_val(gd_usize x) : f((double)x) {}
    __device__ gd_val(bool x) : f(x) {}
    __device__ gd_val(gd_slice<F> x) : f(0), s(x) {}
    template <int N> __device__ gd_val(const gd_arr<F, N>& a) : f(0), s(a) {}
    __device__ operator double() const { return f; }
    __device__ operator gd_slice<F>() const { return s; }
};

/* The float methods, by their Rust names, for float and double. */
#define GD_UNARY(name, ff, df) \
    __device__ inline float gd_##name(float x) { return ff; } \
    __device__ inline double gd_##name(double x) { return df; }
#define GD_BINARY(name, ff, df) \
    __device__ inline float gd_##name(float x, float y) { return ff; } \
    __device__ inline double gd_##name(double x, double y) { return df; }
GD_UNARY(sin, sinf(x), sin(x))
GD_UNARY(cos, cosf(x), cos(x))
GD_UNARY(tan, tanf(x), tan(x))
GD_UNARY(asin, asinf(x), asin(x))
GD_UNARY(acos, acosf(x), acos(x))
GD_UNARY(atan, atanf(x), atan(x))
GD_UNARY(sinh, sinhf(x), sinh(x))
GD_UNARY(cosh, coshf(x), cosh(x))
GD_UNARY(tanh, tanhf(x), tanh(x))
GD_UNARY(asinh, asinhf(x), asinh(x))
GD_UNARY(acosh, acoshf(x), acosh(x))
GD_UNARY(atanh, atanhf(x), atanh(x))
GD_UNARY(exp, expf(x), exp(x))
GD_UNARY(exp2, exp2f(x), exp2(x))
GD_UNARY(exp_m1, expm1f(x), expm1(x))
GD_UNARY(ln, logf(x), log(x))
GD_UNARY(ln_1p, log1pf(x), log1p(x))
GD_UNARY(log10, log10f(x), log10(x))
GD_UNARY(log2, log2f(x), log2(x))
GD_UNARY(sqrt, sqrtf(x), sqrt(x))
GD_UNARY(cbrt, cbrtf(x), cbrt(x))
GD_UNARY(recip, 1.0f / x, 1.0 / x)
GD_UNARY(floor, floorf(x), floor(x))
GD_UNARY(ceil, ceilf(x), ceil(x))
GD_UNARY(round, roundf(x), round(x))
GD_UNARY(round_ties_even, rintf(x), rint(x))
GD_UNARY(trunc, truncf(x), trunc(x))
GD_UNARY(fract, x - truncf(x), x - trunc(x))
GD_UNARY(to_radians, x * 0.017453292519943295f, x * 0.017453292519943295)
GD_UNARY(to_degrees, x * 57.29577951308232f, x * 57.29577951308232)
/* Rust: 1.0 for +0.0 and positives, -1.0 for -0.0 and negatives, NaN for NaN. */
GD_UNARY(signum, x != x ? x : copysignf(1.0f, x), x != x ? x : copysign(1.0, x))
GD_BINARY(atan2, atan2f(x, y), atan2(x, y))
GD_BINARY(log, logf(x) / logf(y), log(x) / log(y))
GD_BINARY(powf, powf(x, y), pow(x, y))
GD_BINARY(hypot, hypotf(x, y), hypot(x, y))
GD_BINARY(copysign, copysignf(x, y), copysign(x, y))
/* Rust's max/min return the other operand when one is NaN, as fmax/fmin. */
GD_BINARY(max, fmaxf(x, y), fmax(x, y))
GD_BINARY(min, fminf(x, y), fmin(x, y))
GD_BINARY(rem, fmodf(x, y), fmod(x, y))
#undef GD_UNARY
#undef GD_BINARY
__device__ inline float gd_abs(float x) { return fabsf(x); }
__device__ inline double gd_abs(double x) { return fabs(x); }
__device__ inline int gd_abs(int x) { return x < 0 ? -x : x; }
__device__ inline float gd_mul_add(float x, float a, float b) { return fmaf(x, a, b); }
__device__ inline double gd_mul_add(double x, double a, double b) { return fma(x, a, b); }
/* Rust's clamp: a NaN x stays NaN. */
template <typename T> __device__ inline T gd_clamp(T x, T lo, T hi) { return x < lo ? lo : (x > hi ? hi : x); }
/* powi by repeated squaring, as LLVM's powi. */
template <typename T> __device__ inline T gd_powi(T x, int n) {
    unsigned m = n < 0 ? 0u - (unsigned)n : (unsigned)n;
    T r = 1, b = x;
    while (m) {
        if (m & 1u) r *= b;
        b *= b;
        m >>= 1;
    }
    return n < 0 ? (T)1 / r : r;
}
template <typename T> __device__ inline bool gd_is_nan(T x) { return x != x; }
template <typename T> __device__ inline bool gd_is_finite(T x) { return x == x && x - x == x - x; }
template <typename T> __device__ inline bool gd_is_infinite(T x) { return x == x && !(x - x == x - x); }
template <typename T> __device__ inline bool gd_is_sign_negative(T x) { return signbit(x); }
template <typename T> __device__ inline bool gd_is_sign_positive(T x) { return !signbit(x); }
/* Integer max/min/rem (`n.max(1)`, `i % n`) and `!` on integers: the
 * float overloads above are exact matches, so these take the rest. */
template <typename T, typename U> __device__ inline T gd_max(T x, U y) { return x > (T)y ? x : (T)y; }
template <typename T, typename U> __device__ inline T gd_min(T x, U y) { return x < (T)y ? x : (T)y; }
template <typename T, typename U> __device__ inline T gd_rem(T x, U y) { return x % (T)y; }
template <typename T> __device__ inline T gd_not(T x) { return ~x; }
__device__ inline bool gd_not(bool x) { return !x; }

/* A value stack: push, then pop in reverse order; past GD_STACK entries
 * a push is dropped and the overflow flag set. */
#define GD_PUSH(s, v) do { if (s##_n < GD_STACK) s[s##_n] = (v); else gd_over = 1; ++s##_n; } while (0)
#define GD_POP(s, v) do { --s##_n; if (s##_n < GD_STACK) (v) = s[s##_n]; } while (0)

#endif /* GD_CUDA_PRELUDE */
