"""scipy's BDF with its LU solves called without scipy's per-call wrappers.

A BDF step of a small system solves with the iteration matrix's LU factors two or three times
(Newton iterations); :func:`scipy.linalg.lu_solve` spends most of each call in its generic
wrappers (batch dispatch, dtype lookup), measured at 14% of the ``rbp-limit`` claim's time.
:class:`FastBDF` calls LAPACK's ``dgetrs`` directly with the same arguments, so every step is
the stock solver's bit for bit (same factors, same solves, same checks: a non-finite
right-hand side raises the same ValueError).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import BDF
from scipy.linalg import lapack

__all__ = ["FastBDF", "solver_for"]


def _solve(LU, b):
    if not np.isfinite(b).all():
        raise ValueError("array must not contain infs or NaNs")
    lu, piv = LU
    if lu.shape[0] != b.shape[0]:
        raise ValueError(f"Shapes of lu {lu.shape} and b {b.shape} are incompatible")
    x, info = lapack.dgetrs(lu, piv, b, overwrite_b=True)
    if info != 0:
        raise ValueError(f"illegal value in {-info}th argument of internal gesv|posv")
    return x


class FastBDF(BDF):
    """:class:`scipy.integrate.BDF` with direct ``dgetrs`` solves (dense, real float64)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.J, np.ndarray) and self.y.dtype == np.float64 and self.J.dtype == np.float64:
            self.solve_lu = _solve


def solver_for(method):
    """The solver ``solve_ivp`` is given for ``method``: :class:`FastBDF` for "BDF"."""
    return FastBDF if method == "BDF" else method
