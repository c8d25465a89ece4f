"""JAX's side of the peer comparison (issue 17, benches/peers/): the cases
of gd.rs as a JAX user writes them: jax.jit(jax.value_and_grad(f)),
jax.jit(jax.hessian(f)), and a jitted training step with optax.adam.
Rosenbrock is the chained sum written with slices (a Python loop under jit
would unroll 10^5 times). JAX uses every core it is given by default; for
one thread run.sh pins the process to one core (taskset) and turns off
XLA's multi-threaded Eigen. Prints the same TSV rows as gd.rs.

    python jax_bench.py [--dtype f32|f64] [--quick]
"""
import os

from common import MLP_CASES, CHECK_STEPS, N_SAMPLES, args, check, data, init_w, per_call, rosen_x, row

a = args(__doc__)
import jax

if a.dtype == "f64":
    jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import optax

DT = jnp.float64 if a.dtype == "f64" else jnp.float32
THREADS = len(os.sched_getaffinity(0))
IMPL = "jax"


def rosen(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


vg = jax.jit(jax.value_and_grad(rosen))
hess = jax.jit(jax.hessian(rosen))


def forward(params, x):
    h = x
    for l, (w, b) in enumerate(params):
        z = h @ w.T + b
        h = jnp.tanh(z) if l + 1 < len(params) else z
    return h


def loss_fn(params, x, y):
    return optax.softmax_cross_entropy_with_integer_labels(forward(params, x), y).mean()


opt = optax.adam(1e-3)


@jax.jit
def step(params, opt_state, x, y):
    loss, g = jax.value_and_grad(loss_fn)(params, x, y)
    updates, opt_state = opt.update(g, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


def model(sizes):
    return [(jnp.asarray(init_w(l, sizes[l + 1], sizes[l]), DT), jnp.zeros(sizes[l + 1], DT)) for l in range(len(sizes) - 1)]


def batches(d, batch):
    x, y = data(d)
    return [(jnp.asarray(x[k : k + batch], DT), jnp.asarray(y[k : k + batch], jnp.int32)) for k in range(0, N_SAMPLES, batch)]


# ---- checks
v, g = vg(jnp.asarray(rosen_x(1000), DT))
check("rosen_1e3_value", IMPL, a.dtype, v)
check("rosen_1e3_grad_sum", IMPL, a.dtype, jnp.sum(g.astype(jnp.float64) if a.dtype == "f64" else g))
h = hess(jnp.asarray(rosen_x(10), DT))
check("rosen_hess_10_sum", IMPL, a.dtype, jnp.sum(h))
check("rosen_hess_10_trace", IMPL, a.dtype, jnp.trace(h))
for name, _, sizes, batch in MLP_CASES:
    params, bs = model(sizes), batches(sizes[0], batch)
    st = opt.init(params)
    losses = []
    for k in range(CHECK_STEPS):
        params, st, loss = step(params, st, *bs[k % len(bs)])
        losses.append(float(loss))
    check(f"{name}_loss_step0", IMPL, a.dtype, losses[0])
    check(f"{name}_loss_step{CHECK_STEPS - 1}", IMPL, a.dtype, losses[-1])

# ---- Rosenbrock gradient, Hessian: s per call
for case, n, fn in [("rosen_grad_1e3", 1000, vg), ("rosen_grad_1e5", 100_000, vg), ("rosen_hess_10", 10, hess), ("rosen_hess_100", 100, hess)]:
    if not case.startswith(a.only):
        continue
    x = jnp.asarray(rosen_x(n), DT)
    row(case, IMPL, a.dtype, THREADS, per_call(lambda: jax.block_until_ready(fn(x)), a.block_s, a.reps))

# ---- MLP training: s per sample (one pass over the pre-split batches per call)
for _, case, sizes, batch in MLP_CASES:
    if not case.startswith(a.only):
        continue
    state = [model(sizes)]
    state.append(opt.init(state[0]))
    bs = batches(sizes[0], batch)

    def epoch():
        p, st = state
        for xb, yb in bs:
            p, st, _ = step(p, st, xb, yb)
        jax.block_until_ready(p)
        state[0], state[1] = p, st

    row(case, IMPL, a.dtype, THREADS, per_call(epoch, a.block_s, a.reps) / N_SAMPLES)
