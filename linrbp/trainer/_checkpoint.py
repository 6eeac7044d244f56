"""A training run's state after each epoch, so an interrupted ``linrbp train`` resumes.

The checkpoint holds the network's whole state (weights, feedback, biases, update count, every
random generator, a family's extra matrices) with the epochs' history. The objects a fresh
network rebuilds from its configuration (the configuration, the rule with its functions, the
array backend) are not stored but referred to, and reattached from the network that resumes:
so a rule of a user's file (whose functions may be lambdas) resumes too. A checkpoint of another
configuration, linrbp version or format is not used (the run starts afresh, and says so).
"""

from __future__ import annotations

import io
import os
import pickle
import types

from ..core._io import atomic_open
from ..core._version import __version__

__all__ = ["save_checkpoint", "load_checkpoint", "checkpoint_path"]

_FORMAT = 1


def checkpoint_path(json_path) -> str:
    """Where the checkpoint of a run writing ``json_path`` lies (beside it, hidden)."""
    head, tail = os.path.split(os.fspath(json_path))
    return os.path.join(head, f".{tail}.checkpoint")


def _shared(net) -> dict:
    return {"config": net.config, "rule": net.rule, "backend": net.backend}


class _Pickler(pickle.Pickler):
    def __init__(self, fh, shared):
        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._ids = {id(v): k for k, v in shared.items()}

    def persistent_id(self, obj):
        key = self._ids.get(id(obj))
        if key is not None:
            return key
        if isinstance(obj, types.ModuleType):
            return ("module", obj.__name__)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, fh, shared):
        super().__init__(fh)
        self._shared = shared

    def persistent_load(self, pid):
        if isinstance(pid, tuple) and pid[0] == "module":
            import importlib
            return importlib.import_module(pid[1])
        return self._shared[pid]


def save_checkpoint(path, net, history: list, seconds: float) -> None:
    """Write the state after ``len(history)`` epochs to ``path`` (atomically)."""
    buf = io.BytesIO()
    _Pickler(buf, _shared(net)).dump({"format": _FORMAT, "version": __version__,
                                      "config": net.config.to_dict(), "history": history,
                                      "seconds": seconds, "state": net.__dict__})
    with atomic_open(path, "wb") as fh:
        fh.write(buf.getvalue())


def load_checkpoint(path, net) -> tuple[list, float] | None:
    """Restore ``net`` (freshly built from the same configuration) from ``path``; the history
    and seconds so far, or None when there is no usable checkpoint (``net`` untouched)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    try:
        data = _Unpickler(io.BytesIO(raw), _shared(net)).load()
    except Exception:  # noqa: BLE001 - a damaged or foreign file: start afresh
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("version") != __version__ \
            or data.get("config") != net.config.to_dict():
        return None
    net.__dict__.update(data["state"])
    return data["history"], float(data["seconds"])
