"""Hypothesis strategies for instances of the scalar systems (docs/theory.md sections 1-4 and 7).

Each strategy draws JSON-able dicts in the same format as the claims' checks (and their worst
instances in ``linrbp verify --json``), so a property test can feed them straight to the closed
forms, e.g.::

    from hypothesis import given, settings
    from linrbp import chain_limit
    from linrbp.strategies import chain_instances

    @settings(max_examples=50, deadline=None)
    @given(chain_instances(max_depth=6))
    def test_limit_is_a_global_minimum(inst):
        a = chain_limit(inst["alpha"], inst["beta"], inst["feedback"], inst["weights"], inst["rule"])
        assert abs(inst["beta"] * a.prod() - inst["alpha"]) <= 1e-9 * abs(inst["alpha"])

Parameters take both signs and magnitudes from small to large (log-uniform in the bounds);
``beta`` = E[I^2] is positive.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .closed_forms._scalar_draws import factored_polynomial

__all__ = ["magnitudes", "signed_floats", "poly1d_instances", "chain111_instances",
           "chain_instances", "wide_instances", "nonlinear_instances"]


def magnitudes(lo: float, hi: float):
    """Positive floats log-uniformly spread over [lo, hi]."""
    return st.floats(np.log(lo), np.log(hi)).map(lambda u: float(np.exp(u)))


def signed_floats(lo: float, hi: float):
    """Floats with :math:`|x|` in [lo, hi] (log scale) and either sign."""
    return st.tuples(st.sampled_from([-1.0, 1.0]), magnitudes(lo, hi)).map(lambda t: t[0] * t[1])


def _dyadic():
    return st.integers(-48, 48).map(lambda k: k / 16.0)


@st.composite
def poly1d_instances(draw, special=None, max_degree: int = 7):
    """{"kind", "coeffs", "x0"}: Q = lead prod (x - r_i) prod((x-u)^2 + v^2) with dyadic roots
    (exact coefficients). ``special``: "double", "near-double", "on-root", "no-real" or None."""
    kind = special or draw(st.sampled_from(["plain", "double", "near-double", "on-root", "no-real"]))
    lead = draw(st.sampled_from([-1.0, 1.0])) * 2.0 ** draw(st.integers(-2, 2))
    n_pair = draw(st.integers(1, 3)) if kind == "no-real" else draw(st.integers(0, 1))
    n_real = 0 if kind == "no-real" else draw(st.integers(1, 4))
    roots = draw(st.lists(_dyadic(), min_size=n_real, max_size=n_real, unique=True))
    if kind == "double":
        roots.append(roots[0])
    if kind == "near-double":
        roots.append(roots[0] + 2.0 ** -draw(st.integers(7, 12)))
    pairs = [(draw(_dyadic()), 2.0 ** -draw(st.integers(0, 4))) for _ in range(n_pair)]
    c = factored_polynomial(lead, roots, pairs)
    if kind == "on-root":
        x0 = roots[draw(st.integers(0, len(roots) - 1))]
        c[-1] -= np.polyval(c, x0)
    elif kind in ("double", "near-double"):
        x0 = roots[0] + draw(st.sampled_from([-1.0, 1.0])) * draw(st.floats(0.05, 2.0))
    else:
        x0 = draw(st.floats(-4.0, 4.0))
    return {"kind": kind, "coeffs": [float(v) for v in c], "x0": float(x0)}


@st.composite
def chain111_instances(draw, unstable=None):
    """{"alpha", "beta", "c1", "a1", "a2"}; ``unstable=True`` starts within 1e-2 of an
    unstable fixed point (inside the parabola a1^2 + c1 a2 < 0), on either side."""
    alpha = draw(signed_floats(0.1, 5.0))
    beta = draw(magnitudes(0.2, 5.0))
    c1 = draw(signed_floats(0.05, 10.0))
    if unstable is None:
        unstable = draw(st.booleans())
    if unstable:
        r = alpha / beta
        a1 = -np.sign(c1 * r) * abs(c1 * r) ** (1 / 3) * draw(st.floats(0.2, 0.8))
        d1, d2 = draw(signed_floats(1e-4, 1e-2)), draw(signed_floats(1e-4, 1e-2))
        return {"kind": "unstable", "alpha": alpha, "beta": beta, "c1": c1,
                "a1": float(a1 + d1), "a2": float(r / a1 + d2)}
    return {"kind": "plain", "alpha": alpha, "beta": beta, "c1": c1,
            "a1": draw(signed_floats(0.05, 5.0)), "a2": draw(signed_floats(0.05, 5.0))}


@st.composite
def chain_instances(draw, min_depth: int = 2, max_depth: int = 7, rules=("srbp", "rbp")):
    """{"depth", "rule", "alpha", "beta", "feedback", "weights"} (feedback c_h for srbp,
    backward weights r_h for rbp)."""
    L = draw(st.integers(min_depth, max_depth))
    rule = draw(st.sampled_from(list(rules)))
    lo, hi = (0.1, 5.0) if rule == "srbp" else (0.5, 2.0)
    return {"depth": L, "rule": rule, "alpha": draw(signed_floats(0.1, 5.0)),
            "beta": draw(magnitudes(0.2, 5.0)),
            "feedback": draw(st.lists(signed_floats(lo, hi), min_size=L - 1, max_size=L - 1)),
            "weights": draw(st.lists(signed_floats(0.2, 3.0), min_size=L, max_size=L))}


@st.composite
def wide_instances(draw, max_width: int = 6):
    """{"width", "alpha", "beta", "c", "a", "b"} for A[1,N,1]."""
    N = draw(st.integers(1, max_width))
    vec = lambda lo, hi: st.lists(signed_floats(lo, hi), min_size=N, max_size=N)
    return {"width": N, "alpha": draw(signed_floats(0.1, 5.0)), "beta": draw(magnitudes(0.2, 5.0)),
            "c": draw(vec(0.1, 5.0)), "a": draw(vec(0.05, 3.0)), "b": draw(vec(0.05, 3.0))}


@st.composite
def nonlinear_instances(draw, m: int = 6):
    """Moments of a positive data set (inputs, targets kept), mu >= 1, positive starts, c1 of
    either sign (c1 > 0: Theorem 12's setting)."""
    from .closed_forms._closed_forms import nonlinear_moments

    mu = draw(st.one_of(st.sampled_from([1.0, 2.0, 3.0]), st.floats(1.0, 3.0)))
    I = np.array(draw(st.lists(st.floats(0.2, 2.0), min_size=m, max_size=m)))
    T = np.array(draw(st.lists(st.floats(0.1, 3.0), min_size=m, max_size=m)))
    mom = nonlinear_moments(I, T, mu)
    return {**mom, "mu": float(mu), "c1": draw(signed_floats(0.01, 20.0)), "a1": draw(magnitudes(0.01, 5.0)),
            "a2": draw(magnitudes(0.01, 5.0)), "inputs": [float(v) for v in I],
            "targets": [float(v) for v in T]}
