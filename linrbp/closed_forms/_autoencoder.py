"""Closed-form limits of the autoencoder and single-hidden-layer systems (docs/theory.md 5, 6, 9).

* :func:`autoencoder_limit`: A[N,1,N] with whitened data (S_II = S_TI = Id), fixed feedback
  C (1 x N). K = C B - |A|^2/2 is conserved (Lemma 1) and (Theorem 6) A -> lambda C,
  B -> C^T / (lambda |C|^2), where lambda is the unique positive root of
  (|C|^2/2) lambda^3 + K lambda - 1 = 0; B A -> C^T C / |C|^2.
* :func:`autoencoder_product`: A[N,p,N] with S = S_II = S_TI invertible and C (p x N) of full
  row rank: every fixed point has B A = S C^T (C S C^T)^{-1} C (docs/theory.md 9).
* :func:`single_hidden_target`: Theorem 8, C1 A2 A1 -> C1 S_TI S_II^{-1}, and when C1 has full
  column rank A2 A1 -> S_TI S_II^{-1}.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from ..core._errors import InputError
from ..core._stats import DataStats, as_matrix

__all__ = ["autoencoder_invariant", "autoencoder_lambda", "autoencoder_limit",
           "autoencoder_product", "single_hidden_invariant", "single_hidden_target",
           "full_column_rank"]

# Relative singular-value threshold for "full rank" (C, C S C^T, S_II).
RANK_RTOL = 1e-10


def full_column_rank(M: np.ndarray, rtol: float = RANK_RTOL) -> bool:
    """Whether M has full column rank: its smallest singular value > rtol * largest."""
    M = np.asarray(M, dtype=float)
    if M.shape[0] < M.shape[1]:
        return False
    s = np.linalg.svd(M, compute_uv=False)
    return bool(s.size and s[-1] > rtol * max(s[0], np.finfo(float).tiny))


def autoencoder_invariant(C, A, B):
    """K = C B - |A|^2 / 2 for A[N,1,N] (Lemma 1: conserved for any data); batches allowed."""
    C, A, B = np.asarray(C, float), np.asarray(A, float), np.asarray(B, float)
    K = (C @ B)[..., 0, 0] - 0.5 * np.sum(A * A, axis=(-2, -1))
    return float(K) if np.ndim(K) == 0 else K


def autoencoder_lambda(c2: float, K: float) -> float:
    """The unique positive root of (c2/2) l^3 + K l - 1 = 0 (c2 = |C|^2 > 0).

    q(l) = (c2/2) l^3 + K l - 1 has q(0) = -1 < 0 and q -> inf; q is convex on l > 0, so
    it has exactly one positive root. Bracketed, then polished by Newton's method.
    """
    if not (np.isfinite(c2) and c2 > 0 and np.isfinite(K)):
        raise InputError(f"feedback: |C|^2 must be positive and finite (got {c2!r}, K={K!r})")
    a = 0.5 * c2

    def q(x):
        return a * x ** 3 + K * x - 1.0

    lo, hi = 0.0, 1.0
    while q(hi) < 0:
        lo, hi = hi, 2 * hi
    for _ in range(200):  # bisection to a bracket of relative width 2^-200
        mid = 0.5 * (lo + hi)
        if q(mid) < 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    x = 0.5 * (lo + hi)
    for _ in range(3):
        d = 3 * a * x * x + K
        if d > 0:
            x = x - q(x) / d
    return float(x)


def autoencoder_limit(C, A, B):
    r"""(A_inf, B_inf, lambda) for A[N,1,N] with whitened data, from the start (A, B) and C.

    A is 1 x N, B is N x 1, C is 1 x N (nonzero). :math:`A_\infty = \lambda C`,
    :math:`B_\infty = C^T / (\lambda \|C\|^2)`, :math:`\lambda` the positive root of
    :math:`(\|C\|^2/2)\, l^3 + K l - 1 = 0` with :math:`K = C B - \|A\|^2/2` (the theory
    page, section 5).

    Parameters
    ----------
    C : array_like, shape (1, N)
        The fixed feedback, nonzero.
    A : array_like, shape (1, N)
        The start of the lower weights.
    B : array_like, shape (N, 1)
        The start of the upper weights.

    Returns
    -------
    tuple
        :math:`A_\infty` (1 x N), :math:`B_\infty` (N x 1) and :math:`\lambda` (a float).

    Raises
    ------
    InputError
        (a ValueError) for shapes that do not fit, non-finite entries or :math:`C = 0`.

    Examples
    --------
    >>> import linrbp
    >>> A_inf, B_inf, lam = linrbp.autoencoder_limit([[1.0, 0.0, 0.0]], [[0.1, 0.2, 0.0]],
    ...                                              [[0.0], [0.1], [0.0]])
    >>> round(lam, 6), (B_inf @ A_inf).round(12).tolist()[0]
    (1.273149, [1.0, 0.0, 0.0])
    """
    C = as_matrix(C, "C")
    if C.shape[0] != 1:
        raise InputError(f"C: expected a 1 x N row, got {C.shape[0]}x{C.shape[1]}")
    N = C.shape[1]
    A = as_matrix(A, "A", (1, N))
    B = as_matrix(B, "B", (N, 1))
    c2 = float(np.sum(C * C))
    if c2 == 0:
        raise InputError("C: the feedback must be nonzero")
    lam = autoencoder_lambda(c2, autoencoder_invariant(C, A, B))
    return lam * C, C.T / (lam * c2), lam


def autoencoder_product(S, C) -> np.ndarray:
    r"""The fixed-point product :math:`B A = S C^T (C S C^T)^{-1} C` of :math:`A[N,p,N]` with :math:`S_{II} = S_{TI} = S`.

    The claim ``autoencoder-general`` (docs/theory.md section 9): with a fixed feedback
    :math:`C` (:math:`p \times N`), the product at a fixed point is this oblique projection,
    optimal only when the row space of :math:`C` is invariant under :math:`S`. Computed through
    the Cholesky factor of :math:`S` and a QR of :math:`L^T C^T` (about
    :math:`\mathrm{cond}(L)\,\varepsilon` of rounding, not :math:`\mathrm{cond}(C S C^T)\,\varepsilon`).

    Parameters
    ----------
    S : array_like, shape (N, N)
        The data moment :math:`S = S_{II} = S_{TI}`, symmetric positive definite.
    C : array_like, shape (p, N)
        The fixed feedback, of full row rank :math:`p`.

    Returns
    -------
    numpy.ndarray, shape (N, N)
        :math:`S C^T (C S C^T)^{-1} C`.

    Raises
    ------
    InputError
        (a ValueError) for non-finite entries, shapes that do not fit, an :math:`S` that is not
        symmetric positive definite, or a :math:`C` without full row rank.

    Examples
    --------
    With :math:`S = \mathrm{diag}(1, 2)` and :math:`C = (1, 1)`: :math:`S C^T = (1, 2)^T`,
    :math:`C S C^T = 3`:

    >>> import linrbp
    >>> (3 * linrbp.autoencoder_product([[1.0, 0.0], [0.0, 2.0]], [[1.0, 1.0]])).round(12).tolist()
    [[1.0, 1.0], [2.0, 2.0]]
    """
    C = as_matrix(C, "C")
    p, N = C.shape
    S = as_matrix(S, "S", (N, N))
    DataStats.from_matrices(S, S, definite=True)  # validates symmetry and definiteness
    if not full_column_rank(C.T):
        raise InputError(f"C: must have full row rank {p} (rows linearly independent)")
    # Computed as L Q Q^T L^{-1}, with S = L L^T (Cholesky) and Q an orthonormal basis of
    # col(L^T C^T) (QR): the same matrix, since S C^T (C S C^T)^{-1} C = L M (M^T M)^{-1} M^T L^{-1}
    # with M = L^T C^T. The direct solve with C S C^T loses cond(C S C^T) * eps (7.5e-7 off the
    # identity at p = N for a C of condition 1.3e5); this route loses about cond(L) * eps.
    L = np.linalg.cholesky(S)
    Q = np.linalg.qr(L.T @ C.T)[0]
    Z = solve_triangular(L, Q, lower=True, trans="T")  # L^{-T} Q
    return (L @ Q) @ Z.T


def single_hidden_target(C1, sigma_ii, sigma_ti) -> dict:
    r"""The limits of :math:`A[N_0,N_1,N_2]` under RBP ([BSL] Theorem 8, docs/theory.md section 6).

    :math:`C_1 A_2 A_1 \to C_1 P^*` with :math:`P^* = S_{TI} S_{II}^{-1}`, and
    :math:`A_2 A_1 \to P^*` when :math:`C_1` has full column rank.

    Parameters
    ----------
    C1 : array_like, shape (N1, N2)
        The fixed feedback :math:`C_1`.
    sigma_ii : array_like, shape (N0, N0)
        :math:`S_{II}`, symmetric positive definite.
    sigma_ti : array_like, shape (N2, N0)
        :math:`S_{TI}`.

    Returns
    -------
    dict
        ``c1_product``: :math:`C_1 P^*` (:math:`N_1 \times N_0`), the limit of
        :math:`C_1 A_2 A_1`; ``product``: :math:`P^*`, the limit of :math:`A_2 A_1`, or None when
        :math:`C_1` lacks full column rank (then only :math:`C_1 A_2 A_1` is known);
        ``full_column_rank``: bool.

    Raises
    ------
    InputError
        (a ValueError) for moments that :meth:`DataStats.from_matrices` refuses (with
        ``definite=True``) or a :math:`C_1` whose columns do not match :math:`N_2`.

    Examples
    --------
    >>> import linrbp
    >>> t = linrbp.single_hidden_target([[1.0], [2.0]], [[2.0]], [[1.0]])
    >>> t["product"].tolist(), t["c1_product"].tolist(), t["full_column_rank"]
    ([[0.5]], [[0.5], [1.0]], True)
    >>> linrbp.single_hidden_target([[1.0, 0.0]], [[1.0, 0.0], [0.0, 2.0]], [[1.0, 1.0], [0.0, 2.0]])["product"] is None
    True
    """
    stats = DataStats.from_matrices(sigma_ii, sigma_ti, definite=True)
    C1 = as_matrix(C1, "C1")
    if C1.shape[1] != stats.n_out:
        raise InputError(f"C1: has {C1.shape[1]} columns but sigma_ti has {stats.n_out} rows")
    P = np.linalg.solve(stats.sigma_ii, stats.sigma_ti.T).T
    full = full_column_rank(C1)
    return {"c1_product": C1 @ P, "product": P if full else None, "full_column_rank": full}


def single_hidden_invariant(C1, A1, A2) -> np.ndarray:
    """Q = C1 A2 + (C1 A2)^T - A1 A1^T (N1 x N1), conserved under RBP on A[N0,N1,N2]."""
    M = np.asarray(C1) @ np.asarray(A2)
    A1 = np.asarray(A1)
    return M + np.swapaxes(M, -1, -2) - A1 @ np.swapaxes(A1, -1, -2)
