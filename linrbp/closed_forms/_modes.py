"""Decoupled modes of A[N,N,N] under RBP (docs/theory.md section 10, `rbp-modes`).

S_II = Id, S_TI = U diag(s) V^T, C_1 = R diag(c) U^T, start A_1 = R diag(a) V^T,
A_2 = U diag(b) R^T (U, V, R orthogonal): the flow keeps that form and each mode is an A[1,1,1]

    a_i' = c_i (s_i - a_i b_i),   b_i' = a_i (s_i - a_i b_i)

(`chain111` with alpha = s_i, beta = 1, c1 = c_i), so `chain111_limit` per mode gives every
weight matrix's limit.

Alignment is detected numerically: U, s, V from the SVD of S_TI (singular values must be
distinct, relative gap >= ALIGN_TOL, else U and V are not determined and nothing is claimed),
R column by column from the largest of A_1 V e_i, (U^T A_2)^T e_i, C_1 U e_i, then every
residual |R^T A_1 V - diag|, |U^T A_2 R - diag|, |R^T C_1 U - diag|, |R^T R - Id|, |S_II - Id|
must be at most ALIGN_TOL = 1e-9 relative to the largest entry involved: rounding of an aligned
instance built in double precision and written to JSON leaves ~1e-15, and a misalignment of
1e-9 moves the limit by about that much, below the 1e-8 the predictions promise.
"""

from __future__ import annotations

import numpy as np

from ._closed_forms import chain111_limit

__all__ = ["ALIGN_TOL", "aligned_modes", "modes_limit", "mode_field"]

ALIGN_TOL = 1e-9


def aligned_modes(sigma_ii, sigma_ti, C1, A1, A2):
    """dict(U, V, R, s, a, b, c) when the instance is aligned within ALIGN_TOL, else None."""
    S, T, C, A1, A2 = (np.asarray(x, float) for x in (sigma_ii, sigma_ti, C1, A1, A2))
    n = S.shape[0]
    if not (T.shape == C.shape == A1.shape == A2.shape == (n, n)) or n < 1:
        return None
    if np.abs(S - np.eye(n)).max() > ALIGN_TOL:
        return None
    U, s, Vt = np.linalg.svd(T)
    V = Vt.T
    top = max(s[0], np.finfo(float).tiny)
    if n > 1 and np.min(-np.diff(s)) <= ALIGN_TOL * top:
        return None
    Y, X, Z = A1 @ V, (U.T @ A2).T, C @ U
    scale = max(np.abs(Y).max(), np.abs(X).max(), np.abs(Z).max(), np.finfo(float).tiny)
    R = np.zeros((n, n))
    empty = []
    for i in range(n):
        cands = [Y[:, i], X[:, i], Z[:, i]]
        v = max(cands, key=np.linalg.norm)
        nv = np.linalg.norm(v)
        if nv <= ALIGN_TOL * scale:
            empty.append(i)
            continue
        R[:, i] = v / nv
    if empty:  # modes with a = b = c = 0: any orthonormal completion
        Q, _ = np.linalg.qr(np.hstack([R[:, [i for i in range(n) if i not in empty]], np.eye(n)]))
        for k, i in enumerate(empty):
            R[:, i] = Q[:, n - len(empty) + k]
    if np.abs(R.T @ R - np.eye(n)).max() > ALIGN_TOL:
        return None
    Da, Db, Dc = R.T @ Y, R.T @ X, R.T @ Z
    for D in (Da, Db, Dc):
        if np.abs(D - np.diag(np.diag(D))).max() > ALIGN_TOL * scale:
            return None
    return {"U": U, "V": V, "R": R, "s": s, "a": np.diag(Da).copy(), "b": np.diag(Db).copy(),
            "c": np.diag(Dc).copy()}


def modes_limit(modes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(A_1(inf), A_2(inf), a_inf, b_inf) from `chain111_limit` per mode."""
    a_inf, b_inf = zip(*(chain111_limit(float(si), 1.0, float(ci), float(ai), float(bi))
                         for si, ci, ai, bi in zip(modes["s"], modes["c"], modes["a"], modes["b"])))
    a_inf, b_inf = np.array(a_inf), np.array(b_inf)
    U, V, R = modes["U"], modes["V"], modes["R"]
    return (R * a_inf) @ V.T, (U * b_inf) @ R.T, a_inf, b_inf


def mode_field(s, c, y):
    """(a', b') of all modes at y = (a, b) stacked: a' = c (s - a b), b' = a (s - a b)."""
    n = len(s)
    a, b = y[:n], y[n:]
    e = s - a * b
    return np.concatenate([c * e, a * e])
