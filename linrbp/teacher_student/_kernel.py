"""The per-step SGD kernel of the teacher-student network, compiled with numba when installed.

One call runs steps of one seed's network in place on pre-drawn inputs X (steps x N) and label
noise xi (steps). The rule enters through its affine pieces (see ``_sgd.rule_pieces``):
f = cfv v + cfb b (``fkind`` 0) or cfv sign(v) (``fkind`` 1); W_1 = M0 A_1;
W_2 = cwv v + cwb b; D_1 = cdv v + cdb b; ``learn`` 1 when the feedback learns from the error.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["run_steps", "HAVE_NUMBA", "compiled_run_steps"]

_C = math.sqrt(2.0 / math.pi)
_R2 = 1.0 / math.sqrt(2.0)


def run_steps(W, Ws, v, b, X, xi, A, eta, sigma, act, fkind, cfv, cfb, M0, has_m,
              cwv, cwb, cdv, cdb, learn, evolve_b):
    """Plain-Python/numba loop: the numba backend compiles exactly this function."""
    K, N = W.shape
    Mt = Ws.shape[0]
    rs = 1.0 / math.sqrt(N)
    lam = np.empty(K)
    gl = np.empty(K)
    coef = np.empty(K)
    f = np.empty(K)
    for s in range(X.shape[0]):
        y = sigma * xi[s]
        for m in range(Mt):
            acc = 0.0
            for n in range(N):
                acc += Ws[m, n] * X[s, n]
            nu = acc * rs
            y += A[m] * (math.erf(nu * _R2) if act == 0 else nu)
        phi = 0.0
        for k in range(K):
            acc = 0.0
            for n in range(N):
                acc += W[k, n] * X[s, n]
            lam[k] = acc * rs
            gl[k] = math.erf(lam[k] * _R2) if act == 0 else lam[k]
            phi += v[k] * gl[k]
        delta = y - phi
        for k in range(K):
            if fkind == 0:
                f[k] = cfv * v[k] + cfb * b[k]
            else:
                f[k] = cfv * ((v[k] > 0) - (v[k] < 0))
            gp = _C * math.exp(-0.5 * lam[k] * lam[k]) if act == 0 else 1.0
            coef[k] = eta * rs * f[k] * gp * delta
        if has_m:
            MW = M0 @ W
            for k in range(K):
                for n in range(N):
                    W[k, n] += eta / N * MW[k, n]
        for k in range(K):
            ck = coef[k]
            for n in range(N):
                W[k, n] += ck * X[s, n]
        for k in range(K):
            dv = eta / N * (gl[k] * delta + cwv * v[k] + cwb * b[k])
            if evolve_b:
                db = eta / N * (learn * gl[k] * delta + cdv * v[k] + cdb * b[k])
                b[k] += db
            v[k] += dv


try:  # pragma: no cover - depends on the environment
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False

_COMPILED = None


def compiled_run_steps():
    """The numba-compiled :func:`run_steps` (compiled once, cached on disk), or None without numba."""
    global _COMPILED
    if not HAVE_NUMBA:
        return None
    if _COMPILED is None:
        _COMPILED = numba.njit(cache=True, nogil=True)(run_steps)
    return _COMPILED
