"""real_roots_multiplicity and poly1d_limit at multiple roots (multiplicities 1-4), against
sympy's exact factorisation and against roots built in, with exact and rounded coefficients."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linrbp import poly1d_limit, real_roots_multiplicity

EPS = np.finfo(float).eps
X = sp.symbols("x")


def _sympy_real_roots(poly: sp.Poly) -> list[tuple[float, int]]:
    """(root, multiplicity) of the rational roots, from sympy's exact factorisation over Q."""
    out = []
    for f, m in sp.factor_list(poly)[1]:
        if f.degree() == 1:
            a, b = f.all_coeffs()
            out.append((float(-b / a), m))
    return sorted(out)


def test_triple_and_fourfold_roots():
    """-(x - 1)^3 was reported as a double root: the walk stops 1e-8 from 1, where Q'' = 6e-8."""
    for sign in (1.0, -1.0):
        roots, mult = real_roots_multiplicity(sign * np.poly([1.0, 1.0, 1.0]))
        assert roots.tolist() == [1.0] and mult.tolist() == [3]
        roots, mult = real_roots_multiplicity(sign * np.poly([1.0, 1.0, 1.0, 1.0, -2.0]))
        assert roots == pytest.approx([-2.0, 1.0], rel=4 * EPS) and mult.tolist() == [1, 4]
    lim = poly1d_limit(-np.poly([1.0, 1.0, 1.0]), 0.0)  # Q > 0 below 1: up to the triple root
    assert (lim.kind, lim.limit, lim.multiplicity) == ("fixed", 1.0, 3)
    lim = poly1d_limit(-np.poly([1.0, 1.0, 1.0, 1.0, -2.0]), 0.0)  # Q < 0 on (-2, 1): down to -2
    assert lim.limit == pytest.approx(-2.0, rel=4 * EPS) and lim.multiplicity == 1
    lim = poly1d_limit(np.poly([1.0, 1.0, 1.0, 1.0, -2.0]), 0.0)  # Q > 0 on (-2, 1): up to 1
    assert (lim.limit, lim.multiplicity) == (1.0, 4)


# Integer polynomials with known multiplicities 1-4 (exact float coefficients), and the same
# factors with non-dyadic rational roots (coefficients rounded once).
_CASES = [
    (X - 2) ** 4 * (X + 1), -(X - 1) ** 3 * (X + 3) ** 2, 3 * (X + 2) ** 4 * (X - 1) ** 3 * X,
    (X - 3) ** 2 * (X + 1) ** 3 * (X**2 + 1), 2 * (X - 1) * (X + 1) ** 4 * (X - 4) ** 2,
    (X - sp.Rational(1, 3)) ** 3 * (X + sp.Rational(2, 5)) ** 2, -(X + sp.Rational(5, 7)) ** 4 * (X - sp.Rational(3, 10)),
    (X - sp.Rational(1, 10)) ** 3 * (X - 2) ** 4,
]


@pytest.mark.parametrize("expr", _CASES, ids=str)
def test_multiplicities_agree_with_sympy_factorisation(expr):
    poly = sp.Poly(sp.expand(expr), X)
    want = _sympy_real_roots(poly)
    c = np.array([float(v) for v in poly.all_coeffs()])
    roots, mult = real_roots_multiplicity(c)
    assert mult.tolist() == [m for _, m in want]
    assert np.max(np.abs(roots - [r for r, _ in want]) / np.maximum(1.0, np.abs(roots))) <= 1e-8
    for r, m in want:  # from either side of each root, the flow stops on it (if it moves toward it)
        for x0 in (r - 0.01, r + 0.01):
            lim = poly1d_limit(c, x0)
            if lim.kind == "fixed" and abs(lim.limit - r) < 0.05:
                assert lim.multiplicity == m and abs(lim.limit - r) <= 1e-8 * max(1.0, abs(r))


@st.composite
def _factored(draw):
    """lead * prod (x - r_i)^m_i: 1-4 rational roots in [-4, 4] at least 1/4 apart, m_i in 1..4,
    degree <= 10, exact (Fractions)."""
    k = draw(st.integers(1, 4))
    roots = sorted(draw(st.lists(st.fractions(-4, 4, max_denominator=8), min_size=k, max_size=k, unique=True)))
    assume(all(b - a >= Fraction(1, 4) for a, b in zip(roots, roots[1:])))
    mults = draw(st.lists(st.integers(1, 4), min_size=k, max_size=k))
    assume(sum(mults) <= 10)
    lead = draw(st.sampled_from([Fraction(1), Fraction(-1), Fraction(2, 3), Fraction(-5, 2)]))
    exact = [lead]
    for r, m in zip(roots, mults):
        for _ in range(m):
            exact = [a - r * b for a, b in zip(exact + [Fraction(0)], [Fraction(0)] + exact)]
    return roots, mults, exact, draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(_factored())
def test_multiplicities_of_drawn_products(case):
    roots, mults, exact, float_products = case
    if float_products:  # coefficients as numpy multiplies the factors out (rounded at every step)
        c = np.array([float(exact[0])])
        for r, m in zip(roots, mults):
            for _ in range(m):
                c = np.polymul(c, [1.0, -float(r)])
    else:  # the exact coefficients rounded once
        c = np.array([float(v) for v in exact])
    # Resolvable in double precision: between neighbouring roots, Q exceeds 100 times the
    # rounding bound of its evaluation (else no computed sign tells the roots apart).
    for a, b in zip(roots, roots[1:]):
        mid = (a + b) / 2
        q = abs(sum(v * mid ** (len(exact) - 1 - i) for i, v in enumerate(exact)))
        assume(q > 100 * 2 * c.size * EPS * float(np.polyval(np.abs(c), abs(float(mid)))))
    got, mult = real_roots_multiplicity(c)
    assert mult.tolist() == mults, (got, [float(r) for r in roots])
    assert np.max(np.abs(got - [float(r) for r in roots]) / np.maximum(1.0, np.abs(got))) <= 1e-8
