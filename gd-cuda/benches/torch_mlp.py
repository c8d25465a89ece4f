"""PyTorch side of the gpu_train bench: the same MLP 784-1024-1024-10 (ReLU,
cross-entropy, Adam, f32, TF32 off as in gd-cuda's cuBLAS calls), one step
per batch on device-resident data, samples/s at batch 256, 1024 and 8192.

    python3 gd-cuda/benches/torch_mlp.py
"""
import time

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")
ROWS = 16384
x = torch.rand(ROWS, 784, device=dev)
y = torch.randint(0, 10, (ROWS,), device=dev)
print(torch.cuda.get_device_name(0), "torch", torch.__version__)
for batch in (256, 1024, 8192):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 1024), torch.nn.ReLU(),
        torch.nn.Linear(1024, 1024), torch.nn.ReLU(),
        torch.nn.Linear(1024, 10),
    ).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    loss_fn = torch.nn.CrossEntropyLoss()
    perm = torch.arange(ROWS, device=dev)

    def step(start):
        idx = perm[start:start + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()

    starts = [s for s in range(0, ROWS - batch + 1, batch)]
    for i in range(10):
        step(starts[i % len(starts)])
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(5):
        iters = max(20, 40960 // batch)
        t = time.perf_counter()
        for i in range(iters):
            step(starts[i % len(starts)])
        torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - t) / iters)
    print(f"batch {batch:5d}: {batch / best:12.0f} samples/s ({best * 1e3:.3f} ms/step)")
