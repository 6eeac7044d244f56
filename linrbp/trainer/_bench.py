"""Timing one epoch of the paper network (for ``linrbp bench trainer``)."""

from __future__ import annotations

import time

import numpy as np

from ._config import TrainConfig
from ._data import Dataset
from ._network import Network
from ._train import one_hot, run_epoch

__all__ = ["epoch_seconds"]


def epoch_seconds(dtype: str = "float32", n_images: int = 60000, seed: int = 0, rule: str = "bp",
                  device: str | None = None) -> dict:
    """Seconds for one SGD epoch of 784-100x4-10 tanh/softmax, batch 100, on random images.

    Random inputs time the same arithmetic as Fashion-MNIST without needing the dataset.
    ``device``: the torch backend on that device (None: numpy).
    """
    rng = np.random.default_rng(seed)
    x = rng.random((n_images, 784), dtype=np.float64).astype(dtype)
    t = one_hot(rng.integers(0, 10, n_images), 10, dtype)
    net = Network(TrainConfig(rule=rule, dtype=dtype, seed=seed, dataset="teacher"), 784, 10, device)
    x, t = net.backend.asarray(x), net.backend.asarray(t)
    run_epoch(net, x[:1000], t[:1000])  # warm-up
    _sync(net)
    t0 = time.perf_counter()
    run_epoch(net, x, t)
    _sync(net)
    s = time.perf_counter() - t0
    return {"seconds": s, "images_per_s": n_images / s, "dtype": dtype, "n_images": n_images,
            "rule": rule, "device": device, "layers": [784, 100, 100, 100, 100, 10], "batch_size": 100}


def _sync(net) -> None:
    """Wait for queued device work (a GPU runs asynchronously), so timings are complete."""
    be = net.backend
    if be.name == "torch" and be.device.type == "cuda":
        be.torch.cuda.synchronize(be.device)
