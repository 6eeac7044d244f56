"""The per-step SGD kernel of the teacher-student network, compiled with numba when installed.

One call runs steps of one seed's network in place on pre-drawn inputs X (steps x N) and label
noise xi (steps). The rule enters through its affine pieces (see ``_sgd.rule_pieces``):
f = cfv v + cfb b (``fkind`` 0) or cfv sign(v) (``fkind`` 1); W_1 = M0 A_1;
W_2 = cwv v + cwb b; D_1 = cdv v + cdb b; ``learn`` 1 when the feedback learns from the error.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np

__all__ = ["run_steps", "HAVE_NUMBA", "compiled_run_steps", "run_op_steps", "compiled_run_op_steps"]

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


# numba is imported when a kernel is first asked for, not with this module: the claim catalogue
# imports it, and importing numba costs about half a CPU-second that `linrbp verify` paid even
# when no SGD run asked for a kernel.
try:  # pragma: no cover - depends on the environment
    HAVE_NUMBA = importlib.util.find_spec("numba") is not None
except (ImportError, ValueError):  # pragma: no cover
    HAVE_NUMBA = False

_COMPILED = {}


def _compiled(fn):
    """``fn`` compiled by numba (once, cached on disk), or None without numba."""
    if not HAVE_NUMBA:
        return None
    if fn.__name__ not in _COMPILED:
        try:
            import numba
        except ImportError:  # pragma: no cover - found but not importable
            return None
        _COMPILED[fn.__name__] = numba.njit(cache=True, nogil=True)(fn)
    return _COMPILED[fn.__name__]


def compiled_run_steps():
    """The numba-compiled :func:`run_steps` (compiled once, cached on disk), or None without numba."""
    return _compiled(run_steps)

def run_op_steps(S, v, b, K, Z, chi2, xi, A, eta, sigma, N, act, fkind, cfv, cfb, M0, has_m,
                 cwv, cwb, cdv, cdb, learn, evolve_b):
    """The same SGD steps on the order parameters (``_sgd_op``): S ((K+M) x (K+M)) is a factor of
    C = S S^T, updated in place; Z (steps x (K+M)) the fields' standard normals, chi2 (steps) the
    squared norm of the input outside the span of the weights (chi^2 with N - K - M degrees)."""
    n = S.shape[0]
    Mt = n - K
    e = eta / N
    u = np.empty(n)
    gl = np.empty(K)
    coef = np.empty(K)
    X = np.zeros((n, n + 1))
    hv = np.empty(n + 1)
    for s in range(Z.shape[0]):
        for i in range(n):
            acc = 0.0
            for j in range(n):
                acc += S[i, j] * Z[s, j]
            u[i] = acc
        y = sigma * xi[s]
        for m in range(Mt):
            nu = u[K + m]
            y += A[m] * (math.erf(nu * _R2) if act == 0 else nu)
        phi = 0.0
        for k in range(K):
            gl[k] = math.erf(u[k] * _R2) if act == 0 else u[k]
            phi += v[k] * gl[k]
        delta = y - phi
        for k in range(K):
            if fkind == 0:
                fk = cfv * v[k] + cfb * b[k]
            else:
                fk = cfv * ((v[k] > 0) - (v[k] < 0))
            gp = _C * math.exp(-0.5 * u[k] * u[k]) if act == 0 else 1.0
            coef[k] = fk * gp * delta
        # W' = (I + e M0) W + (eta / sqrt N) coef x^T, written in the basis (span of the rows, the
        # input's component outside it): rows of S gain e coef z^T, a new column e coef |x_perp|.
        rho = math.sqrt(chi2[s])
        for i in range(n):
            for j in range(n):
                X[i, j] = S[i, j]
            X[i, n] = 0.0
        if has_m:
            for i in range(K):
                for j in range(n):
                    acc = 0.0
                    for l in range(K):
                        acc += M0[i, l] * S[l, j]
                    X[i, j] += e * acc
        for i in range(K):
            ck = e * coef[i]
            for j in range(n):
                X[i, j] += ck * Z[s, j]
            X[i, n] = ck * rho
        # fold the n + 1 columns back to n (Householder LQ: X X^T, hence C', is unchanged)
        for i in range(n):
            nrm = 0.0
            for j in range(i, n + 1):
                nrm += X[i, j] * X[i, j]
            nrm = math.sqrt(nrm)
            if nrm == 0.0:
                continue
            alpha = -nrm if X[i, i] >= 0 else nrm
            hh = 0.0
            for j in range(i, n + 1):
                hv[j] = X[i, j]
            hv[i] -= alpha
            for j in range(i, n + 1):
                hh += hv[j] * hv[j]
            if hh == 0.0:
                continue
            for r in range(i, n):
                acc = 0.0
                for j in range(i, n + 1):
                    acc += X[r, j] * hv[j]
                acc *= 2.0 / hh
                for j in range(i, n + 1):
                    X[r, j] -= acc * hv[j]
        for i in range(n):
            for j in range(n):
                S[i, j] = X[i, j]
        for k in range(K):
            dv = e * (gl[k] * delta + cwv * v[k] + cwb * b[k])
            if evolve_b:
                db = e * (learn * gl[k] * delta + cdv * v[k] + cdb * b[k])
                b[k] += db
            v[k] += dv


def compiled_run_op_steps():
    """The numba-compiled :func:`run_op_steps`, or None without numba."""
    return _compiled(run_op_steps)
