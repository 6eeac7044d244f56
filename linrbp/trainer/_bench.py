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
    """Wall-clock seconds of one SGD epoch of the paper's network, on random images (``linrbp bench trainer``).

    The network is 784-100-100-100-100-10, tanh hidden units, softmax output, batch 100, as in
    :data:`PAPER`; random inputs time the same arithmetic as Fashion-MNIST without the dataset.
    A warm-up pass over the first 1000 images runs first.

    Parameters
    ----------
    dtype : {"float32", "float64"}, default "float32"
        The arithmetic.
    n_images : int, default 60000
        Images in the timed epoch (Fashion-MNIST's training set has 60000).
    seed : int, default 0
        Seed of the images, labels and network.
    rule : str, default "bp"
        The learning rule (:data:`TRAIN_RULES`).
    device : str, optional
        A torch device ("cpu", "cuda", ...) for the torch backend; None: numpy.

    Returns
    -------
    dict
        ``seconds`` (wall clock of the timed epoch), ``images_per_s``, and the settings
        (``dtype``, ``n_images``, ``rule``, ``device``, ``layers``, ``batch_size``).

    Raises
    ------
    ValueError
        An InputError: unknown rule or dtype, or torch missing for ``device``.

    Examples
    --------
    >>> from linrbp.trainer import epoch_seconds
    >>> r = epoch_seconds(n_images=200)
    >>> r["layers"], r["batch_size"], r["seconds"] > 0
    ([784, 100, 100, 100, 100, 10], 100, True)
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
