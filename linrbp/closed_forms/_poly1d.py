"""One-dimensional polynomial ODEs x' = Q(x) (docs/theory.md section 1, [BSL] Theorem 1).

From x(0) the solution moves in the direction s = sign Q(x(0)) and stops at the first real root
of Q it meets (a trajectory cannot cross a root); with no root ahead it reaches s*inf, in the
finite time T* = integral from x(0) to s*inf of dx / Q(x) when deg Q > 1.

Roots are found by a walk in the direction of motion over breakpoints (approximate real roots of
Q, Q', Q'' from companion eigenvalues, used only to split the line into pieces on which Q is
monotone); the root itself is bracketed and refined on Q, and a root where Q touches zero
without changing sign (a double root) is found by refining the critical point and testing
|Q| against the rounding-error bound of its evaluation. A root's multiplicity m is tested at
the root of Q^(m-1) next to it, where Q, ..., Q^(m-1) must all vanish within rounding. Two
roots closer than rounding can resolve count as one multiple root.

Functions take coefficients highest degree first, like :func:`numpy.polyval`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq

from ..core._errors import InputError

__all__ = ["Poly1dLimit", "poly1d_limit", "real_roots", "real_roots_multiplicity", "blowup_time",
           "blowup_time_partial_fractions", "walk_to_root"]

EPS = np.finfo(float).eps
# Approximate roots with |imag| below this (relative) are breakpoints of the walk; generous on
# purpose: an extra breakpoint costs one evaluation, a missed one could hide a pair of roots.
_REAL_TOL = 1e-3
# A value is numerically zero within this many (times the degree) roundings of its terms
# (:func:`_vanishes`): Horner's error bound is 2 deg eps sum |q_i| |x|^i; the margin covers
# coefficients that carry a few roundings of their own (a product of factors, rounded).
_ZERO_ULPS = 16


@dataclass(frozen=True)
class Poly1dLimit:
    r"""Where the solution of :math:`\dot x = Q(x)` goes from :math:`x(0)` (what :func:`poly1d_limit` returns).

    The classification of docs/theory.md section 1.

    Parameters
    ----------
    kind : {"fixed", "blow-up"}
        ``"fixed"``: converges (possibly to :math:`x(0)` itself, a root); ``"blow-up"``:
        :math:`|x| \to \infty`.
    limit : float
        The root reached, or :math:`\pm\infty`.
    blowup_time : float
        :math:`T^*`, in the ODE's time units; inf when it converges, and when
        :math:`\deg Q \le 1`, where :math:`|x|` grows without bound but only as
        :math:`t \to \infty`.
    root_index : int or None
        Index of the limit in :func:`real_roots` (None for a blow-up, or when :math:`Q`
        vanishes identically).
    multiplicity : int or None, optional
        The multiplicity of the root reached (None for a blow-up).

    Examples
    --------
    :math:`\dot x = -(x - 1)^2 (x + 1)` from 2 reaches the double root 1:

    >>> import linrbp
    >>> linrbp.poly1d_limit([-1.0, 1.0, 1.0, -1.0], 2.0)
    Poly1dLimit(kind='fixed', limit=1.0, blowup_time=inf, root_index=1, multiplicity=2)
    """

    kind: str
    limit: float
    blowup_time: float
    root_index: int | None
    multiplicity: int | None = None


def _coeffs(coeffs) -> np.ndarray:
    c = np.atleast_1d(np.asarray(coeffs, dtype=float))
    if c.ndim != 1 or c.size == 0:
        raise InputError("coeffs: expected a non-empty list of polynomial coefficients")
    if not np.all(np.isfinite(c)):
        raise InputError("coeffs: contains NaN or infinity")
    nz = np.flatnonzero(c)
    return c[nz[0]:] if nz.size else np.zeros(1)


def _horner(coeffs, x):
    y = np.float64(0.0)
    for a in coeffs:
        y = y * x + a
    return y


def _poly_taylor(c: np.ndarray) -> Callable:
    """x -> (Q, Q', Q'', rounding bound of Q) for a coefficient vector (highest first)."""
    d1 = np.polyder(c) if c.size > 1 else np.zeros(1)
    d2 = np.polyder(d1) if d1.size > 1 else np.zeros(1)
    absc = np.abs(c)
    n = c.size
    cs, d1s, d2s, abss = ([np.float64(a) for a in p] for p in (c, d1, d2, absc))

    def taylor(x):
        if np.ndim(x):
            ax = abs(x)
            bound = 2 * n * EPS * np.polyval(absc, ax) + 1e-300
            return np.polyval(c, x), np.polyval(d1, x), np.polyval(d2, x), bound
        # one point: np.polyval's Horner loop (y = y * x + a from y = 0) on float64 scalars,
        # the same operations in the same order without its array set-up (most of the time)
        x = np.float64(x)
        ax = abs(x)
        return _horner(cs, x), _horner(d1s, x), _horner(d2s, x), 2 * n * EPS * _horner(abss, ax) + 1e-300

    return taylor


def _approx_real(c: np.ndarray) -> list[float]:
    if c.size < 2:
        return []
    z = np.roots(c)
    keep = np.abs(z.imag) <= _REAL_TOL * (1 + np.abs(z))
    return [float(v) for v in z.real[keep]]


def breakpoints(c: np.ndarray) -> list[float]:
    """Approximate real roots of Q, Q' and Q'' (a superset of the pieces' ends)."""
    pts = []
    p = c
    for _ in range(3):
        if p.size < 2:
            break
        pts += _approx_real(p)
        p = np.polyder(p)
    return sorted(set(pts))


def cauchy_bound(c: np.ndarray) -> float:
    """A radius beyond every root: the smaller of Cauchy's bound 1 + max |c_i / c_0| and
    twice the largest companion eigenvalue modulus (plus one)."""
    if c.size < 2:
        return 1.0
    cb = 1.0 + float(np.max(np.abs(c[1:] / c[0])))
    z = np.roots(c)
    return min(cb, 2.0 * float(np.max(np.abs(z))) + 1.0) if z.size else cb


def _newton(fd, x, lo, hi, iters=60):
    """Newton on f from x with ``fd(x) -> (f, f')``, staying inside [lo, hi]."""
    for _ in range(iters):
        f, f1 = fd(x)
        if f == 0 or f1 == 0 or not np.isfinite(f1):
            break
        xn = x - f / f1
        if not (lo <= xn <= hi):
            break
        converged = abs(xn - x) <= 2 * EPS * abs(x) + 1e-300
        x = xn
        if converged:
            break
    return x


def _newton_critical(taylor, x, lo, hi, iters=60):
    """Refine a critical point (root of Q') near x, staying inside [lo, hi]."""
    return _newton(lambda y: taylor(y)[1:3], x, lo, hi, iters)


def _newton_root(taylor, x, lo, hi, iters=60):
    """Polish a simple root of Q near x by Newton, staying inside [lo, hi]."""
    return float(_newton(lambda y: taylor(y)[0:2], x, lo, hi, iters))


def _sign(v, bound):
    return 0 if abs(v) <= bound else (1 if v > 0 else -1)


def _bracket(taylor, a, b):
    f = lambda x: taylor(x)[0]
    fa, fb = f(a), f(b)
    if fa == 0:
        return a
    if fb == 0:
        return b
    return brentq(f, a, b, xtol=1e-300, rtol=4 * EPS, maxiter=500)


def walk_to_root(taylor, x0: float, s: int, pts, far: float):
    """First root of Q met from x0 moving in direction s, or None.

    ``taylor(x) -> (Q, Q', Q'', bound)``; ``pts`` approximate breakpoints; ``far`` a distance
    beyond which Q has no root. Returns (root, touching) where touching marks a root at which Q
    does not change sign.
    """
    ahead = sorted(p for p in pts if (p - x0) * s > 0)
    if s < 0:
        ahead = ahead[::-1]
    ahead.append(x0 + s * far)
    prev = x0
    for i, p in enumerate(ahead):
        q, q1, q2, b = taylor(p)
        sg = _sign(q, b)
        if sg == -s:
            return _bracket(taylor, prev, p), False
        nxt = ahead[i + 1] if i + 1 < len(ahead) else p + s * far
        lo, hi = (prev, nxt) if s > 0 else (nxt, prev)
        if sg == 0:
            # Numerically zero at a breakpoint (an approximate root): a multiple root if Q has a
            # critical point there at which |Q| is within rounding, else a simple root.
            w = 1e-4 * max(1.0, abs(p))
            xc = _newton_critical(taylor, p, max(lo, p - w) if s > 0 else p - w,
                                  p + w if s > 0 else min(hi, p + w))
            qc, _, _, bc = taylor(xc)
            if _sign(qc, bc) == 0 and abs(xc - p) <= w:
                return float(xc), True
            return _newton_root(taylor, p, lo, hi), False
        # Same sign at both ends of (prev, p): Q may still touch or dip through zero around a
        # critical point near p.
        xc = _newton_critical(taylor, p, lo, hi)
        qc, _, _, bc = taylor(xc)
        sc = _sign(qc, bc)
        if (xc - prev) * s > 0:
            if sc == -s:
                return _bracket(taylor, prev, xc), False
            if sc == 0:
                return float(xc), True
        prev = p
    return None


def _fixed(limit, idx, mult=None):
    return Poly1dLimit("fixed", float(limit), math.inf, idx, mult)


def real_roots_multiplicity(coeffs) -> tuple[np.ndarray, np.ndarray]:
    r"""The distinct real roots of a polynomial :math:`Q` (ascending) and their multiplicities.

    Walks the real line from below the Cauchy bound upward, root by root. A root has
    multiplicity :math:`m` when :math:`Q, Q', \ldots, Q^{(m-1)}` all vanish, within a few
    roundings of their terms, at one point: the root of :math:`Q^{(m-1)}` next to it (a simple
    root of :math:`Q^{(m-1)}`, so located to rounding, and returned as the root). Roots closer
    than rounding can resolve count as one multiple root.

    Parameters
    ----------
    coeffs : array_like of float
        :math:`Q`'s coefficients, highest degree first (as :class:`numpy.poly1d`).

    Returns
    -------
    roots : numpy.ndarray
        Each real root once, ascending (as :func:`real_roots`).
    multiplicities : numpy.ndarray of int
        The multiplicity of each.

    Raises
    ------
    InputError
        (a ValueError) for empty or non-finite coefficients.

    Examples
    --------
    >>> import linrbp
    >>> roots, mult = linrbp.real_roots_multiplicity([1.0, -1.0, -1.0, 1.0])   # (x - 1)^2 (x + 1)
    >>> roots.round(12).tolist(), mult.tolist()
    ([-1.0, 1.0], [1, 2])
    >>> linrbp.real_roots_multiplicity([-1.0, 3.0, -3.0, 1.0])   # -(x - 1)^3
    (array([1.]), array([3]))
    """
    c = _coeffs(coeffs)
    if c.size < 2:
        return np.zeros(0), np.zeros(0, dtype=int)
    taylor = _poly_taylor(c)
    pts = breakpoints(c)
    R = cauchy_bound(c)
    far = 2 * R + 1
    roots = []
    x = -R - 1.0
    guard = 0
    while guard <= c.size:
        guard += 1
        q, _, _, b = taylor(x)
        s = _sign(q, b)
        if s == 0:
            roots.append(x)
            x = _step_past(taylor, x)
            continue
        # Q has sign s just right of x; a root ahead is met when moving up.
        found = walk_to_root(_flip(taylor, s), x, 1, pts, far)
        if found is None:
            break
        r, touching = found
        x = _step_past(taylor, r)
        if not touching and _sign(taylor(x)[0], taylor(x)[3]) == s:
            # Q is back to its old sign just past r: two crossings closer than rounding can
            # resolve, i.e. numerically one root of even multiplicity at the critical point.
            lo, hi = r - 2 * (x - r), x
            xc = _newton_critical(taylor, r, lo, hi)
            r = xc if abs(taylor(xc)[0]) <= taylor(xc)[3] else r
        roots.append(r)
        if x > R + 1:
            break
    roots = sorted(set(roots))
    out, mult = [], []
    for i, r in enumerate(roots):
        lo = (roots[i - 1] + r) / 2 if i else -math.inf
        hi = (r + roots[i + 1]) / 2 if i + 1 < len(roots) else math.inf
        m, z = _multiplicity(c, r, lo, hi)
        out.append(z)
        mult.append(m)
    return np.array(out), np.array(mult, dtype=int)


def _flip(taylor, s):
    """Q multiplied by s (so that the walk always moves toward +inf)."""
    if s > 0:
        return taylor

    def t(x):
        q, q1, q2, b = taylor(x)
        return -q, -q1, -q2, b

    return t


def _step_past(taylor, r):
    """The smallest float above r, beyond the cluster where |Q| is within rounding."""
    x = r
    step = max(abs(r), 1.0) * 1e-15
    for _ in range(200):
        x = r + step
        q, _, _, b = taylor(x)
        if abs(q) > b:
            return x
        step *= 2
    return x


def _zero_bound(p: np.ndarray, z) -> float:
    """_ZERO_ULPS deg-scaled roundings of p's terms at z: how small |p(z)| may be and still be zero
    for p's float coefficients up to a relative perturbation of that order (beyond Horner's
    own error, at most 2 deg eps sum |p_i| |z|^i)."""
    return _ZERO_ULPS * p.size * EPS * _horner(np.abs(p), abs(z))


def _vanishes(p: np.ndarray, z) -> bool:
    """|p(z)| within :func:`_zero_bound`."""
    return abs(_horner(p, z)) <= _zero_bound(p, z) + 1e-300


def _multiplicity(c: np.ndarray, r: float, lo: float, hi: float) -> tuple[int, float]:
    """(m, z): the multiplicity of the root of Q found at r, and its location.

    Q has a root of multiplicity m at z iff Q, Q', ..., Q^(m-1) vanish at z and Q^(m) does
    not. The walk's r is only where Q's computed value turns zero, which for a multiple root
    is a band (|x - z| up to ~(eps |Q|)^(1/m): 1e-8 for a triple root, 1e-4 for a fourfold
    one) where the derivatives are not zero: Q''(r) = 6e-8 at -(x - 1)^3's r. So each
    candidate m is tested at its own point, z_m the root of Q^(m-1) near r (by Newton, inside
    (lo, hi), the midpoints to the neighbouring roots), simple when m is the multiplicity, so
    located to rounding: the multiplicity is the largest m with Q, ..., Q^(m-1) all vanishing
    (:func:`_vanishes`) at z_m, and the root z_m (r for a simple root). (Every m is tried: for
    m below the multiplicity, Q^(m-1) has a multiple root, where Newton can wander off in its
    rounding noise; no test there decides anything.)
    """
    derivs = [c]
    while derivs[-1].size > 1:
        derivs.append(np.polyder(derivs[-1]))
    m, z = 1, float(r)
    for k in range(1, len(derivs) - 1):  # candidate multiplicity k + 1: Q^(k) has a root there
        pk, pk1 = derivs[k], derivs[k + 1]
        zk = float(_newton(lambda y: (_horner(pk, y), _horner(pk1, y)), np.float64(r), lo, hi))
        if all(_vanishes(derivs[j], zk) for j in range(k + 1)):
            m, z = k + 1, zk
    return m, z


def _same_root_radius(c: np.ndarray, z: float, m: int) -> float:
    """How far from the root z of multiplicity m a walk may stop on it: 1e-9 (relative), or
    for m >= 2 the band around z where |Q| ~ |Q^(m)(z)| |x - z|^m / m! stays within
    :func:`_vanishes`'s bound, inside which Q's computed sign is rounding."""
    radius = 1e-9 * max(1.0, abs(z))
    if m >= 2:
        p = c
        for _ in range(m):
            p = np.polyder(p)
        qm = abs(_horner(p, np.float64(z)))
        zero = _zero_bound(c, np.float64(z))
        if qm > 0:
            radius = max(radius, float((math.factorial(m) * zero / qm) ** (1.0 / m)))
    return radius


def real_roots(coeffs) -> np.ndarray:
    """The distinct real roots of a polynomial Q, ascending.

    Parameters
    ----------
    coeffs : array_like of float
        Q's coefficients, highest degree first (as :class:`numpy.poly1d`).

    Returns
    -------
    numpy.ndarray
        Each real root once (their multiplicities: :func:`real_roots_multiplicity`).

    Raises
    ------
    InputError
        (a ValueError) for empty or non-finite coefficients.

    Examples
    --------
    >>> import linrbp
    >>> linrbp.real_roots([1.0, 0.0, -1.0])   # x^2 - 1
    array([-1.,  1.])
    """
    return real_roots_multiplicity(coeffs)[0]


def poly1d_limit(coeffs, x0) -> Poly1dLimit:
    r"""Where the solution of :math:`\dot x = Q(x)`, :math:`x(0) = x_0` goes, in closed form.

    The classification of the theory page, section 1 ([BSL] Theorem 1): the root reached, or
    a blow-up and its exact time :math:`T^* = \int_{x_0}^{\pm\infty} dx/Q(x)`.

    Parameters
    ----------
    coeffs : array_like of float
        The coefficients of Q, highest degree first (as :class:`numpy.poly1d`): ``[q_n, ...,
        q_1, q_0]``. Finite, not empty.
    x0 : float
        The start, finite.

    Returns
    -------
    Poly1dLimit
        ``kind`` ("fixed" or "blow-up"), ``limit`` (the root reached, or :math:`\pm\infty`),
        ``blowup_time`` (:math:`T^*`, in the ODE's time units; inf when it converges),
        ``root_index`` (index into :func:`real_roots`) and the root's ``multiplicity``.

    Raises
    ------
    InputError
        (a ValueError) for empty or non-finite coefficients or a non-finite start.

    Examples
    --------
    :math:`\dot x = 1 - x^2` from 0.5 converges to the upper root; :math:`\dot x = x^2` from
    0.5 blows up at :math:`T^* = 1/x_0 = 2`:

    >>> import linrbp
    >>> linrbp.poly1d_limit([-1.0, 0.0, 1.0], 0.5)
    Poly1dLimit(kind='fixed', limit=1.0, blowup_time=inf, root_index=1, multiplicity=1)
    >>> r = linrbp.poly1d_limit([1.0, 0.0, 0.0], 0.5)
    >>> r.kind, r.blowup_time
    ('blow-up', 2.0)
    """
    c = _coeffs(coeffs)
    x0 = float(x0)
    if not math.isfinite(x0):
        raise InputError(f"x0: must be finite, got {x0!r}")
    if c.size == 1 and c[0] == 0:
        return _fixed(x0, None)
    taylor = _poly_taylor(c)
    q, _, _, b = taylor(x0)
    roots, mult = real_roots_multiplicity(c)
    if _sign(q, b) == 0:
        idx = _nearest(roots, x0)
        return _fixed(x0, idx, int(mult[idx]) if idx is not None else None)
    s = 1 if q > 0 else -1
    far = 2 * (cauchy_bound(c) + abs(x0)) + 1
    found = walk_to_root(taylor, x0, s, breakpoints(c), far)
    if found is not None:
        r, _ = found
        idx = _nearest(roots, r)
        if idx is not None and abs(roots[idx] - r) <= _same_root_radius(c, roots[idx], int(mult[idx])):
            r = roots[idx]  # the same root, located better (a multiple one: at Q^(m-1)'s root)
        return _fixed(r, idx, int(mult[idx]) if idx is not None else None)
    return Poly1dLimit("blow-up", s * math.inf, blowup_time(c, x0), None, None)


def _nearest(roots, x):
    if roots.size == 0:
        return None
    return int(np.argmin(np.abs(roots - x)))


def blowup_time(coeffs, x0) -> float:
    r"""The blow-up time :math:`T^* = \int_{x_0}^{s\infty} dx/Q(x)`, :math:`s = \mathrm{sign}\,Q(x_0)` (docs/theory.md section 1).

    By quadrature: substituting :math:`x = x_0 + s y`, the range :math:`[0, Y]` is integrated
    directly (with the real parts of nearby complex roots as break points) and the tail
    :math:`[Y, \infty)` through :math:`u = 1/y`, where the integrand is smooth. When a real root
    of :math:`Q` lies between :math:`x_0` and :math:`s\infty` there is no blow-up (inf;
    :func:`poly1d_limit` gives the limit).

    Parameters
    ----------
    coeffs : array_like of float
        :math:`Q`'s coefficients, highest degree first (as :class:`numpy.poly1d`).
    x0 : float
        The start :math:`x(0)`.

    Returns
    -------
    float
        :math:`T^*`, in the time units of the ODE; inf when :math:`\deg Q \le 1` (growth, but
        no blow-up in finite time), when :math:`Q(x_0) = 0` (the start stays) and when a real
        root lies between :math:`x_0` and :math:`s\infty` (the solution converges to it).

    Raises
    ------
    InputError
        (a ValueError) for empty or non-finite coefficients.

    Examples
    --------
    :math:`\dot x = x^2` from :math:`1/2` blows up at :math:`1/x_0 = 2`; :math:`\dot x = 1 + x^2`
    from 0 at :math:`\pi/2`:

    >>> import math, linrbp
    >>> linrbp.blowup_time([1.0, 0.0, 0.0], 0.5)
    2.0
    >>> abs(linrbp.blowup_time([1.0, 0.0, 1.0], 0.0) - math.pi / 2) < 1e-13
    True
    """
    c = _coeffs(coeffs)
    n = c.size - 1
    if n <= 1:
        return math.inf
    x0 = float(x0)
    if not math.isfinite(x0):
        raise InputError(f"x0: must be a finite number, got {x0!r}")
    q0 = float(np.polyval(c, x0))
    if q0 == 0.0:
        return math.inf  # a start on a root stays there
    s = 1.0 if q0 > 0 else -1.0
    if any((r - x0) * s > 0 for r in real_roots(c)):
        return math.inf  # a root ahead: x converges to it and never blows up
    Y = cauchy_bound(c) + abs(x0) + 1.0
    z = np.roots(c)
    brk = sorted({float((zr - x0) * s) for zr in z.real if 0 < (zr - x0) * s < Y})
    near = lambda y: 1.0 / abs(np.polyval(c, x0 + s * y))
    head = 0.0
    edges = [0.0] + brk + [Y]
    for a, bnd in zip(edges[:-1], edges[1:]):
        head += quad(near, a, bnd, epsabs=0, epsrel=1e-13, limit=400)[0]
    k = np.arange(n, -1, -1)  # power of x for c[i]

    def tail(u):
        if u == 0:
            return 0.0 if n > 2 else 1.0 / abs(c[0])
        v = u * x0 + s
        den = np.sum(c * v ** k * u ** (n - k))
        return u ** (n - 2) / abs(den)

    return head + quad(tail, 0.0, 1.0 / Y, epsabs=0, epsrel=1e-13, limit=400)[0]


def blowup_time_partial_fractions(coeffs, x0, dps: int = 60) -> float:
    """T* by partial fractions: -sum_j log(s (x0 - r_j)) / Q'(r_j) over all complex roots.

    Valid for simple roots. Clustered roots make the sum cancel badly, so it runs in mpmath at
    ``dps`` digits (roots of the exact float coefficients by mpmath.polyroots): an independent
    route to :func:`blowup_time` for the checks.
    """
    import mpmath

    c = _coeffs(coeffs)
    if c.size - 1 <= 1:
        return math.inf
    x0 = float(x0)
    with mpmath.workdps(dps):
        cm = [mpmath.mpf(float(v)) for v in c]
        s = 1 if mpmath.polyval(cm, x0) > 0 else -1
        z = mpmath.polyroots(cm, maxsteps=400, extraprec=4 * dps)
        dc = [cm[i] * (len(cm) - 1 - i) for i in range(len(cm) - 1)]
        total = mpmath.mpf(0)
        for r in z:
            total -= mpmath.log(s * (x0 - r)) / mpmath.polyval(dc, r)
        return float(mpmath.re(total))
