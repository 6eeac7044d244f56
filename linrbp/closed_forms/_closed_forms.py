"""Closed-form limits of the scalar systems (docs/theory.md sections 2, 3, 4 and 7).

Chains A[1,...,1] in SRBP form, a_h' = c_h e prod_{k<h} a_k with c_L = 1 and e = alpha - beta P
(RBP with backward weights r_h is c_h = r_h ... r_{L-1}), conserve
a_{h+1} - c_{h+1} a_h^2 / (2 c_h) = K_h, so every a_h is a polynomial in x = a_1 and
x' = Q(x) = c_1 (alpha - beta P(x)) (degree 2^L - 1). The limit is the root of Q that
:mod:`linrbp.closed_forms._poly1d` picks. Q is built by polynomial composition only to find breakpoints
(approximate roots of Q, Q', Q''); signs, brackets and the chosen root are evaluated through
the recursion a_{h+1} = s_h a_h^2 + K_h itself (forward-mode derivatives), which stays accurate
at depth 6 and beyond where the expanded coefficients of a degree-63 polynomial do not.

Layers with c_h = 0 do not move; between two moving layers m < m' the invariant is
a_{m'} - (c_{m'} g / (2 c_m)) a_m^2 with g the product of the frozen weights in between.
"""

from __future__ import annotations

import math
import numbers
from typing import Sequence

import numpy as np
from numpy.polynomial import polynomial as npoly
from scipy.optimize import brentq

from ..core._checks import check_real
from ..core._errors import InputError
from ._poly1d import EPS, _sign, poly1d_limit

__all__ = [
    "rbp_to_srbp", "chain_reduction", "chain_limit", "chain111_limit", "chain111_stable",
    "chain_invariants", "chain_field", "chain_jacobian", "chain_stability",
    "wide_limit", "wide_invariants", "wide_field",
]


def _check_data(alpha, beta):
    alpha, beta = check_real(alpha, "alpha"), check_real(beta, "beta")
    if beta < 0:
        raise InputError(f"beta: E[I^2] must be >= 0, got {beta}")
    if beta == 0 and alpha != 0:
        raise InputError("alpha: must be 0 when beta = 0 (E[TI]^2 <= E[T^2] E[I^2])")
    return alpha, beta


def _vec(v, name, n=None) -> np.ndarray:
    raw = np.atleast_1d(np.asarray(v, dtype=object))
    for x in raw.ravel():
        if isinstance(x, (bool, str, bytes, np.bool_)) or not isinstance(x, (numbers.Real, np.number)):
            raise InputError(f"{name}: expected numbers, got {x!r}")
    v = np.atleast_1d(np.asarray(v, dtype=float))
    if v.ndim != 1:
        raise InputError(f"{name}: expected a list of numbers")
    if n is not None and v.size != n:
        raise InputError(f"{name}: expected {n} numbers, got {v.size}")
    if not np.all(np.isfinite(v)):
        raise InputError(f"{name}: contains NaN or infinity")
    return v


def rbp_to_srbp(backward) -> np.ndarray:
    """c_h = r_h r_{h+1} ... r_{L-1}: RBP backward weights as SRBP feedback."""
    r = _vec(backward, "feedback")
    return np.cumprod(r[::-1])[::-1] if r.size else r


def _feedback(feedback, weights, rule):
    a = _vec(weights, "weights")
    L = a.size
    if L < 1:
        raise InputError("weights: need at least one layer")
    fb = _vec(feedback, "feedback") if np.size(feedback) else np.zeros(0)
    if fb.size != L - 1:
        raise InputError(f"feedback: a chain of depth {L} needs {L - 1} feedback weights, got {fb.size}")
    rule = str(rule).lower()
    if rule == "rbp":
        fb = rbp_to_srbp(fb)
    elif rule != "srbp":
        raise InputError(f"rule: closed forms exist for srbp and rbp chains, got {rule!r}")
    return np.append(fb, 1.0), a


class ChainReduction:
    """The one-dimensional reduction x' = Q(x) of a chain (SRBP form, c_L = 1 appended)."""

    def __init__(self, alpha, beta, c, a0):
        self.alpha, self.beta = _check_data(alpha, beta)
        self.c = np.asarray(c, dtype=float)
        self.a0 = np.asarray(a0, dtype=float)
        L = self.a0.size
        self.moving = [h for h in range(L) if self.c[h] != 0]
        f = self.moving[0]
        self.p0 = float(np.prod(self.a0[:f]))
        frozen = [h for h in range(L) if h not in self.moving]
        self.const = float(np.prod(self.a0[frozen])) if frozen else 1.0
        self.s, self.K = [], []
        for prev, m in zip(self.moving[:-1], self.moving[1:]):
            g = float(np.prod(self.a0[prev + 1:m]))
            s = self.c[m] * g / (2 * self.c[prev])
            self.s.append(s)
            self.K.append(self.a0[m] - s * self.a0[prev] ** 2)
        self.gain = self.c[f] * self.p0  # x' = gain * (alpha - beta P)
        self.x0 = float(self.a0[f])

    @property
    def static(self) -> bool:
        return self.beta == 0 or self.gain == 0

    def layers(self, x) -> np.ndarray:
        """a_1..a_L on the invariant curve through the start, at a_{first moving} = x."""
        a = self.a0.copy()
        v = x
        a[self.moving[0]] = v
        for s, K, m in zip(self.s, self.K, self.moving[1:]):
            v = s * v * v + K
            a[m] = v
        return a

    def taylor(self, x):
        """(Q, Q', Q'', rounding bound of Q) at x, through the recursion."""
        v, d1, d2, err = x, 1.0, 0.0, 0.0
        P = np.array([self.const, 0.0, 0.0])
        perr = EPS * abs(self.const)
        vals = []
        for j in range(len(self.moving)):
            if j:
                s, K = self.s[j - 1], self.K[j - 1]
                err = 2 * EPS * (abs(s) * v * v + abs(K)) + 2 * abs(s * v) * err
                v, d1, d2 = s * v * v + K, 2 * s * v * d1, 2 * s * (d1 * d1 + v * d2)
            vals.append((v, d1, d2, err))
        # Product with errors: sum_j err_j prod_{i != j} |a_i|.
        absv = [abs(t[0]) for t in vals]
        for j, (v, d1, d2, err) in enumerate(vals):
            p, p1, p2 = P
            P = np.array([p * v, p1 * v + p * d1, p2 * v + 2 * p1 * d1 + p * d2])
            perr = perr * abs(v) + err * abs(p) + EPS * abs(p * v)
        g = self.gain
        q = g * (self.alpha - self.beta * P[0])
        bound = abs(g) * (4 * EPS * (abs(self.alpha) + self.beta * abs(P[0])) + self.beta * perr) + 1e-300
        return q, -g * self.beta * P[1], -g * self.beta * P[2], bound

    def series(self, x) -> np.ndarray:
        """Taylor coefficients of Q at x: Q(x + w) = sum_k b_k w^k, through the recursion."""
        v = np.array([x, 1.0])
        P = self.const * v
        for s, K in zip(self.s, self.K):
            v = s * np.convolve(v, v)
            v[0] += K
            P = np.convolve(P, v)
        Q = -self.gain * self.beta * P
        Q[0] += self.gain * self.alpha
        return Q

    def coefficients(self) -> np.ndarray:
        """Q's coefficients, highest degree first (ill-conditioned for deep chains: used only
        for display and shallow checks)."""
        Q = self.series(0.0)
        return np.trim_zeros(Q[::-1], "f") if np.any(Q) else np.zeros(1)

    def limit_x(self):
        """(x_inf, touching) of the reduced ODE, or (+-inf, None) for a blow-up."""
        if self.static:
            return self.x0, False
        q, _, _, b = self.taylor(self.x0)
        if _sign(q, b) == 0:
            return self.x0, False
        with np.errstate(over="ignore", invalid="ignore"):
            return series_walk(self.series, self.taylor, self.x0, 1 if q > 0 else -1)


def _lower_radius(b) -> float:
    """No root of sum_k b_k w^k with |w| below this (Fujiwara's bound on the reversed
    polynomial): 1 / (2 max_k |b_k / b_0|^(1/k))."""
    b0 = abs(b[0])
    nz = np.flatnonzero(b[1:]) + 1
    if nz.size == 0:
        return math.inf
    with np.errstate(divide="ignore"):
        logs = (np.log(np.abs(b[nz])) - math.log(b0)) / nz
    return 0.5 * math.exp(-float(np.max(logs)))


def _upper_radius(b) -> float:
    """Every root of sum_k b_k w^k lies within this radius (Fujiwara's bound)."""
    n = len(b) - 1
    while n > 0 and b[n] == 0:
        n -= 1
    if n == 0:
        return 0.0
    k = np.arange(n)
    nz = b[:n] != 0
    if not np.any(nz):
        return 0.0
    logs = (np.log(np.abs(b[:n][nz])) - math.log(abs(b[n]))) / (n - k[nz])
    return 2.0 * math.exp(float(np.max(logs)))


def series_walk(series, taylor, x0: float, s: int, max_iter: int = 5000):
    """First root of Q from x0 in direction s, stepping by root-free radii.

    At each x the Taylor coefficients (computed through the structure, so accurate near x) give
    a disk free of roots of Q (Fujiwara); x advances by its radius, so no root is jumped over.
    Near a root the Newton step is bracketed, and accepted when Q' has no root in the bracket
    (Q monotone there: the root is unique and first). |Q| within rounding is a root at which Q
    touches zero (a multiple root, refined on Q'). Past the disk that holds every root (from
    x0), there is no root ahead: (s*inf, None).
    """
    b = series(x0)
    reach = 2.0 * _upper_radius(b)
    x = x0
    for _ in range(max_iter):
        b = series(x)
        q, q1, q2, bound = taylor(x)
        if abs(q) <= bound:
            return _touch(taylor, x), True
        if (q > 0) != (s > 0):
            raise RuntimeError("series_walk: stepped over a root")
        rho = _lower_radius(b)
        if q1 * s < 0:
            y = x + s * 1.5 * abs(q / q1)
            qy = taylor(y)[0]
            if (qy > 0) != (s > 0) and qy != 0:
                d = np.arange(1, len(b)) * b[1:]
                if _lower_radius(d) >= abs(y - x):
                    lo, hi = (x, y) if s > 0 else (y, x)
                    return brentq(lambda t: taylor(t)[0], lo, hi, xtol=1e-300, rtol=4 * EPS, maxiter=500), False
        if not math.isfinite(rho):
            return s * math.inf, None
        x_new = x + s * rho
        if (x_new - x0) * s > reach or not math.isfinite(x_new):
            return s * math.inf, None
        if x_new == x:
            return _touch(taylor, x), True
        x = x_new
    raise RuntimeError("series_walk: no convergence")


def _touch(taylor, x0):
    """A root x0 within rounding: the critical point of Q there if |Q| stays within rounding
    at it (a multiple root), else x0 polished by Newton on Q (a simple root)."""
    x = x0
    for _ in range(60):
        _, q1, q2, _ = taylor(x)
        if q2 == 0:
            break
        xn = x - q1 / q2
        if abs(xn - x) <= 2 * EPS * abs(x) + 1e-300 or not math.isfinite(xn):
            break
        x = xn
    q, _, _, bound = taylor(x)
    if abs(q) <= bound and abs(x - x0) <= 1e-4 * max(1.0, abs(x0)):
        return float(x)
    x = x0
    for _ in range(20):
        q, q1, _, _ = taylor(x)
        if q == 0 or q1 == 0:
            break
        xn = x - q / q1
        if abs(xn - x) <= 2 * EPS * abs(x):
            break
        x = xn
    return float(x)


def chain_reduction(alpha, beta, feedback, weights, rule="srbp") -> ChainReduction:
    c, a = _feedback(feedback, weights, rule)
    return ChainReduction(alpha, beta, c, a)


def chain_limit(alpha, beta, feedback, weights, rule="srbp") -> np.ndarray:
    r"""The limits of :math:`a_1, \dots, a_L` of the chain :math:`A[1,\dots,1]` in closed form.

    The theory page, section 3: the conserved :math:`K_h` make :math:`\dot a_1 = Q(a_1)` a
    polynomial ODE, whose limit the one-dimensional classification (:func:`poly1d_limit`)
    gives; the other weights follow from the :math:`K_h`.

    Parameters
    ----------
    alpha : float
        :math:`\alpha = \mathbb{E}[T I]`.
    beta : float
        :math:`\beta = \mathbb{E}[I^2] \ge 0`.
    feedback : sequence of float
        :math:`c_1, \dots, c_{L-1}` (``rule="srbp"``) or the backward weights
        :math:`r_1, \dots, r_{L-1}` (``rule="rbp"``).
    weights : sequence of float
        The start :math:`a_1, \dots, a_L`.
    rule : {"srbp", "rbp"}, optional
        How ``feedback`` is read (default ``"srbp"``).

    Returns
    -------
    numpy.ndarray
        :math:`a_1(\infty), \dots, a_L(\infty)`; an entry is :math:`\pm\infty` where a weight
        grows without bound (only possible with zero feedback).

    Raises
    ------
    InputError
        (a ValueError) for non-finite numbers, a negative ``beta`` or lengths that do not match.

    Examples
    --------
    Depth 2 is :func:`chain111_limit`:

    >>> import linrbp
    >>> linrbp.chain_limit(1.5, 2.0, [0.7], [0.3, -0.5]).round(6)
    array([1.271213, 0.589988])
    """
    red = chain_reduction(alpha, beta, feedback, weights, rule)
    alpha, beta = red.alpha, red.beta  # validated numbers
    x, _ = red.limit_x()
    if math.isinf(x):
        a = red.a0.copy()
        a[red.moving[0]] = x
        for m in red.moving[1:]:
            a[m] = math.inf
        return a
    a = red.layers(x)
    # At the limit P = alpha/beta (Q(x) = 0). The top weight from the invariants,
    # K_{L-1} + c_L a_{L-1}^2/(2 c_{L-1}), can cancel badly (terms 1e3 x the result); from
    # P = alpha/beta it is the same number, well conditioned.
    lower = float(np.prod(a[:-1]))
    top = len(a) - 1
    if beta != 0 and alpha != 0 and lower != 0 and math.isfinite(lower) and top in red.moving:
        a[top] = alpha / (beta * lower)
    return a


def chain111_limit(alpha, beta, c1, a1, a2) -> tuple[float, float]:
    r"""The limit :math:`(a_1(\infty), a_2(\infty))` of the chain :math:`A[1,1,1]` in closed form.

    The theory page, section 2: along a trajectory :math:`K = a_2 - a_1^2/(2 c_1)` is
    conserved, and :math:`a_1(\infty)` is the root of
    :math:`a_1^3 + 2 c_1 K a_1 - 2 c_1 \alpha/\beta = 0` that the one-dimensional
    classification (:func:`poly1d_limit`) selects; the trivial cases :math:`\beta = 0`
    (nothing moves) and :math:`c_1 = 0` (:math:`a_1` frozen) included.

    Parameters
    ----------
    alpha : float
        :math:`\alpha = \mathbb{E}[T I]`, the input-target moment.
    beta : float
        :math:`\beta = \mathbb{E}[I^2] \ge 0`, the input moment.
    c1 : float
        The fixed feedback weight.
    a1, a2 : float
        The start: lower and upper weight.

    Returns
    -------
    tuple of float
        :math:`(a_1(\infty), a_2(\infty))`.

    Raises
    ------
    InputError
        (a ValueError) for non-finite numbers or a negative ``beta``.

    Examples
    --------
    >>> import linrbp
    >>> a1, a2 = linrbp.chain111_limit(alpha=1.5, beta=2.0, c1=0.7, a1=0.3, a2=-0.5)
    >>> round(a1, 6), round(a2, 6), round(a1 * a2, 12)
    (1.271213, 0.589988, 0.75)
    """
    a = chain_limit(alpha, beta, [c1], [a1, a2], "srbp")
    return float(a[0]), float(a[1])


def chain111_stable(alpha, beta, c1, a1, a2) -> bool:
    r"""Whether the fixed point :math:`(a_1, a_2)` of :math:`A[1,1,1]` attracts: :math:`a_1^2 + c_1 a_2 > 0`.

    At a point of the hyperbola :math:`a_1 a_2 = \alpha/\beta` the linearisation has the
    eigenvalues 0 (along the hyperbola) and :math:`-\beta(a_1^2 + c_1 a_2)` (the theory page,
    section 2).

    Parameters
    ----------
    alpha, beta : float
        The data moments :math:`\alpha = \mathbb{E}[T I]`, :math:`\beta = \mathbb{E}[I^2]`.
    c1 : float
        The feedback weight.
    a1, a2 : float
        The fixed point.

    Returns
    -------
    bool

    Examples
    --------
    >>> import linrbp
    >>> linrbp.chain111_stable(1.5, 2.0, 0.7, *linrbp.chain111_limit(1.5, 2.0, 0.7, 0.3, -0.5))
    True
    """
    return bool(a1 * a1 + c1 * a2 > 0)


def chain_invariants(c, a) -> np.ndarray:
    r"""The conserved quantities :math:`K_h = a_{h+1} - c_{h+1} a_h^2/(2 c_h)` of the chain (docs/theory.md section 3).

    Parameters
    ----------
    c : array_like of float, shape (..., L)
        The feedback in SRBP form, :math:`c_1, \dots, c_{L-1}` and :math:`c_L = 1` (RBP's
        backward weights :math:`r_h` give :math:`c_h = r_h \cdots r_{L-1}`), nonzero.
    a : array_like of float, shape (..., L)
        The weights :math:`a_1, \dots, a_L` (leading batch axes allowed).

    Returns
    -------
    numpy.ndarray, shape (..., L - 1)
        :math:`K_1, \dots, K_{L-1}`.

    Examples
    --------
    >>> import linrbp
    >>> linrbp.chain_invariants([0.5, 1.0], [2.0, 3.0]).tolist()      # 3 - 2^2 / (2 * 0.5)
    [-1.0]
    """
    c = np.asarray(c, dtype=float)
    a = np.asarray(a, dtype=float)
    return a[..., 1:] - c[..., 1:] * a[..., :-1] ** 2 / (2 * c[..., :-1])


def chain_field(alpha, beta, c, a) -> np.ndarray:
    r"""The averaged chain :math:`A[1,\dots,1]`: :math:`\dot a_h = c_h\, e \prod_{k<h} a_k`, :math:`e = \alpha - \beta P` (docs/theory.md section 3).

    Parameters
    ----------
    alpha : float
        :math:`\alpha = \mathbb{E}[T I]`.
    beta : float
        :math:`\beta = \mathbb{E}[I^2]`.
    c : array_like of float, shape (L,)
        The feedback in SRBP form, :math:`c_1, \dots, c_{L-1}` and :math:`c_L = 1`.
    a : array_like of float, shape (..., L)
        States :math:`a_1, \dots, a_L` (leading batch axes allowed).

    Returns
    -------
    numpy.ndarray, shape (..., L)
        :math:`\dot a_1, \dots, \dot a_L`.

    Examples
    --------
    At :math:`a = (2, 3)` with :math:`\alpha = \beta = 1`: :math:`e = -5`, so
    :math:`\dot a_1 = c_1 e` and :math:`\dot a_2 = e\, a_1`; a fixed point (:math:`P = 1`) gives 0:

    >>> import linrbp
    >>> linrbp.chain_field(1.0, 1.0, [0.5, 1.0], [[2.0, 3.0], [2.0, 0.5]]).tolist()
    [[-2.5, -10.0], [0.0, 0.0]]
    """
    a = np.asarray(a, dtype=float)
    e = alpha - beta * np.prod(a, axis=-1, keepdims=True)
    below = np.concatenate([np.ones(a.shape[:-1] + (1,)), np.cumprod(a, axis=-1)[..., :-1]], axis=-1)
    return np.asarray(c) * e * below


def chain_jacobian(alpha, beta, c, a) -> np.ndarray:
    r"""The Jacobian of :func:`chain_field` at one state, in closed form.

    :math:`\partial \dot a_h/\partial a_j = c_h \big(-\beta\, (P/a_j) \prod_{k<h} a_k +
    e\, \partial_{a_j} \prod_{k<h} a_k\big)` (with :math:`P/a_j` the product of the other weights).

    Parameters
    ----------
    alpha : float
        :math:`\alpha = \mathbb{E}[T I]`.
    beta : float
        :math:`\beta = \mathbb{E}[I^2]`.
    c : array_like of float, shape (L,)
        The feedback in SRBP form, :math:`c_L = 1`.
    a : array_like of float, shape (L,)
        The state :math:`a_1, \dots, a_L`.

    Returns
    -------
    numpy.ndarray, shape (L, L)
        :math:`\partial \dot a_h / \partial a_j`.

    Examples
    --------
    >>> import linrbp
    >>> linrbp.chain_jacobian(1.0, 1.0, [0.5, 1.0], [2.0, 3.0]).tolist()
    [[-1.5, -1.0], [-11.0, -4.0]]
    """
    a = np.asarray(a, dtype=float)
    c = np.asarray(c, dtype=float)
    L = a.size
    P = np.prod(a)
    e = alpha - beta * P
    others = np.array([np.prod(np.delete(a, j)) for j in range(L)])
    J = np.zeros((L, L))
    for h in range(L):
        below = np.prod(a[:h])
        for j in range(L):
            dbelow = np.prod(np.delete(a[:h], j)) if j < h else 0.0
            J[h, j] = c[h] * (-beta * others[j] * below + e * dbelow)
    return J


def chain_stability(c, a) -> float:
    """S = sum_h c_h (prod_{k != h} a_k)(prod_{k<h} a_k), P' = e S; at a fixed point the
    Jacobian is rank one with non-zero eigenvalue -beta S (attractor iff S > 0)."""
    a = np.asarray(a, dtype=float)
    L = a.size
    return float(sum(c[h] * np.prod(np.delete(a, h)) * np.prod(a[:h]) for h in range(L)))


# -- A[1,N,1] -----------------------------------------------------------------------------------

def wide_invariants(c, a, b) -> tuple[np.ndarray, np.ndarray]:
    r"""The conserved quantities of :math:`A[1,N,1]` (docs/theory.md section 4).

    :math:`K_i = b_i - a_i^2/(2 c_i)` and the affine couplings :math:`K'_i = a_i - (c_i/c_1)\, a_1`.

    Parameters
    ----------
    c : array_like of float, shape (..., N)
        The feedback weights :math:`c_i`, nonzero.
    a, b : array_like of float, shape (..., N)
        Lower weights :math:`a_i` and upper weights :math:`b_i`.

    Returns
    -------
    K : numpy.ndarray, shape (..., N)
        :math:`K_i`.
    K_prime : numpy.ndarray, shape (..., N)
        :math:`K'_i` (:math:`K'_1 = 0`).

    Examples
    --------
    >>> import linrbp
    >>> K, Kp = linrbp.wide_invariants([1.0, 2.0], [0.5, 1.0], [0.0, 1.0])
    >>> K.tolist(), Kp.tolist()
    ([-0.125, 0.75], [0.0, 0.0])
    """
    c, a, b = (np.asarray(v, dtype=float) for v in (c, a, b))
    return b - a ** 2 / (2 * c), a - (c / c[..., :1]) * a[..., :1]


def wide_field(alpha, beta, c, a, b):
    """(a_i' = c_i e, b_i' = a_i e), e = alpha - beta sum_i a_i b_i."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    e = alpha - beta * np.sum(a * b, axis=-1, keepdims=True)
    return np.asarray(c) * e, a * e


def wide_reduction(alpha, beta, c, a, b, centred: bool = False):
    """(coefficients of Q, high-first; x0; x -> (a, b)) with x = a_f for the largest |c_f|.

    ``centred=True``: Q in s = x - x0 instead (its start is s = 0, and the map takes s), the
    form :func:`wide_limit` finds the root in. Both are built from
    a_i = a_i(0) + r_i s and b_i = b_i(0) + (2 a_i(0) r_i s + r_i^2 s^2)/(2 c_i), r_i = c_i/c_f,
    with no K_i = b_i - a_i^2/(2 c_i) in them: with a small c_i, K_i and a_i^2/(2 c_i) are far
    larger than b_i, and their rounding cost the limit's product five digits (measured
    1.8e-11 relative at `linrbp verify --only wide1N1 --seed 2`; the centred form: 3e-13).
    """
    if np.all(c == 0):
        # a frozen; b = b0 + a s with s' = alpha - beta (P0 + |a|^2 s).
        n2 = float(a @ a)
        P0 = float(a @ b)
        Q = np.array([-beta * n2, alpha - beta * P0])
        return Q, 0.0, lambda s: (a.copy(), b + a * s)
    f = int(np.argmax(np.abs(c)))
    x0 = float(a[f])
    ratio = c / c[f]
    P = np.zeros(4)  # low-first, in s
    for i in range(a.size):
        ai = np.array([a[i], ratio[i]])
        if c[i] != 0:
            bi = np.array([b[i], a[i] * ratio[i] / c[i], ratio[i] ** 2 / (2 * c[i])])
        else:
            bi = np.array([b[i], a[i] / c[f]])
        p = npoly.polymul(ai, bi)
        P[: p.size] += p
    if not centred:
        P = np.pad(npoly.Polynomial(P)(npoly.Polynomial([-x0, 1.0])).coef, (0, 4))[:4]
    Q = -c[f] * beta * P
    Q[0] += c[f] * alpha
    shift = 0.0 if centred else x0

    def layers(x):
        d = ratio * (x - shift)
        ai = a + d
        bi = np.where(c != 0, b + d * (2 * a + d) / (2 * np.where(c != 0, c, 1)), b + a / c[f] * (x - shift))
        return ai, bi

    return (np.trim_zeros(Q[::-1], "f") if np.any(Q) else np.zeros(1)), (0.0 if centred else x0), layers


def wide_limit(alpha, beta, c, a, b) -> tuple[np.ndarray, np.ndarray]:
    r"""The limit :math:`(a(\infty), b(\infty))` of :math:`A[1,N,1]` in closed form.

    The theory page, section 4: with the conserved :math:`K_i` and :math:`K'_i`,
    :math:`\dot a_1 = Q(a_1)` is a cubic with a negative leading coefficient, whose limit
    :func:`poly1d_limit` picks; the product converges to :math:`\alpha/\beta`. RBP and SRBP
    coincide here.

    Parameters
    ----------
    alpha, beta : float
        :math:`\alpha = \mathbb{E}[T I]`, :math:`\beta = \mathbb{E}[I^2] \ge 0`.
    c : array_like of float, shape (N,)
        The feedback weights :math:`c_i`.
    a, b : array_like of float, shape (N,)
        The start: lower weights :math:`a_i` and upper weights :math:`b_i`.

    Returns
    -------
    tuple of numpy.ndarray
        :math:`a(\infty)` and :math:`b(\infty)`, each of shape (N,).

    Raises
    ------
    InputError
        (a ValueError) for non-finite numbers, a negative ``beta`` or lengths that differ.

    Examples
    --------
    >>> import linrbp
    >>> a, b = linrbp.wide_limit(1.0, 1.0, [1.0, 0.5], [0.1, 0.2], [0.0, 0.1])
    >>> round(float(a @ b), 12)   # the product P = sum_i a_i b_i reaches alpha / beta
    1.0
    """
    alpha, beta = _check_data(alpha, beta)
    a = _vec(a, "a")
    N = a.size
    b, c = _vec(b, "b", N), _vec(c, "c", N)
    if beta == 0:
        return a.copy(), b.copy()
    Q, s0, layers = wide_reduction(alpha, beta, c, a, b, centred=True)
    lim = poly1d_limit(Q, s0)
    if lim.kind != "fixed":
        return np.full(N, lim.limit), np.full(N, lim.limit)
    return layers(lim.limit)
