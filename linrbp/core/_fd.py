"""Central-difference Jacobians, the independent route against hand-written ones."""

from __future__ import annotations

import numpy as np

__all__ = ["fd_jacobian"]


def fd_jacobian(fun, y, eps=1e-6) -> np.ndarray:
    """Central-difference Jacobian of ``fun`` at ``y`` (n,), or at each row of ``y`` (m, n).

    ``fun`` maps a batch (b, n) to (b, k); steps are eps * max(1, |y_i|). Returns (k, n) or
    (m, k, n), from one batched call of ``fun``.
    """
    y = np.asarray(y, float)
    Y = np.atleast_2d(y)
    m, n = Y.shape
    steps = eps * np.maximum(1.0, np.abs(Y))                      # (m, n)
    D = np.eye(n)[None] * steps[:, :, None]                       # (m, n, n): row i = step in i
    F = np.asarray(fun(np.concatenate([(Y[:, None] + D).reshape(-1, n), (Y[:, None] - D).reshape(-1, n)])))
    k = F.shape[-1]
    Fp, Fm = F[: m * n].reshape(m, n, k), F[m * n:].reshape(m, n, k)
    J = np.swapaxes((Fp - Fm) / (2 * steps[:, :, None]), 1, 2)    # J[., :, i] = df/dy_i
    return J[0] if y.ndim == 1 else J
