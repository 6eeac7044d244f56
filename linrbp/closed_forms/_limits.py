"""Limit relations of A[N0,N1,N2] under RBP and their Jacobian (docs/theory.md section 6, Theorem 9).

A limit (A1, A2) of a trajectory that starts at (A1(0), A2(0)) satisfies

    R1:  A1' = C1 E = 0,  A2' = E A1^T = 0     (the vector field vanishes; E = S_TI - A2 A1 S_II)
    R2:  Q(A1, A2) = Q(A1(0), A2(0))           (Q = C1 A2 + (C1 A2)^T - A1 A1^T is conserved)

R maps the n = N1 N0 + N2 N1 unknowns to n + N1 (N1 + 1)/2 equations (the upper triangle of the
symmetric R2). If the Jacobian dR has rank n at a solution, that solution is isolated among
the solutions of R (inverse function theorem: R is locally injective there), which is the
hypothesis of Theorem 9 locally; so rank n is numerical evidence that the limit is isolated.
The field comes from :class:`linrbp.LinearSystem` (the rule itself); dR is exact to rounding
by the complex step (R is a polynomial with real coefficients).
"""

from __future__ import annotations

import numpy as np

from ._autoencoder import single_hidden_invariant
from ..core._field import LinearSystem
from ..integration._integrate import integrate

__all__ = ["limit_relations", "relations_jacobian", "JACOBIAN_RANK_RTOL", "late_window_change"]

# Singular values below this fraction of the largest count as zero in the rank.
JACOBIAN_RANK_RTOL = 1e-8


def limit_relations(system: LinearSystem, y, Q0) -> np.ndarray:
    """R(y) = [field(y), triu(Q(y) - Q0)] for a single-hidden system (y may be complex)."""
    weights, fb = system.unpack(y) if np.isrealobj(y) else _unpack_complex(system, y)
    dA, _ = system.velocity(weights, fb)
    Q = single_hidden_invariant(fb[0], weights[0], weights[1]) - Q0
    iu = np.triu_indices(system.layers[1])
    return np.concatenate([M.ravel() for M in dA] + [Q[iu]])


def _unpack_complex(system, y):
    mats, i = [], 0
    for a, b in system.weight_shapes:
        mats.append(y[i:i + a * b].reshape(a, b))
        i += a * b
    return mats, list(system.feedback)


def relations_jacobian(system: LinearSystem, y, Q0):
    """(J, singular values, rank) of R at y; rank counts sigma > JACOBIAN_RANK_RTOL sigma_max."""
    y = np.asarray(y, dtype=float)
    n = y.size
    h = 1e-30
    cols = []
    for k in range(n):
        yc = y.astype(complex)
        yc[k] += 1j * h
        cols.append(limit_relations(system, yc, Q0).imag / h)
    J = np.array(cols).T
    s = np.linalg.svd(J, compute_uv=False)
    rank = int(np.sum(s > JACOBIAN_RANK_RTOL * s[0])) if s.size and s[0] > 0 else 0
    return J, s, rank


def late_window_change(system: LinearSystem, y, window: float, *, rtol=1e-13, atol=1e-15):
    """(|y(t + window) - y(t)|_inf / (1 + |y|_inf), |f(y(t + window))|_inf): integrate a fixed
    window with no convergence stop (conv_tol = 0)."""
    res = integrate(system, y, window, rtol=rtol, atol=atol, conv_tol=0.0)
    y1 = res.y[0]
    change = float(np.abs(y1 - y).max() / (1.0 + np.abs(y).max()))
    return change, float(np.abs(system(y1)).max()), str(res.status[0])
