"""Reference timing: one epoch of the paper network in PyTorch on CPU (NOT a linrbp dependency).

Run with a separate venv that has torch, from the repository root, e.g.
    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch==2.13.0 numpy
    /tmp/tv/bin/python -m linrbp.benchmarks.torch_trainer_epoch --threads 1 --repeats 3
It times torch and linrbp (same network, batch, data, threads) alternately in one process and
prints both and their ratio.
"""

import argparse
import os
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--repeats", type=int, default=3)
p.add_argument("--n-images", type=int, default=60000)
args = p.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.getcwd())
from linrbp.trainer import epoch_seconds  # noqa: E402

torch.set_num_threads(args.threads)


def torch_epoch(n_images, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n_images, 784, generator=g)
    y = torch.randint(0, 10, (n_images,), generator=g)
    sizes = [784, 100, 100, 100, 100, 10]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        lin = torch.nn.Linear(a, b)
        torch.nn.init.xavier_normal_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        layers += [lin, torch.nn.Tanh()]
    net = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0 / (1.0 + 1e-6 * t))
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(n):
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, 100):
            idx = perm[i:i + 100]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(x[idx]), y[idx]).backward()
            opt.step()
            sched.step()

    epoch(1000)  # warm-up
    t0 = time.perf_counter()
    epoch(n_images)
    return time.perf_counter() - t0


rows = []
for r in range(args.repeats):
    t_torch = torch_epoch(args.n_images, r)
    t_np = epoch_seconds("float32", args.n_images, r)["seconds"]
    rows.append((t_torch, t_np))
    print(f"repeat {r}: torch {t_torch:.3f} s, linrbp float32 {t_np:.3f} s, ratio {t_np / t_torch:.2f}")
tt = min(a for a, _ in rows)
tn = min(b for _, b in rows)
print(f"best of {args.repeats}: torch {tt:.3f} s/epoch, linrbp {tn:.3f} s/epoch, "
      f"ratio linrbp/torch {tn / tt:.2f} (threads {args.threads}, torch {torch.__version__}, "
      f"numpy {np.__version__})")
