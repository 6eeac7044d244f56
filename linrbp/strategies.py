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
    """Positive floats spread log-uniformly over [lo, hi].

    Parameters
    ----------
    lo, hi : float
        The bounds, 0 < lo <= hi.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of float.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from linrbp.strategies import magnitudes
    >>> seen = []
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(magnitudes(0.1, 10.0))
    ... def collect(x):
    ...     seen.append(x)
    >>> collect()
    >>> len(seen), all(0.1 <= x <= 10.0 for x in seen)
    (20, True)
    """
    return st.floats(np.log(lo), np.log(hi)).map(lambda u: float(np.exp(u)))


def signed_floats(lo: float, hi: float):
    """Floats of either sign whose magnitude is log-uniform in [lo, hi].

    Parameters
    ----------
    lo, hi : float
        Bounds of :math:`|x|`, 0 < lo <= hi.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of float.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from linrbp.strategies import signed_floats
    >>> seen = []
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(signed_floats(0.5, 2.0))
    ... def collect(x):
    ...     seen.append(x)
    >>> collect()
    >>> all(0.5 <= abs(x) <= 2.0 for x in seen), {x > 0 for x in seen}
    (True, {False, True})
    """
    return st.tuples(st.sampled_from([-1.0, 1.0]), magnitudes(lo, hi)).map(lambda t: t[0] * t[1])


def _dyadic():
    return st.integers(-48, 48).map(lambda k: k / 16.0)


@st.composite
def poly1d_instances(draw, special=None, max_degree: int = 7):
    r"""Instances of :math:`x' = Q(x)` (docs/theory.md section 1) with exactly known roots.

    :math:`Q = \mathrm{lead} \prod_i (x - r_i) \prod_j ((x - u_j)^2 + v_j^2)` with dyadic roots
    :math:`r_i` (multiples of 1/16 in [-3, 3]), so the coefficients are exact binary numbers.

    Parameters
    ----------
    special : {"plain", "double", "near-double", "on-root", "no-real"}, optional
        The kind of instance: a double root (the start beside it), two roots
        :math:`2^{-7}` to :math:`2^{-12}` apart, a start exactly on a root, no real root; default
        any kind.
    max_degree : int, default 7
        Not used: the construction's degree is at most 7 (up to five real roots and one complex
        pair, or three complex pairs).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of dict ``{"kind", "coeffs", "x0"}``: coefficients highest degree first, the start
        :math:`x_0`; the format of the ``poly1d`` claim's checks.

    Examples
    --------
    A start on a root stays there:

    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from linrbp.strategies import poly1d_instances
    >>> seen = []
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(poly1d_instances(special="on-root"))
    ... def collect(inst):
    ...     seen.append(inst)
    >>> collect()
    >>> all(np.polyval(i["coeffs"], i["x0"]) == 0 for i in seen)
    True
    """
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
    r"""Instances of A[1,1,1] (docs/theory.md section 2): data, feedback and a start.

    alpha has either sign with :math:`|\alpha|` in [0.1, 5], beta in [0.2, 5], :math:`|c_1|` in
    [0.05, 10], :math:`|a_1(0)|, |a_2(0)|` in [0.05, 5] (log-uniform).

    Parameters
    ----------
    unstable : bool, optional
        True: start within :math:`10^{-2}` of an unstable fixed point (on the hyperbola
        :math:`a_1 a_2 = \alpha/\beta` inside the parabola :math:`a_1^2 + c_1 a_2 < 0`), on either
        side; False: a plain start; default either.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of dict ``{"kind", "alpha", "beta", "c1", "a1", "a2"}`` (the format of the ``chain111``
        claim's checks).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from linrbp.strategies import chain111_instances
    >>> seen = []
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(chain111_instances(unstable=True))
    ... def collect(inst):
    ...     seen.append(inst)
    >>> collect()
    >>> all(i["a1"] ** 2 + i["c1"] * i["a2"] < 0 for i in seen)
    True
    """
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
    r"""Instances of the scalar chain A[1,...,1] of depth L (docs/theory.md section 3).

    Parameters
    ----------
    min_depth : int, default 2
        The smallest depth L (number of weights).
    max_depth : int, default 7
        The largest depth.
    rules : sequence of str, default ("srbp", "rbp")
        The rules drawn from: ``feedback`` holds the feedback :math:`c_h` (srbp, :math:`|c_h|`
        in [0.1, 5]) or the backward weights :math:`r_h` (rbp, in [0.5, 2]).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of dict ``{"depth", "rule", "alpha", "beta", "feedback", "weights"}`` (L - 1 feedback
        values, L weights; the format of the ``chain`` claim's checks).

    Examples
    --------
    The closed-form limit (:func:`linrbp.chain_limit`) is a global minimum,
    :math:`\beta \prod_h a_h = \alpha`:

    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from linrbp import chain_limit
    >>> from linrbp.strategies import chain_instances
    >>> @settings(max_examples=20, derandomize=True, database=None, deadline=None)
    ... @given(chain_instances(max_depth=4))
    ... def test_limit_is_a_global_minimum(inst):
    ...     a = chain_limit(inst["alpha"], inst["beta"], inst["feedback"], inst["weights"], inst["rule"])
    ...     assert abs(inst["beta"] * np.prod(a) - inst["alpha"]) <= 1e-9 * abs(inst["alpha"])
    >>> test_limit_is_a_global_minimum()
    """
    L = draw(st.integers(min_depth, max_depth))
    rule = draw(st.sampled_from(list(rules)))
    lo, hi = (0.1, 5.0) if rule == "srbp" else (0.5, 2.0)
    return {"depth": L, "rule": rule, "alpha": draw(signed_floats(0.1, 5.0)),
            "beta": draw(magnitudes(0.2, 5.0)),
            "feedback": draw(st.lists(signed_floats(lo, hi), min_size=L - 1, max_size=L - 1)),
            "weights": draw(st.lists(signed_floats(0.2, 3.0), min_size=L, max_size=L))}


@st.composite
def wide_instances(draw, max_width: int = 6):
    """Instances of the wide network A[1,N,1] (docs/theory.md section 4).

    Parameters
    ----------
    max_width : int, default 6
        The largest hidden width N (drawn from 1..max_width).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of dict ``{"width", "alpha", "beta", "c", "a", "b"}``: feedback c (:math:`|c_i|` in
        [0.1, 5]), lower weights a and upper weights b (magnitudes in [0.05, 3]), N entries each
        (the format of the ``wide1N1`` claim's checks).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from linrbp.strategies import wide_instances
    >>> seen = []
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(wide_instances(max_width=3))
    ... def collect(inst):
    ...     seen.append(inst)
    >>> collect()
    >>> all(len(i["c"]) == len(i["a"]) == len(i["b"]) == i["width"] <= 3 for i in seen)
    True
    """
    N = draw(st.integers(1, max_width))
    vec = lambda lo, hi: st.lists(signed_floats(lo, hi), min_size=N, max_size=N)
    return {"width": N, "alpha": draw(signed_floats(0.1, 5.0)), "beta": draw(magnitudes(0.2, 5.0)),
            "c": draw(vec(0.1, 5.0)), "a": draw(vec(0.05, 3.0)), "b": draw(vec(0.05, 3.0))}


@st.composite
def nonlinear_instances(draw, m: int = 6):
    r"""Instances of the non-linear A[1,1,1] with hidden output :math:`(a_1 I)^\mu` (docs/theory.md section 7).

    The moments (alpha, beta, gamma, delta) come from a positive data set (inputs in [0.2, 2],
    targets in [0.1, 3]), kept in the instance; :math:`\mu \ge 1`; positive starts; c1 of either
    sign (c1 > 0 is Theorem 12's setting).

    Parameters
    ----------
    m : int, default 6
        Examples in the data set.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of dict ``{"alpha", "beta", "gamma", "delta", "mu", "c1", "a1", "a2", "inputs",
        "targets"}`` (the format of the ``nonlinear`` claim's checks).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from linrbp.strategies import nonlinear_instances
    >>> seen = []
    >>> @settings(max_examples=10, derandomize=True, database=None)
    ... @given(nonlinear_instances(m=4))
    ... def collect(inst):
    ...     seen.append(inst)
    >>> collect()
    >>> all(i["mu"] >= 1 and i["a1"] > 0 and i["a2"] > 0 and len(i["inputs"]) == 4 for i in seen)
    True
    """
    from .closed_forms._nonlinear import nonlinear_moments

    mu = draw(st.one_of(st.sampled_from([1.0, 2.0, 3.0]), st.floats(1.0, 3.0)))
    I = np.array(draw(st.lists(st.floats(0.2, 2.0), min_size=m, max_size=m)))
    T = np.array(draw(st.lists(st.floats(0.1, 3.0), min_size=m, max_size=m)))
    mom = nonlinear_moments(I, T, mu)
    return {**mom, "mu": float(mu), "c1": draw(signed_floats(0.01, 20.0)), "a1": draw(magnitudes(0.01, 5.0)),
            "a2": draw(magnitudes(0.01, 5.0)), "inputs": [float(v) for v in I],
            "targets": [float(v) for v in T]}
