"""Where the trainer's arrays live: numpy (default) or, optionally, torch on a device (a GPU).

Every random draw (initial weights, feedback, resampling, dropout masks, example order)
comes from the same numpy generators on the host whatever the backend, so a torch run
sees the same numbers as the numpy run and differs from it by rounding only. torch is
optional: it is imported only when a device is asked for.
"""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError

__all__ = ["NumpyBackend", "TorchBackend", "get_backend", "to_host"]


def to_host(a):
    """A numpy array from a numpy array or a torch tensor on any device."""
    if hasattr(a, "detach"):
        return a.detach().cpu().numpy()
    return a


class NumpyBackend:
    name, device = "numpy", None

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def asarray(self, a):
        return np.asarray(a, dtype=self.dtype)  # no copy, layout kept: results bit for bit

    def index(self, idx):
        return idx

    def contiguous(self, a):
        return np.ascontiguousarray(a)

    def tanh_(self, S):
        return np.tanh(S, out=S)

    def relu_(self, S):
        return np.maximum(S, 0, out=S)

    def softmax_columns_(self, S):
        S -= S.max(axis=0, keepdims=True)
        np.exp(S, out=S)
        S /= S.sum(axis=0, keepdims=True)
        return S

    def argmax_columns(self, S):
        return np.argmax(S, axis=0)

    def all_finite(self, arrays) -> bool:
        return all(np.isfinite(a).all() for a in arrays)

    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)


class TorchBackend(NumpyBackend):
    name = "torch"

    def __init__(self, dtype, device):
        try:
            import torch
        except ImportError:
            raise InputError("device: the trainer's device backend needs torch (pip install torch)") from None
        self.torch = torch
        super().__init__(dtype)
        try:
            self.device = torch.device(device)
            torch.empty(1, device=self.device)
        except (RuntimeError, ValueError) as exc:
            raise InputError(f"device: torch cannot use device {device!r} ({str(exc).splitlines()[0]})") from None
        self.tdtype = {np.float32: torch.float32, np.float64: torch.float64}[self.dtype.type]

    def asarray(self, a):
        if hasattr(a, "detach"):
            return a.to(device=self.device, dtype=self.tdtype).contiguous()
        return self.torch.as_tensor(np.ascontiguousarray(a, dtype=self.dtype), device=self.device)

    def index(self, idx):
        return self.torch.as_tensor(idx, device=self.device)

    def contiguous(self, a):
        return a.contiguous()

    def tanh_(self, S):
        return S.tanh_()

    def relu_(self, S):
        return S.clamp_(min=0)

    def softmax_columns_(self, S):
        S -= S.amax(dim=0, keepdim=True)
        S.exp_()
        S /= S.sum(dim=0, keepdim=True)
        return S

    def argmax_columns(self, S):
        return to_host(S.argmax(dim=0))

    def all_finite(self, arrays) -> bool:
        return all(bool(self.torch.isfinite(a).all()) for a in arrays)

    def abs(self, a):
        return a.abs()

    def sign(self, a):
        return a.sign()


def get_backend(dtype, device: str | None):
    """numpy when ``device`` is None, else torch on ``device`` ('cpu', 'cuda', 'cuda:1', ...)."""
    if device is None:
        return NumpyBackend(dtype)
    if not isinstance(device, str) or not device:
        raise InputError(f"device: expected a torch device name such as 'cuda' or 'cpu', got {device!r}")
    return TorchBackend(dtype, device)
