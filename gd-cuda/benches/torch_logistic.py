"""PyTorch side of the cuda_logistic example (issue 20): the mean logistic
loss of 10^7 samples of 8 features and its gradient (autograd, f32, data
on the device), the same work as one `BatchObjective` evaluation; prints
samples/s, best of 5 after a warm-up, for eager mode and torch.compile.

    python3 gd-cuda/benches/torch_logistic.py   # GD_N=... for another size
"""
import os
import time

import torch

dev = torch.device("cuda")
N = int(os.environ.get("GD_N", 10_000_000))
DIM = 8
g = torch.Generator(device=dev).manual_seed(20)
x = torch.rand(N, DIM, device=dev, generator=g) * 4 - 2
truth = torch.rand(DIM + 1, device=dev, generator=g) * 2 - 1
y = (torch.rand(N, device=dev, generator=g) < torch.sigmoid(x @ truth[1:] + truth[0])).float()
print(torch.cuda.get_device_name(0), "torch", torch.__version__, "samples", N)


def value_and_grad(p):
    p = p.detach().requires_grad_(True)
    z = x @ p[1:] + p[0]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    return loss.detach(), p.grad


def bench(name, f):
    p = torch.linspace(-0.4, 0.4, DIM + 1, device=dev)
    f(p)
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        f(p)
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    print(f"torch {name}: {N / best:.3e} samples/s ({best * 1e3:.2f} ms per value and gradient)")


bench("eager", value_and_grad)
try:
    bench("compile", torch.compile(value_and_grad))
except Exception as e:  # torch.compile needs a working Triton
    print("torch.compile unavailable:", e)
