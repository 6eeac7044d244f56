"""Closed forms of the non-linear chain A[1,1,1] with a power activation (docs/theory.md
section 7, [BSL] section 7.9 and Theorem 12): its data moments, averaged fields with and without
f', the Jacobian, the conserved a2 - a1^2/(2 c1 mu) and the limit."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from ..core._errors import InputError
from ._closed_forms import _check_data, chain111_limit
from ._poly1d import EPS

__all__ = ["nonlinear_limit", "nonlinear_field", "nonlinear_jacobian", "nonlinear_invariant",
           "nonlinear_moments", "nonlinear_gd_field"]


# -- the non-linear chain (Theorem 12) --------------------------------------------------------

def nonlinear_moments(inputs, targets, mu) -> dict:
    r"""The data moments of the non-linear chain (docs/theory.md section 7), from samples.

    :math:`\alpha = \mathbb{E}[T I^\mu]`, :math:`\beta = \mathbb{E}[I^{2\mu}]`,
    :math:`\gamma = \mathbb{E}[T I]`, :math:`\delta = \mathbb{E}[I^{\mu+1}]`, as sample means.

    Parameters
    ----------
    inputs : array_like of float
        Scalar inputs :math:`I`, one per example (positive for non-integer :math:`\mu`).
    targets : array_like of float
        Scalar targets :math:`T`, same length.
    mu : float
        The power of the non-linearity.

    Returns
    -------
    dict
        ``alpha``, ``beta``, ``gamma``, ``delta`` (floats).

    Examples
    --------
    >>> import linrbp
    >>> linrbp.nonlinear_moments([1.0, 2.0], [1.0, 3.0], 2.0)
    {'alpha': 6.5, 'beta': 8.5, 'gamma': 3.5, 'delta': 4.5}
    """
    I = np.asarray(inputs, dtype=float)
    T = np.asarray(targets, dtype=float)
    return {"alpha": float(np.mean(T * I ** mu)), "beta": float(np.mean(I ** (2 * mu))),
            "gamma": float(np.mean(T * I)), "delta": float(np.mean(I ** (mu + 1)))}


def nonlinear_field(moments: dict, c1, mu, y, derivative=True) -> np.ndarray:
    r"""The averaged non-linear chain :math:`A[1,1,1]` with a power non-linearity (docs/theory.md section 7).

    With :math:`f'`: :math:`\dot a_1 = c_1 \mu\, a_1^{\mu-1} (\alpha - \beta a_2 a_1^\mu)`; without:
    :math:`\dot a_1 = c_1 (\gamma - \delta a_2 a_1^\mu)`. Both:
    :math:`\dot a_2 = a_1^\mu (\alpha - \beta a_2 a_1^\mu)`.

    Parameters
    ----------
    moments : dict
        ``alpha``, ``beta`` (and, without :math:`f'`, ``gamma``, ``delta``), as
        :func:`nonlinear_moments` returns.
    c1 : float
        The feedback weight.
    mu : float
        The power of the non-linearity.
    y : array_like, shape (..., 2)
        States :math:`(a_1, a_2)` (leading batch axes allowed); :math:`a_1 > 0` for
        non-integer :math:`\mu`.
    derivative : bool, optional
        With :math:`f'` (default True) or the "no :math:`f'`" variant.

    Returns
    -------
    numpy.ndarray, shape (..., 2)
        :math:`(\dot a_1, \dot a_2)`.

    Examples
    --------
    >>> import linrbp
    >>> m = {"alpha": 6.5, "beta": 8.5, "gamma": 3.5, "delta": 4.5}
    >>> linrbp.nonlinear_field(m, 1.0, 2.0, [1.0, 0.5]).tolist()          # e = 6.5 - 8.5 / 2
    [4.5, 2.25]
    >>> linrbp.nonlinear_field(m, 1.0, 2.0, [1.0, 0.5], derivative=False).tolist()
    [1.25, 2.25]
    """
    y = np.asarray(y, dtype=float)
    a1, a2 = y[..., 0], y[..., 1]
    al, be = moments["alpha"], moments["beta"]
    h = a1 ** mu
    e = al - be * a2 * h
    if derivative:
        d1 = c1 * mu * a1 ** (mu - 1) * e
    else:
        d1 = c1 * (moments["gamma"] - moments["delta"] * a2 * h)
    return np.stack([d1, h * e], axis=-1)


def nonlinear_gd_field(moments: dict, mu, y) -> np.ndarray:
    """Gradient descent: a1' = a2 mu a1^(mu-1) e, a2' = a1^mu e."""
    y = np.asarray(y, dtype=float)
    a1, a2 = y[..., 0], y[..., 1]
    e = moments["alpha"] - moments["beta"] * a2 * a1 ** mu
    return np.stack([a2 * mu * a1 ** (mu - 1) * e, a1 ** mu * e], axis=-1)


def nonlinear_jacobian(moments: dict, c1, mu, y, derivative=True) -> np.ndarray:
    r"""The Jacobian of :func:`nonlinear_field` at one state :math:`(a_1, a_2)`, in closed form.

    Parameters
    ----------
    moments : dict
        ``alpha``, ``beta`` (and, without :math:`f'`, ``delta``), as :func:`nonlinear_moments`
        returns.
    c1 : float
        The feedback weight.
    mu : float
        The power of the non-linearity.
    y : array_like, shape (2,)
        The state :math:`(a_1, a_2)`.
    derivative : bool, optional
        With :math:`f'` (default True) or the "no :math:`f'`" variant.

    Returns
    -------
    numpy.ndarray, shape (2, 2)
        :math:`\partial \dot a_i / \partial a_j`.

    Examples
    --------
    Against central differences of the field:

    >>> import numpy as np, linrbp
    >>> m, y, h = {"alpha": 6.5, "beta": 8.5}, np.array([1.0, 0.5]), 1e-6
    >>> J = linrbp.nonlinear_jacobian(m, 1.0, 2.0, y)
    >>> fd = np.array([linrbp.nonlinear_field(m, 1.0, 2.0, y + h * e)
    ...                - linrbp.nonlinear_field(m, 1.0, 2.0, y - h * e) for e in np.eye(2)]).T / (2 * h)
    >>> J.tolist(), bool(np.allclose(J, fd, rtol=1e-8))
    ([[-12.5, -17.0], [-4.0, -8.5]], True)
    """
    a1, a2 = float(y[0]), float(y[1])
    al, be = moments["alpha"], moments["beta"]
    h, dh = a1 ** mu, mu * a1 ** (mu - 1)
    e = al - be * a2 * h
    de1, de2 = -be * a2 * dh, -be * h
    if derivative:
        g, dg = c1 * mu * a1 ** (mu - 1), c1 * mu * (mu - 1) * a1 ** (mu - 2)
        r1 = [dg * e + g * de1, g * de2]
    else:
        de = moments["delta"]
        r1 = [-c1 * de * a2 * dh, -c1 * de * h]
    r2 = [dh * e + h * de1, h * de2]
    return np.array([r1, r2])


def nonlinear_invariant(c1, mu, a1, a2):
    """K = a2 - a1^2 / (2 c1 mu) (conserved with f')."""
    return np.asarray(a2) - np.asarray(a1) ** 2 / (2 * c1 * mu)


def nonlinear_limit(alpha, beta, c1, mu, a1, a2) -> tuple[float, float]:
    r"""The limit :math:`(a_1(\infty), a_2(\infty))` of the non-linear chain with :math:`f'` ([BSL] Theorem 12, docs/theory.md section 7).

    On the invariant :math:`a_2 = a_1^2/(2 c_1 \mu) + K`,
    :math:`\dot a_1 = -c_1 \mu \beta\, a_1^{\mu-1} h(a_1)` with
    :math:`h(t) = t^\mu (t^2/(2 c_1 \mu) + K) - \alpha/\beta`, so :math:`a_1` moves to the nearest
    root of :math:`h` in the direction :math:`-\mathrm{sign}(c_1 h(a_1))`. :math:`h` is monotone
    on :math:`(0, t_c)` and :math:`(t_c, \infty)`, :math:`t_c^2 = -2 c_1 \mu^2 K/(\mu + 2)`. Under
    Theorem 12's hypotheses (:math:`\alpha, \beta, c_1 > 0`, :math:`\mu \ge 1`) :math:`h` has
    exactly one positive root and :math:`a_1` always moves toward it.

    With :math:`c_1 < 0` (outside Theorem 12) the same rule gives the limit when a root lies
    ahead. When none does, :math:`a_1` decreases to 0: for :math:`\mu > 1` the point
    :math:`(0, K)` is the limit (the field vanishes on :math:`a_1 = 0`), reached in finite time
    for :math:`\mu < 2`, approached exponentially for :math:`\mu = 2` and algebraically, like
    :math:`t^{-1/(\mu-2)}`, for :math:`\mu > 2`. For :math:`\mu = 1` the system is the linear
    chain :math:`A[1,1,1]` and :math:`a_1` crosses 0: the limit is then :func:`chain111_limit`'s.
    For :math:`\mu < 1`, :math:`a_1` reaches 0 in finite time with unbounded speed and the power
    leaves its domain: no limit is defined and that input is refused.

    Parameters
    ----------
    alpha : float
        :math:`\alpha = \mathbb{E}[T I^\mu]`.
    beta : float
        :math:`\beta = \mathbb{E}[I^{2\mu}] > 0`.
    c1 : float
        The feedback weight, nonzero.
    mu : float
        The power of the non-linearity, :math:`> 0`.
    a1, a2 : float
        The start; :math:`a_1(0) > 0`.

    Returns
    -------
    tuple of float
        :math:`(a_1(\infty), a_2(\infty))`.

    Raises
    ------
    InputError
        (a ValueError) for non-finite numbers, :math:`\beta \le 0`, :math:`c_1 = 0`,
        :math:`\mu \le 0`, :math:`a_1(0) \le 0`, or :math:`\mu < 1` with no root ahead.

    Examples
    --------
    With :math:`\mu = 2`: the limit lies on :math:`a_2 a_1^2 = \alpha/\beta` and on the start's
    invariant :math:`a_2 - a_1^2/(2 c_1 \mu) = K`:

    >>> import linrbp
    >>> a1, a2 = linrbp.nonlinear_limit(alpha=1.0, beta=1.0, c1=1.0, mu=2.0, a1=0.5, a2=0.2)
    >>> round(a1, 6), round(a2 * a1 ** 2, 12), round(a2 - a1 ** 2 / 4 - (0.2 - 0.5 ** 2 / 4), 12)
    (1.320537, 1.0, 0.0)
    """
    alpha, beta = _check_data(alpha, beta)
    c1, mu, a1, a2 = float(c1), float(mu), float(a1), float(a2)
    if not (beta > 0 and c1 != 0 and mu > 0 and a1 > 0):
        raise InputError("nonlinear: needs beta > 0, c1 != 0, mu > 0 and a1(0) > 0")
    t, K = _nonlinear_root(alpha, beta, c1, mu, a1, a2)
    if t == a1:
        return a1, a2
    if t == 0.0 and mu == 1:
        return chain111_limit(alpha, beta, c1, a1, a2)
    if t == 0.0 and mu < 1:
        raise InputError(f"nonlinear: with c1 = {c1:g} < 0 and mu = {mu:g} < 1 no root lies ahead and a1 "
                         "reaches 0 in finite time with unbounded speed: no limit is defined")
    return t, (t * t / (2 * c1 * mu) + K if t > 0 else K)


def _nonlinear_root(alpha, beta, c1, mu, a1, a2):
    """(t, K): the root of h that a1 moves to (0.0 when none lies ahead) and the invariant."""
    K = a2 - a1 * a1 / (2 * c1 * mu)
    r = alpha / beta

    def h(t):
        return t ** mu * (t * t / (2 * c1 * mu) + K) - r

    h0 = h(a1)
    scale = 4 * EPS * (a1 ** mu * (a1 * a1 / (2 * abs(c1) * mu) + abs(K)) + abs(r))
    if abs(h0) <= scale:
        return a1, K
    s = -1 if c1 * h0 > 0 else 1
    pts = [0.0]
    tc2 = -2 * c1 * mu * mu * K / (mu + 2)
    if tc2 > 0:
        pts.append(math.sqrt(tc2))
    T = max(1.0, a1, *pts)
    while (h(T) > 0) != (c1 > 0) or T <= pts[-1]:
        T *= 2
    pts.append(T)
    ahead = sorted(p for p in pts if (p - a1) * s > 0)
    if s < 0:
        ahead = ahead[::-1]
    prev = a1
    for p in ahead:
        hp = -r if p == 0 else h(p)
        if hp == 0 and p > 0:
            t = p
            break
        if (hp > 0) != (h0 > 0):
            t = brentq(h, min(prev, p) if p > 0 else 0.0, max(prev, p), xtol=1e-300, rtol=4 * EPS,
                       maxiter=500) if p > 0 else _root_toward_zero(h, prev)
            break
        prev = p
    else:
        return 0.0, K
    return t, K


def _root_toward_zero(h, hi):
    lo = hi
    while lo > 1e-300:
        lo /= 2
        if (h(lo) > 0) != (h(hi) > 0):
            return brentq(h, lo, hi, xtol=1e-300, rtol=4 * EPS, maxiter=500)
    return 0.0
