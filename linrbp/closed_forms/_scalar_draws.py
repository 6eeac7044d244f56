"""Seeded random instances of the scalar systems (JSON-able dicts), for the claims' checks.

Every parameter takes both signs (where the theory allows) and magnitudes spread on a log scale
from small to large; special draws put starts on roots, near unstable fixed points (both sides)
and on double roots. :mod:`linrbp.strategies` draws the same kinds of instances for hypothesis.
"""

from __future__ import annotations

import numpy as np


def signed(rng, lo, hi, size=None):
    """A magnitude log-uniform in [lo, hi] with a random sign."""
    mag = np.exp(rng.uniform(np.log(lo), np.log(hi), size=size))
    sign = rng.choice([-1.0, 1.0], size=size)
    return sign * mag


def positive(rng, lo, hi):
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def factored_polynomial(lead, roots, pairs) -> np.ndarray:
    """Coefficients (highest degree first) of lead * prod (x - r) * prod ((x - u)^2 + v^2)."""
    c = np.array([lead])
    for r in roots:
        c = np.polymul(c, [1.0, -r])
    for u, v in pairs:
        c = np.polymul(c, [1.0, -2 * u, u * u + v * v])
    return c


def poly1d_instance(rng, special=None) -> dict:
    """{"coeffs", "x0"}: Q = lead * prod (x - r_i) * prod ((x - u)^2 + v^2).

    special: None (random mix), "double" (a double root), "near-double" (two roots 1e-5..1e-2
    apart), "on-root" (x0 exactly a root), "no-real" (no real roots).
    """
    kind = special or rng.choice(["plain", "plain", "double", "near-double", "on-root", "no-real"])
    # Dyadic roots and leading coefficient make every coefficient exact in floating point, so
    # a double root is exactly double (rounding would split it or lift it into a complex pair
    # ~sqrt(eps) off the axis, where the limit is decided by rounding, not by the theory).
    lead = float(rng.choice([-1.0, 1.0]) * 2.0 ** int(rng.integers(-2, 3)))
    if kind == "no-real":
        n_real, n_pair = 0, int(rng.integers(1, 4))
    else:
        n_real, n_pair = int(rng.integers(1, 5)), int(rng.integers(0, 2))
    # Distinct drawn roots: multiplicities above the intended double root are out of scope.
    roots = list(rng.choice(np.arange(-48, 49), size=n_real, replace=False) / 16.0)
    if kind == "double":
        roots.append(roots[0])
    if kind == "near-double":
        roots.append(roots[0] + 2.0 ** -int(rng.integers(7, 13)))
    pairs = [(int(rng.integers(-48, 49)) / 16.0, 2.0 ** -int(rng.integers(0, 5))) for _ in range(n_pair)]
    c = factored_polynomial(lead, roots, pairs)
    if kind == "on-root":
        x0 = float(roots[int(rng.integers(len(roots)))])
        # Make x0 an exact root of the float coefficients: shift the constant term.
        c[-1] -= np.polyval(c, x0)
    elif kind in ("double", "near-double"):
        x0 = float(roots[0] + rng.choice([-1.0, 1.0]) * rng.uniform(0.05, 2))
    else:
        x0 = float(rng.uniform(-4, 4))
    return {"kind": str(kind), "coeffs": [float(v) for v in c], "x0": x0}


def chain111_instance(rng, special=None) -> dict:
    """{"alpha", "beta", "c1", "a1", "a2"}; special "unstable": start within 1e-3 of an
    unstable fixed point (inside the parabola a1^2 + c1 a2 < 0), on either side."""
    alpha = float(signed(rng, 0.1, 5.0))
    beta = positive(rng, 0.2, 5.0)
    c1 = float(signed(rng, 0.05, 10.0))
    kind = special or rng.choice(["plain", "plain", "plain", "unstable"])
    if kind == "unstable":
        r = alpha / beta
        # a1 with c1 r / a1^3 < -1: sign(a1) = -sign(c1 r), |a1|^3 < |c1 r|.
        a1 = -np.sign(c1 * r) * abs(c1 * r) ** (1 / 3) * rng.uniform(0.2, 0.8)
        a2 = r / a1
        d = signed(rng, 1e-4, 1e-2, size=2)
        return {"kind": "unstable", "alpha": alpha, "beta": beta, "c1": c1,
                "a1": float(a1 + d[0]), "a2": float(a2 + d[1])}
    a = signed(rng, 0.05, 5.0, size=2)
    return {"kind": "plain", "alpha": alpha, "beta": beta, "c1": c1, "a1": float(a[0]), "a2": float(a[1])}


def chain_instance(rng, depth=None, rule=None) -> dict:
    """{"depth", "rule", "alpha", "beta", "feedback", "weights"} for depth 2..7, srbp or rbp."""
    L = int(depth or rng.integers(2, 8))
    rule = str(rule or rng.choice(["srbp", "rbp"]))
    # RBP's SRBP-form feedback is a product of up to 6 drawn values, so its draw is narrower.
    lo, hi = (0.02, 10.0) if rule == "srbp" else (0.2, 5.0)
    return {
        "depth": L, "rule": rule,
        "alpha": float(signed(rng, 0.05, 10.0)), "beta": positive(rng, 0.05, 10.0),
        "feedback": [float(v) for v in signed(rng, lo, hi, size=L - 1)],
        "weights": [float(v) for v in signed(rng, 0.05, 4.0, size=L)],
    }


def wide_instance(rng, width=None) -> dict:
    """{"alpha", "beta", "c", "a", "b"} for A[1,N,1], N = 1..6."""
    N = int(width or rng.integers(1, 7))
    return {
        "width": N, "alpha": float(signed(rng, 0.05, 10.0)), "beta": positive(rng, 0.05, 10.0),
        "c": [float(v) for v in signed(rng, 0.02, 10.0, size=N)],
        "a": [float(v) for v in signed(rng, 0.02, 4.0, size=N)],
        "b": [float(v) for v in signed(rng, 0.02, 4.0, size=N)],
    }


def nonlinear_data(rng, m=6):
    """A finite positive data set (inputs I > 0, targets T > 0): Theorem 12's alpha > 0."""
    I = rng.uniform(0.2, 2.0, size=m)
    T = rng.uniform(0.1, 3.0, size=m)
    return I, T


def nonlinear_instance(rng) -> dict:
    """{"alpha", "beta", "gamma", "delta", "c1", "mu", "a1", "a2"}: moments of a positive data
    set, mu >= 1, a1, a2 > 0; c1 of either sign, |c1| in [0.01, 20] (c1 > 0 is Theorem 12's
    case; c1 < 0 is measured against what the closed form predicts there)."""
    from ._nonlinear import nonlinear_moments

    mu = float(rng.choice([1.0, 2.0, 3.0, rng.uniform(1.0, 3.0)]))
    I, T = nonlinear_data(rng)
    m = nonlinear_moments(I, T, mu)
    return {**m, "mu": mu, "c1": float(signed(rng, 0.01, 20.0)), "a1": positive(rng, 0.01, 5.0),
            "a2": positive(rng, 0.01, 5.0), "inputs": [float(v) for v in I],
            "targets": [float(v) for v in T]}
