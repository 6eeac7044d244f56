"""The training loop: SGD epochs, accuracy history, alignment every epoch."""

from __future__ import annotations

import contextlib
import os
import time

import numpy as np

from ..core._version import __version__
from ..core._errors import InputError
from ..core._progress import progress_bar
from ._align import alignment
from ._config import TrainConfig
from ._data import Dataset, load_dataset
from ._build import make_network
from ._network import Network

__all__ = ["train", "one_hot", "prepare"]


def one_hot(labels: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    """One-hot targets: row k has a 1 in column ``labels[k]``.

    Parameters
    ----------
    labels : numpy.ndarray of int, shape (n,)
        Class indices 0..n_classes-1.
    n_classes : int
        Number of classes.
    dtype : numpy dtype
        The result's dtype.

    Returns
    -------
    numpy.ndarray, shape (n, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> from linrbp.trainer import one_hot
    >>> one_hot(np.array([2, 0, 1]), 3, np.float32)
    array([[0., 0., 1.],
           [1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    Y = np.zeros((len(labels), n_classes), dtype=dtype)
    Y[np.arange(len(labels)), labels] = 1
    return Y


def prepare(config: TrainConfig, dataset: Dataset | None = None, device: str | None = None):
    """The network and the data of a configuration, as :func:`train` starts them.

    Parameters
    ----------
    config : TrainConfig
        The run.
    dataset : Dataset, optional
        The data; default :func:`load_dataset` of ``config.dataset`` (``config.data_dir``,
        ``config.data_seed``). Cut to ``config.limit_train`` / ``config.limit_test``.
    device : str, optional
        A torch device: the training inputs and targets are put there once.

    Returns
    -------
    net : Network
        Built from ``config.seed``.
    data : dict
        ``x_train``, ``t_train`` (one-hot), ``x_test`` in the config's dtype (rows are examples),
        ``y_train``, ``y_test`` (labels) and ``name``.

    Raises
    ------
    ValueError
        An InputError: the data cannot be loaded, no training examples are left, torch is missing.

    Examples
    --------
    >>> from linrbp.trainer import TrainConfig, prepare, teacher_task
    >>> net, data = prepare(TrainConfig(rule="rbp", dataset="teacher", hidden=(8,), limit_train=50),
    ...                     teacher_task(seed=0, n_train=200, n_test=100))
    >>> net.layers, data["x_train"].shape, data["t_train"].shape
    ((20, 8, 4), (50, 20), (50, 4))
    """
    if dataset is None:
        dataset = load_dataset(config.dataset, config.data_dir, config.data_seed)
    ds = dataset.limited(config.limit_train, config.limit_test)
    if len(ds.x_train) == 0:
        raise InputError("limit-train: no training examples left")
    dt = np.dtype(config.dtype)
    data = {
        "x_train": np.ascontiguousarray(ds.x_train, dtype=dt),
        "y_train": ds.y_train,
        "t_train": one_hot(ds.y_train, ds.n_classes, dt),
        "x_test": np.ascontiguousarray(ds.x_test, dtype=dt),
        "y_test": ds.y_test,
        "name": ds.name,
    }
    net = make_network(config, ds.n_in, ds.n_classes, device)
    data["x_train"], data["t_train"] = (net.backend.asarray(data["x_train"]),
                                        net.backend.asarray(data["t_train"]))
    return net, data


def _state_record(net) -> dict:
    """The rule's extra state at the end, {name: [one value per layer]} (numbers for scalars)."""
    from ..core._state import state_layers
    from ..core._arrays import to_host

    out, i = {}, 0
    for v in net.rule.state:
        vals = []
        for _ in state_layers(v, net.L):
            X = np.asarray(to_host(net.state[i]), dtype=np.float64)
            vals.append(float(X.ravel()[0]) if v.scalar else X.tolist())
            i += 1
        out[v.name] = vals
    return out


def _finite(net) -> bool:
    return net.backend.all_finite(net.weights)


def run_epoch(net: Network, x: np.ndarray, t: np.ndarray, bar=None) -> None:
    """One pass of mini-batch SGD in a fresh random order."""
    n, B = len(x), net.config.batch_size
    order = net.backend.index(net.shuffle_rng.permutation(n))
    for i in range(0, n, B):
        idx = order[i:i + B]
        net.step(x[idx].T, t[idx].T)
        if bar is not None:
            bar.update(1)


def train(config: TrainConfig, dataset: Dataset | None = None, progress: bool | None = None,
          device: str | None = None, *, checkpoint=None, interruptible: bool = False) -> dict:
    """Train one network by mini-batch SGD; returns the JSON-ready result.

    Each epoch runs the mini-batches in a fresh random order, then records the training and test
    accuracies, the learning rate and the alignment measurements (:func:`alignment`, on the first
    ``config.align_examples`` training examples). A run whose weights stop being finite ends
    with status ``diverged``.

    Parameters
    ----------
    config : TrainConfig
        The run (rule, network, protocol, seed).
    dataset : Dataset, optional
        The data; default :func:`load_dataset` of the configuration's.
    progress : bool, optional
        Show a progress bar (default: on a terminal).
    device : str, optional
        Train with torch on that device (``"cuda"``, ``"cpu"``, ...): the same random draws as
        numpy, so the same run up to rounding. Default: numpy.
    checkpoint : str or os.PathLike, optional
        The state after every epoch is saved there (module ``linrbp.trainer._checkpoint``); a
        checkpoint of the same configuration found there is resumed from (``resumed_from_epoch``
        in the result); it is removed when the run ends.
    interruptible : bool, default False
        True: Ctrl-C ends the run with status ``interrupted`` and the epochs done (``complete``
        false); False: KeyboardInterrupt propagates (the checkpoint stays).

    Returns
    -------
    dict
        ``status`` ("finished", "diverged", "interrupted"), ``complete``, ``updates`` (SGD
        steps), ``test_accuracy``, ``train_accuracy`` and ``alignment`` of the last epoch,
        ``history`` (one record per epoch: accuracies, ``lr``, ``seconds``, ``alignment``),
        ``config``, ``seed``, ``dataset``, ``layers``, ``backend``, ``seconds`` (wall clock),
        ``linrbp_version``; ``state`` for rules with extra state.

    Raises
    ------
    ValueError
        An InputError: the data cannot be loaded, torch is missing, a checkpoint does not match.

    Examples
    --------
    BP and top-only (hidden layer frozen) on a small teacher task, 5 epochs of 50 batches:

    >>> from linrbp.trainer import TrainConfig, teacher_task, train
    >>> ds = teacher_task(seed=0, n_train=500, n_test=200)
    >>> for rule in ("bp", "top-only"):
    ...     r = train(TrainConfig(rule=rule, dataset="teacher", hidden=(16,), epochs=5, batch_size=10), ds,
    ...               progress=False)
    ...     print(rule, r["status"], r["updates"], r["test_accuracy"])
    bp finished 250 0.72
    top-only finished 250 0.565
    """
    from ._checkpoint import load_checkpoint, save_checkpoint

    net, data = prepare(config, dataset, device)
    x, t = data["x_train"], data["t_train"]
    n_probe = min(config.align_examples, len(x))
    probe_x, probe_t = x[:n_probe].T, t[:n_probe].T
    n_batches = -(-len(x) // config.batch_size)
    history, status, t0, before = [], "finished", time.perf_counter(), 0.0
    restored = load_checkpoint(checkpoint, net) if checkpoint is not None else None
    if restored is not None:
        history, before = restored
    resumed = len(history)
    updates = net.t
    desc = f"{config.rule}{'' if config.derivative else ' no-fprime'} seed {config.seed}"
    try:
        with progress_bar(config.epochs * n_batches, desc=desc, unit="batch", initial=resumed * n_batches,
                          disable=None if progress is None else not progress) as bar:
            for epoch in range(resumed + 1, config.epochs + 1):
                te = time.perf_counter()
                with np.errstate(over="ignore", invalid="ignore"):
                    run_epoch(net, x, t, bar)
                seconds = time.perf_counter() - te
                if not _finite(net):
                    status = "diverged"
                    history.append({"epoch": epoch, "train_accuracy": None, "test_accuracy": None,
                                    "lr": net.learning_rate(), "seconds": seconds, "alignment": None})
                    updates = net.t
                    break
                tr = float(np.mean(net.predict(x) == data["y_train"]))
                ts = float(np.mean(net.predict(data["x_test"]) == data["y_test"])) if len(data["x_test"]) else None
                history.append({"epoch": epoch, "train_accuracy": tr, "test_accuracy": ts,
                                "lr": net.learning_rate(), "seconds": seconds,
                                "alignment": alignment(net, probe_x, probe_t)})
                updates = net.t
                if checkpoint is not None and epoch < config.epochs:
                    save_checkpoint(checkpoint, net, history, before + time.perf_counter() - t0)
                if bar is not None:
                    bar.set_postfix(train=f"{tr:.3f}", test=f"{ts:.3f}" if ts is not None else "-")
    except KeyboardInterrupt:
        if not interruptible:
            raise
        status = "interrupted"  # the checkpoint holds the last finished epoch
    if checkpoint is not None and status != "interrupted":
        with contextlib.suppress(FileNotFoundError):
            os.unlink(checkpoint)
    last = history[-1] if history else {"test_accuracy": None, "train_accuracy": None, "alignment": None}
    return {
        "linrbp_version": __version__,
        "seed": config.seed,
        "config": config.to_dict(),
        "dataset": {"name": data["name"], "n_train": len(x), "n_test": len(data["x_test"])},
        "layers": list(net.layers),
        "backend": {"name": net.backend.name, "device": None if net.backend.device is None
                    else str(net.backend.device)},
        "status": status,
        "complete": status != "interrupted",
        "updates": updates,
        "test_accuracy": last["test_accuracy"],
        "train_accuracy": last["train_accuracy"],
        "alignment": last["alignment"],
        **({"state": _state_record(net)} if net.state else {}),
        "history": history,
        "seconds": before + time.perf_counter() - t0,
        **({"resumed_from_epoch": resumed} if resumed else {}),
    }
