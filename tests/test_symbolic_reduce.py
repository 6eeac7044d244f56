"""Reductions to a1' = Q(a1): against direct numeric evaluation of the derived field."""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from linrbp.core._errors import InputError
from linrbp.symbolic import (chain_feedback, chain_invariants, chain_reduction, is_conserved,
                             nonlinear_reduction, scalar_chain_ode, wide_reduction)


def _eval_monomials(red, values):
    """Q at a point from the reduction's monomial list (no sympy expression built)."""
    x = values["a1"]
    total = 0.0
    for k, const, pows in red.monomials:
        term = float(const) * x ** k
        for s, p in pows.items():
            term *= values[s.name] ** p
        total += term
    return total


def _direct_Q(depth, rule, v):
    """c_1 (alpha - beta prod a_h), a_(h+1) = c_(h+1) a_h^2/(2 c_h) + K_h, all in floats."""
    if rule == "srbp":
        c = [v[f"c{h}"] for h in range(1, depth)] + [1.0]
    else:
        r = [v[f"r{h}"] for h in range(1, depth)]
        c = [math.prod(r[h:]) for h in range(depth - 1)] + [1.0]
    a = [v["a1"]]
    for h in range(depth - 1):
        a.append(c[h + 1] * a[h] ** 2 / (2 * c[h]) + v[f"K{h + 1}"])
    return c[0] * (v["alpha"] - v["beta"] * math.prod(a))


def _values(rng, depth, rule):
    v = {"a1": rng.uniform(-1.2, 1.2), "alpha": rng.normal(), "beta": rng.uniform(0.2, 2)}
    for h in range(1, depth):
        v[f"K{h}"] = rng.normal() * 0.5
        v[f"{'c' if rule == 'srbp' else 'r'}{h}"] = rng.choice([-1, 1]) * rng.uniform(0.5, 1.5)
    return v


@pytest.mark.parametrize("rule", ["srbp", "rbp"])
@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_chain_Q_matches_direct_evaluation(depth, rule):
    rng = np.random.default_rng(depth)
    red = chain_reduction(depth, rule)
    assert red.degree == 2 ** depth - 1
    for _ in range(5):
        v = _values(rng, depth, rule)
        want = _direct_Q(depth, rule, v)
        assert _eval_monomials(red, v) == pytest.approx(want, rel=1e-9, abs=1e-9)
    if depth <= 3:
        f = sp.lambdify(sorted(red.Q.free_symbols, key=lambda s: s.name), red.Q)
        args = [v[s.name] for s in sorted(red.Q.free_symbols, key=lambda s: s.name)]
        assert f(*args) == pytest.approx(_direct_Q(depth, rule, v), rel=1e-9, abs=1e-9)


def test_depth7_fully_symbolic():
    red = chain_reduction(7)
    assert red.degree == 127
    c = sp.symbols("c1:7", real=True)
    beta = sp.Symbol("beta", real=True)
    # independent route to the leading coefficient: l_(h+1) = c_(h+1) l_h^2 / (2 c_h)
    cc = list(c) + [1]
    l = [sp.Integer(1)]
    for h in range(1, 7):
        l.append(cc[h] * l[-1] ** 2 / (2 * cc[h - 1]))
    assert sp.simplify(red.leading_coefficient - (-beta * cc[0] * sp.Mul(*l))) == 0
    v = _values(np.random.default_rng(7), 7, "srbp")
    v["a1"] = 0.9
    assert _eval_monomials(red, v) == pytest.approx(_direct_Q(7, "srbp", v), rel=1e-8)
    assert "a1**127" in red.format()


def test_numeric_coefficients_variant():
    rng = np.random.default_rng(5)
    v = _values(rng, 5, "srbp")
    num = {k: val for k, val in v.items() if k != "a1"}
    red = chain_reduction(5, numeric=num)
    P = sp.Poly(red.Q, sp.Symbol("a1", real=True))
    assert P.degree() == 31
    for x in (-0.7, 0.3, 1.1):
        assert float(P.eval(x)) == pytest.approx(_direct_Q(5, "srbp", {**v, "a1": x}), rel=1e-9)
    exact = chain_reduction(3, numeric={"alpha": 1, "beta": 2, "c1": 3, "c2": -1, "K1": 1, "K2": Fraction(1, 2)})
    assert exact.leading_coefficient == sp.Rational(-1, 72)


def test_leading_coefficient_negative_and_flips_with_top_feedback():
    """With c_L = 1 the sign is negative whatever the signs of c_1..c_(L-1); the proof's sign
    argument says lc * c_L < 0, so the sign flips with c_L = -1 (checked on the recurrence)."""
    rng = np.random.default_rng(9)
    for depth in (2, 3, 4, 5):
        red = chain_reduction(depth)
        for _ in range(5):
            cs = {sp.Symbol(f"c{h}", real=True): float(rng.choice([-1, 1]) * rng.uniform(0.3, 3))
                  for h in range(1, depth)}
            assert float(red.leading_coefficient.subs(cs).subs(sp.Symbol("beta", real=True), 1.3)) < 0
            c = [cs[sp.Symbol(f"c{h}", real=True)] for h in range(1, depth)] + [-1.0]
            l = [1.0]
            for h in range(1, depth):
                l.append(c[h] * l[-1] ** 2 / (2 * c[h - 1]))
            assert -1.3 * c[0] * math.prod(l) > 0


def test_invariants_fail_under_the_wrong_rule():
    bp = scalar_chain_ode(3, "bp")
    srbp = scalar_chain_ode(3, "srbp")
    for K in chain_invariants(srbp, chain_feedback(3, "srbp")):
        assert is_conserved(srbp, K)
        assert not is_conserved(bp, K)
    rbp = scalar_chain_ode(2, "rbp")
    K = chain_invariants(rbp, chain_feedback(2, "rbp"))[0]
    assert is_conserved(rbp, K)
    assert not is_conserved(scalar_chain_ode(2, "bp"), K.subs(sp.Symbol("r1", real=True), rbp.states[1]))


def test_wide_and_nonlinear_reductions():
    rng = np.random.default_rng(3)
    red = wide_reduction(3)
    assert red.degree == 3
    s = red.system
    vals = {x: rng.normal() for x in red.Q.free_symbols}
    subst = {k: v.subs(vals) for k, v in red.substitution.items()}
    a1 = s.states[0]
    assert float(s.rhs[a1].subs(subst).subs(vals)) == pytest.approx(float(red.Q.subs(vals)), rel=1e-10)
    nl = nonlinear_reduction(2)
    assert nl.degree == 5 and nl.leading_coefficient == -sp.Symbol("beta", real=True) / 2
    nls = nonlinear_reduction()
    assert sp.simplify(nls.degree - (2 * sp.Symbol("mu", positive=True) + 1)) == 0


def test_bad_input():
    with pytest.raises(InputError, match="depth"):
        chain_reduction(0)
    with pytest.raises(InputError, match="depth"):
        chain_reduction(8)
    with pytest.raises(InputError, match="rule"):
        chain_reduction(3, "arbp")
    with pytest.raises(InputError, match="numeric"):
        chain_reduction(3, numeric={"zeta": 1})
    with pytest.raises(InputError, match="numeric"):
        chain_reduction(3, numeric={"alpha": float("nan")})
    with pytest.raises(InputError, match="numeric"):
        chain_reduction(3, numeric={"alpha": "one"})
    with pytest.raises(InputError, match="numeric"):
        chain_reduction(3, numeric={"c1": 0, "c2": 1})
