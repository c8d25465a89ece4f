"""PyTorch's side of the peer comparison (issue 17, benches/peers/): the
cases of gd.rs as a PyTorch user writes them, eager: the Rosenbrock value
and torch.autograd.grad, torch.func.hessian, and an nn.Sequential trained
with nn.CrossEntropyLoss and torch.optim.Adam. --threads sets
torch.set_num_threads (0: torch's default, every core). Prints the same TSV
rows as gd.rs.

    python torch_bench.py [--dtype f32|f64] [--threads N] [--quick]
"""
from common import MLP_CASES, CHECK_STEPS, N_SAMPLES, args, check, data, init_w, per_call, rosen_x, row

a = args(__doc__)
import torch
from torch import nn

if a.threads:
    torch.set_num_threads(a.threads)
THREADS = torch.get_num_threads()
DT = torch.float64 if a.dtype == "f64" else torch.float32
IMPL = "torch"


def rosen(x):
    return torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def grad_call(x):
    v = rosen(x)
    (g,) = torch.autograd.grad(v, x)
    return v, g


hess = torch.func.hessian(rosen)


def model(sizes):
    m = nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.Tanh(), nn.Linear(sizes[1], sizes[2])).to(DT)
    with torch.no_grad():
        for l, lin in enumerate([m[0], m[2]]):
            lin.weight.copy_(torch.from_numpy(init_w(l, sizes[l + 1], sizes[l])))
            lin.bias.zero_()
    return m


def batches(d, batch):
    x, y = data(d)
    x, y = torch.from_numpy(x).to(DT), torch.from_numpy(y).long()
    return [(x[k : k + batch].contiguous(), y[k : k + batch].contiguous()) for k in range(0, N_SAMPLES, batch)]


def trainer(sizes):
    m = model(sizes)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad()
        loss = loss_fn(m(xb), yb)
        loss.backward()
        opt.step()
        return loss

    return step


# ---- checks
v, g = grad_call(torch.tensor(rosen_x(1000), dtype=DT, requires_grad=True))
check("rosen_1e3_value", IMPL, a.dtype, v.item())
check("rosen_1e3_grad_sum", IMPL, a.dtype, g.double().sum().item())
h = hess(torch.tensor(rosen_x(10), dtype=DT))
check("rosen_hess_10_sum", IMPL, a.dtype, h.double().sum().item())
check("rosen_hess_10_trace", IMPL, a.dtype, h.double().trace().item())
for name, _, sizes, batch in MLP_CASES:
    step, bs = trainer(sizes), batches(sizes[0], batch)
    losses = [step(*bs[k % len(bs)]).item() for k in range(CHECK_STEPS)]
    check(f"{name}_loss_step0", IMPL, a.dtype, losses[0])
    check(f"{name}_loss_step{CHECK_STEPS - 1}", IMPL, a.dtype, losses[-1])

# ---- Rosenbrock gradient, Hessian: s per call
for case, n in [("rosen_grad_1e3", 1000), ("rosen_grad_1e5", 100_000)]:
    if case.startswith(a.only):
        x = torch.tensor(rosen_x(n), dtype=DT, requires_grad=True)
        row(case, IMPL, a.dtype, THREADS, per_call(lambda: grad_call(x), a.block_s, a.reps))
for case, n in [("rosen_hess_10", 10), ("rosen_hess_100", 100)]:
    if case.startswith(a.only):
        x = torch.tensor(rosen_x(n), dtype=DT)
        row(case, IMPL, a.dtype, THREADS, per_call(lambda: hess(x), a.block_s, a.reps))

# ---- MLP training: s per sample (one pass over the pre-split batches per call)
for _, case, sizes, batch in MLP_CASES:
    if case.startswith(a.only):
        step, bs = trainer(sizes), batches(sizes[0], batch)

        def epoch():
            for xb, yb in bs:
                step(xb, yb)

        row(case, IMPL, a.dtype, THREADS, per_call(epoch, a.block_s, a.reps) / N_SAMPLES)
