"""The quantiser of [BSL] section 5: q(x) = clip(s * round(x / s), -alpha, alpha), s = alpha / 2^(bits-1)."""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError

__all__ = ["quantise", "quantiser_levels", "ERROR_ALPHA", "UPDATE_ALPHA"]

ERROR_ALPHA = 2.0 ** -3   # error-signal quantisation range, [BSL] section 5.1
UPDATE_ALPHA = 2.0 ** -6  # weight-update quantisation range, [BSL] section 5.2


def _check(bits, alpha):
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= 32:
        raise InputError(f"bits: expected an integer in 1..32, got {bits!r}")
    if not alpha > 0:
        raise InputError(f"alpha: expected a positive range, got {alpha!r}")


def quantise(x, bits: int, alpha: float, out=None):
    """q(x) elementwise, in x's dtype."""
    _check(bits, alpha)
    s = alpha / 2.0 ** (bits - 1)
    if hasattr(x, "detach"):  # a torch tensor (the trainer's device backend)
        y = x.mul(1.0 / s) if out is None else out.copy_(x).mul_(1.0 / s)
        return y.round_().mul_(s).clamp_(-alpha, alpha)  # round: half to even, as np.rint
    y = np.multiply(x, 1.0 / s, out=out)
    np.rint(y, out=y)
    y *= s
    return np.clip(y, -alpha, alpha, out=y)


def quantiser_levels(bits: int, alpha: float) -> np.ndarray:
    """All values q can output: multiples of s in [-alpha, alpha] (2^bits + 1 levels)."""
    _check(bits, alpha)
    s = alpha / 2.0 ** (bits - 1)
    k = 2 ** (bits - 1)
    return np.arange(-k, k + 1) * s
