"""The limit of the product under RBP and SRBP at every depth and width (docs/theory.md section 10,
`rbp-limit`, `srbp-bottleneck`), and BP's limit on the same instances.

A[N0, ..., NL], S_II positive definite, fixed feedback, P* = S_TI S_II^{-1}. B_1 carries the
output error to layer 1 (dA_1/dt = B_1 E): B_1 = C_1 C_2 ... C_{L-1} (RBP), B_1 = C_1 (SRBP).
With G = P* S_II^{1/2} and Pi the orthogonal projector onto row(B_1 G),

    P(inf) = G Pi S_II^{-1/2} = M (B_1 M)^+ B_1 P*,   M = P* S_II P*^T B_1^T.

Which case an instance is in follows from three ranks: g = rank(G) = rank(P*), k = rank(B_1 G)
and r = the narrowest hidden width (rank(A_{L-1}...A_1) <= r):

* ``full-rank``: k = g, so row(B_1 G) = row(G) and P(inf) = P* (e.g. B_1 of full column rank).
* ``reduced-rank``: k = r < g: a fixed point needs row(B_1 G) inside row(R), R = A_{L-1}...A_1
  S_II^{1/2}, and rank(R) <= r = k forces equality, so P(inf) = G Pi S_II^{-1/2}.
* ``no-fixed-point``: k > r (possible under SRBP only, rank(B_1) <= r under RBP): no point has
  B_1 E = 0 (`srbp-bottleneck`).
* ``undetermined``: k < min(r, g) (feedback of lower rank than generic), where the limit depends
  on the start; or S_II singular; or a rank decision at the tolerance's edge (below).

Rank tolerance. Singular values are taken relative to the largest. One at most
RANK_ZERO = 1e-10 counts as zero: an exactly rank-deficient matrix built in double precision
and passed through S_II^{-1/2} (condition number up to 1e5 when S_II passes the definiteness cut
below) keeps rounding residues of about eps * 1e5 * n ~ 1e-10. One at least RANK_NONZERO = 1e-6
counts as nonzero: the projector Pi is then accurate to about eps / 1e-6 ~ 1e-10, well inside
the 1e-8 the predictions promise. Between the two the rank is not decided: the case is
``undetermined`` and no closed form is given (the limit is either a different map, or one
reached only on a time scale beyond any integration). S_II counts as singular when its smallest
eigenvalue is at most SII_DEFINITE = 1e-10 times its largest (the cut the other predictors use).

Precision. :func:`limit_case` computes S_II^{+-1/2}, P*, G, B_1 G, the singular values that
decide the ranks and the projector form in MP_DPS = 40 significant digits (mpmath, from the
double inputs as given), so the closed form is the exact limit of the instance's ODE to far
below the 1e-8 the predictions promise whatever the conditioning. In double precision its
rounding error grows like eps x cond(S_II) / (sigma_k(B_1 G) / sigma_1(B_1 G)) and missed 1e-8
inside the cuts above (measured against 80 digits: 3.6e-7 with cond(S_II) = 5e9; 1.6e-8 with
cond(S_II) = 1e4 and sigma_k / sigma_1 = 1.01e-6; 8e-7 with 1e6 and 2e-6). A 6 x 6 case costs
about 70 ms. The ranks are first decided in double precision with a bound on its rounding
(FLOAT_SLACK below): only a singular value whose error interval lies entirely on one side of
each cut is decided there, anything else goes the high-precision route; the closed forms
are always the high-precision ones (a no-fixed-point case, which has none, then needs no
high precision at all).
"""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError

__all__ = ["RANK_ZERO", "RANK_NONZERO", "SII_DEFINITE", "LimitCase", "first_layer_feedback",
           "limit_case", "rbp_limit_product", "rbp_limit_projector_form", "bp_limit_product",
           "excess_loss", "loss_gap", "numerical_rank", "speed_bound"]

RANK_ZERO = 1e-10
RANK_NONZERO = 1e-6
SII_DEFINITE = 1e-10
MP_DPS = 40


class LimitCase(dict):
    """``case``, ``fixed_point`` (True/False/None), ``reason``, the ranks, and ``product``
    (None unless the case has a closed form)."""


def numerical_rank(M) -> tuple[int | None, str]:
    """(rank, note): rank None when a singular value lies between RANK_ZERO and RANK_NONZERO
    (relative to the largest)."""
    M = np.asarray(M, dtype=float)
    if M.size == 0:
        return 0, ""
    return _rank_from_singular_values(np.linalg.svd(M, compute_uv=False))


def _rank_from_singular_values(s) -> tuple[int | None, str]:
    s = np.asarray(s, dtype=float)
    if s.size == 0 or s[0] == 0.0:
        return 0, ""
    rel = s / s[0]
    edge = rel[(rel > RANK_ZERO) & (rel < RANK_NONZERO)]
    if edge.size:
        return None, (f"a singular value {edge[0] * s[0]:.3g} ({edge[0]:.3g} of the largest) lies "
                      f"between the rank tolerances {RANK_ZERO:g} and {RANK_NONZERO:g}")
    return int(np.sum(rel >= RANK_NONZERO)), ""


def first_layer_feedback(rule: str, feedback) -> np.ndarray:
    """B_1: C_1 C_2 ... C_{L-1} (rbp) or C_1 (srbp)."""
    if rule == "srbp":
        return np.asarray(feedback[0], float)
    if rule == "rbp":
        B = np.asarray(feedback[0], float)
        for C in feedback[1:]:
            B = B @ np.asarray(C, float)
        return B
    raise InputError(f"rule: the rbp-limit closed form is for rbp and srbp, got {rule!r}")


def _sqrt_and_inverse(sigma_ii):
    S = np.asarray(sigma_ii, float)
    S = 0.5 * (S + S.T)
    w, V = np.linalg.eigh(S)
    if w[-1] <= 0 or w[0] <= SII_DEFINITE * w[-1]:
        raise InputError(f"sigma_ii: singular (smallest eigenvalue {w[0]:.3g}, largest {w[-1]:.3g}); "
                         "the rbp-limit closed form needs S_II positive definite "
                         f"(smallest > {SII_DEFINITE:g} x largest)")
    return (V * np.sqrt(w)) @ V.T, (V / np.sqrt(w)) @ V.T, (V / w) @ V.T


def limit_case(layers, rule, sigma_ii, sigma_ti, feedback) -> LimitCase:
    """Which case of `rbp-limit` an RBP/SRBP instance is in, and its limit product if known.

    Never raises for a valid instance: a singular S_II, an undecided rank, or a closed form that
    a double cannot hold (computed in MP_DPS digits, it overflows float64) gives case
    ``undetermined`` with the reason.
    """
    out = _limit_case(layers, rule, sigma_ii, sigma_ti, feedback)
    if out["product"] is not None and not np.all(np.isfinite(out["product"])):
        out.update(case="undetermined", fixed_point=None, product=None,
                   reason=f"the closed form ({out['case']}) overflows float64 on this instance")
    return out


def _limit_case(layers, rule, sigma_ii, sigma_ti, feedback) -> LimitCase:
    """Which case of `rbp-limit` an RBP/SRBP instance is in, and its limit product if known.

    Never raises for a valid instance: a singular S_II or an undecided rank gives case
    ``undetermined`` with the reason.
    """
    layers = [int(n) for n in layers]
    if len(layers) < 3:
        raise InputError("layers: rbp-limit needs at least one hidden layer")
    r = min(layers[1:-1])
    B1 = first_layer_feedback(rule, feedback)
    out = LimitCase(case="undetermined", fixed_point=None, reason="", product=None,
                    rank_G=None, rank_B1G=None, narrowest_hidden=r)
    try:
        _sqrt_and_inverse(sigma_ii)  # the definiteness cut (InputError when singular)
    except InputError as exc:
        out["reason"] = str(exc)
        return out
    ranks, hp = _float_ranks(sigma_ii, sigma_ti, B1), None
    if ranks is None:  # a singular value too close to a cut for double precision to decide
        hp = _HighPrecision(sigma_ii, sigma_ti, B1)
        g, why_g = _rank_from_singular_values(hp.singular_values(hp.G))
        k, why_k = _rank_from_singular_values(hp.singular_values(hp.K))
    else:
        (g, why_g), (k, why_k) = ranks
    out["rank_G"], out["rank_B1G"] = g, k
    if g is None or k is None:
        out["reason"] = "rank not decided: " + (why_k or why_g)
        return out
    if k > r:
        out.update(case="no-fixed-point", fixed_point=False,
                   reason=f"rank(B_1 G) = {k} exceeds the narrowest hidden width {r}: B_1 E = 0 "
                          f"would need row(B_1 G) inside a row space of rank <= {r}")
        return out
    hp = hp or _HighPrecision(sigma_ii, sigma_ti, B1)
    if k == g:
        out.update(case="full-rank", fixed_point=True, product=hp.to_float(hp.Pstar),
                   reason=f"rank(B_1 G) = rank(G) = {g}: row(B_1 G) = row(G), so P -> P* = S_TI S_II^-1")
        return out
    if k == r:
        out.update(case="reduced-rank", fixed_point=True, product=hp.projector_form(k),
                   reason=f"rank(B_1 G) = {k} = narrowest hidden width < rank(G) = {g}: "
                          "P -> G Pi S_II^-1/2, Pi the projector onto row(B_1 G)")
        return out
    out["reason"] = (f"rank(B_1 G) = {k} is below both the narrowest hidden width {r} and "
                     f"rank(G) = {g}: the feedback is of lower rank than generic and the limit "
                     "depends on the start")
    return out


# Rank decisions in double precision, where safe. G = S_TI S_II^-1/2 and K = B_1 G computed in
# double differ from the MP_DPS-digit ones (the exact matrices of the double inputs, to far below
# anything here) by at most dG and dK in the 2-norm: eigh's backward error (FLOAT_SLACK n eps
# |S_II|, propagated through x^-1/2 with its Lipschitz constant 1/2 w_min^-3/2 on the spectrum)
# and the products' roundings (FLOAT_SLACK n eps each), FLOAT_SLACK = 100 being generous
# against LAPACK's O(n) constants. Each singular value then moves by at most the error plus
# the SVD's own backward error (Weyl), and so does the largest: a relative singular value whose
# whole interval lies at or below RANK_ZERO, or at or above RANK_NONZERO, is decided as the
# high-precision route decides it. Any other (or an interval reaching 0 for the largest) sends
# the whole case to the high-precision route. The closed forms themselves (P*, the projector
# form) are always the high-precision ones.
FLOAT_SLACK = 100.0


def _float_rank(M, err):
    """The rank of the exact M (within ``err`` of the double ``M`` in the 2-norm) by the cuts, or
    None where double precision cannot decide it."""
    if M.size == 0:
        return 0, ""
    s = np.linalg.svd(M, compute_uv=False)
    d = err + FLOAT_SLACK * max(M.shape) * np.finfo(float).eps * s[0]
    if s[0] == 0.0 and d == 0.0:
        return 0, ""
    if not np.isfinite(d) or s[0] - d <= 0.0:
        return None
    hi = (s + d) / (s[0] - d)
    lo = np.maximum(s - d, 0.0) / (s[0] + d)
    zero, nonzero = hi <= RANK_ZERO, lo >= RANK_NONZERO
    if not np.all(zero | nonzero):
        return None
    return int(np.sum(nonzero)), ""


def _float_ranks(sigma_ii, sigma_ti, B1):
    """((rank G, ""), (rank K, "")) decided in double precision (see FLOAT_SLACK), or None."""
    eps = np.finfo(float).eps
    S = np.asarray(sigma_ii, float)
    S = 0.5 * (S + S.T)
    n = S.shape[0]
    w, V = np.linalg.eigh(S)
    if not w[0] > 0.0:
        return None
    X = (V / np.sqrt(w)) @ V.T                        # S_II^-1/2
    T = np.asarray(sigma_ti, float)
    B1 = np.asarray(B1, float)
    G = T @ X
    K = B1 @ G
    norm_T, norm_X, norm_B = np.linalg.norm(T, 2), w[0] ** -0.5, np.linalg.norm(B1, 2)
    dX = FLOAT_SLACK * n * eps * (0.5 * w[-1] * w[0] ** -1.5 + norm_X)
    dG = norm_T * dX + FLOAT_SLACK * n * eps * norm_T * norm_X
    dK = norm_B * dG + FLOAT_SLACK * max(B1.shape[1], 1) * eps * norm_B * np.linalg.norm(G, 2)
    g, k = _float_rank(G, dG), _float_rank(K, dK)
    return None if g is None or k is None else (g, k)


class _HighPrecision:
    """S_II^{+-1/2}, P*, G = P* S_II^{1/2} and K = B_1 G in MP_DPS digits (mpmath) from the
    double inputs, and the projector form G V_k V_k^T S_II^{-1/2} (V_k: K's first k right
    singular vectors)."""

    def __init__(self, sigma_ii, sigma_ti, B1):
        import mpmath

        self.mp = mpmath
        with mpmath.workdps(MP_DPS):
            S = mpmath.matrix(np.asarray(sigma_ii, float).tolist())
            S = (S + S.T) / 2
            w, E = mpmath.eigsy(S)
            n = S.rows
            self.inv_half = E * mpmath.diag([1 / mpmath.sqrt(w[i]) for i in range(n)]) * E.T
            half = E * mpmath.diag([mpmath.sqrt(w[i]) for i in range(n)]) * E.T
            inv = E * mpmath.diag([1 / w[i] for i in range(n)]) * E.T
            self.Pstar = mpmath.matrix(np.asarray(sigma_ti, float).tolist()) * inv
            self.G = self.Pstar * half
            self.K = mpmath.matrix(np.asarray(B1, float).tolist()) * self.G

    @staticmethod
    def to_float(M) -> np.ndarray:
        return np.array(M.tolist(), dtype=float).reshape(M.rows, M.cols)

    def singular_values(self, M) -> np.ndarray:
        if M.rows == 0 or M.cols == 0:
            return np.zeros(0)
        with self.mp.workdps(MP_DPS):
            s = self.mp.svd_r(M, compute_uv=False)
        return np.sort(np.array([float(x) for x in s]))[::-1]

    def projector_form(self, k: int) -> np.ndarray:
        mp = self.mp
        with mp.workdps(MP_DPS):
            _, s, V = mp.svd_r(self.K, full_matrices=False)
            order = sorted(range(len(s)), key=lambda i: -s[i])[:k]
            Vk = mp.matrix(k, self.K.cols)
            for a, i in enumerate(order):
                for j in range(self.K.cols):
                    Vk[a, j] = V[i, j]
            return self.to_float(self.G * Vk.T * Vk * self.inv_half)


def rbp_limit_projector_form(G, K, inv_half) -> np.ndarray:
    """G Pi S_II^{-1/2}, Pi = V_k V_k^T from the SVD of K = B_1 G (the stable route)."""
    _, s, Vt = np.linalg.svd(K)
    k = int(np.sum(s >= RANK_NONZERO * s[0])) if s.size and s[0] > 0 else 0
    Vk = Vt[:k].T
    return G @ Vk @ Vk.T @ inv_half


def rbp_limit_product(rule, sigma_ii, sigma_ti, feedback) -> np.ndarray:
    """the theory page's formula M (B_1 M)^+ B_1 P*, M = P* S_II P*^T B_1^T (InputError when S_II is
    singular). A second route to the same matrix as :func:`limit_case`'s projector form."""
    _sqrt_and_inverse(sigma_ii)
    S = np.asarray(sigma_ii, float)
    Pstar = np.asarray(sigma_ti, float) @ np.linalg.inv(S)
    B1 = first_layer_feedback(rule, feedback)
    M = Pstar @ S @ Pstar.T @ B1.T
    BM = B1 @ M
    return M @ np.linalg.pinv(BM, rcond=RANK_NONZERO ** 2, hermitian=True) @ B1 @ Pstar


def bp_limit_product(sigma_ii, sigma_ti, r: int) -> np.ndarray:
    """BP's limit from generic starts: the best rank-r approximation of P* in the S_II metric,
    [G]_r S_II^{-1/2} with [G]_r the truncated SVD of G = P* S_II^{1/2} (Eckart-Young)."""
    half, inv_half, inv = _sqrt_and_inverse(sigma_ii)
    G = np.asarray(sigma_ti, float) @ inv @ half
    U, s, Vt = np.linalg.svd(G, full_matrices=False)
    r = min(int(r), s.size)
    return (U[:, :r] * s[:r]) @ Vt[:r] @ inv_half


def excess_loss(sigma_ii, sigma_ti, P) -> float:
    """Err(P) - min Err = 1/2 tr((P - P*) S_II (P - P*)^T)."""
    S = np.asarray(sigma_ii, float)
    D = np.asarray(P, float) - np.asarray(sigma_ti, float) @ np.linalg.inv(S)
    return float(0.5 * np.trace(D @ S @ D.T))


def loss_gap(layers, rule, sigma_ii, sigma_ti, feedback) -> dict:
    """Excess losses of the RBP/SRBP limit and of BP's (rank-r) limit, and their gap.

    In closed form: RBP 1/2 |G (Id - Pi)|_F^2, BP 1/2 sum_{i > r} sigma_i(G)^2; the gap >= 0.
    """
    case = limit_case(layers, rule, sigma_ii, sigma_ti, feedback)
    if case["product"] is None:
        raise InputError(f"no closed-form limit for this instance ({case['case']}: {case['reason']})")
    r = case["narrowest_hidden"]
    P_bp = bp_limit_product(sigma_ii, sigma_ti, r)
    e_rbp = excess_loss(sigma_ii, sigma_ti, case["product"])
    e_bp = excess_loss(sigma_ii, sigma_ti, P_bp)
    return {"case": case["case"], "rbp_excess": e_rbp, "bp_excess": e_bp, "gap": e_rbp - e_bp,
            "rbp_product": case["product"], "bp_product": P_bp}


def speed_bound(sigma_ti, C1, r) -> float:
    """`srbp-bottleneck`: sqrt(sum_{i>r} sigma_i(C_1 S_TI)^2), the least |dA_1/dt|_F anywhere
    under SRBP with narrowest hidden width r (C_1 P S_II has rank <= r; Eckart-Young)."""
    s = np.linalg.svd(np.asarray(C1, float) @ np.asarray(sigma_ti, float), compute_uv=False)
    return float(np.sqrt(np.sum(s[r:] ** 2)))
