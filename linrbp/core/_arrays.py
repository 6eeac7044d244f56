"""Where arrays live: numpy (default), or torch on a device (a GPU). The one adaptation of torch.

Both hot paths use it: :func:`linrbp.integrate_batch` with ``backend="torch"`` runs the batched
DOP853 on a :class:`TorchBackend` (float64), and the trainer's ``device`` option runs its
networks on one (float32 or float64). A backend converts arrays to its kind
(:meth:`~NumpyBackend.asarray`, :func:`to_host` back), and offers the few operations whose
numpy and torch spellings differ: in-place activations, column softmax and argmax,
finiteness, and ``multiply``/``add`` with ``out=`` (the calls of a
:class:`~linrbp.LinearSystem`'s generated field). ``backend.xp`` is the array namespace
(numpy, or the torch module) for everything the two spell alike.

torch is optional: it is imported only when a torch backend is asked for, and a missing
torch is an :class:`~linrbp.InputError` whose message the caller words (it names the
option that asked for torch).
"""

from __future__ import annotations

import numpy as np

from ._errors import InputError

__all__ = ["NumpyBackend", "TorchBackend", "get_backend", "to_host", "import_torch", "torch_available",
           "default_device"]

TORCH_MISSING = "device: torch is not installed (pip install torch)"


def import_torch(missing: str = TORCH_MISSING):
    """The torch module, or InputError(``missing``) when it is not installed."""
    try:
        import torch
    except ImportError:
        raise InputError(missing) from None
    return torch


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def default_device(missing: str = TORCH_MISSING) -> str:
    """'cuda' when torch sees a GPU, else 'cpu'."""
    return "cuda" if import_torch(missing).cuda.is_available() else "cpu"


def to_host(a):
    """A numpy array from a numpy array or a torch tensor on any device."""
    if hasattr(a, "detach"):
        return a.detach().cpu().numpy()
    return a


class NumpyBackend:
    """numpy arrays of one dtype; ``asarray`` neither copies nor changes layout (bit for bit)."""

    name, device = "numpy", None
    xp = np

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def asarray(self, a):
        return np.asarray(a, dtype=self.dtype)

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
    multiply = staticmethod(np.multiply)  # multiply(a, b, out): a * b written into out
    add = staticmethod(np.add)


class TorchBackend(NumpyBackend):
    """torch tensors of one dtype on ``device``; InputError(``missing``) when torch is absent and
    InputError naming the device when torch cannot use it."""

    name = "torch"

    def __init__(self, dtype, device, missing: str = TORCH_MISSING):
        torch = import_torch(missing)
        self.torch = self.xp = torch
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

    @staticmethod
    def _into(value, out):
        if isinstance(value, (int, float)):
            return out.fill_(value)
        return out.copy_(value)

    def multiply(self, a, b, out):
        return self._into(a * b, out)

    def add(self, a, b, out):
        return self._into(a + b, out)

    @staticmethod
    def sign(a):
        """``np.sign`` for the generated field of piecewise-polynomial rules (sign-symmetry, uSF)."""
        return a.sign() if hasattr(a, "sign") else float((a > 0) - (a < 0))


def get_backend(dtype, device: str | None, missing: str = TORCH_MISSING):
    """numpy when ``device`` is None, else torch on ``device`` ('cpu', 'cuda', 'cuda:1', ...)."""
    if device is None:
        return NumpyBackend(dtype)
    if not isinstance(device, str) or not device:
        raise InputError(f"device: expected a torch device name such as 'cuda' or 'cpu', got {device!r}")
    return TorchBackend(dtype, device, missing)
