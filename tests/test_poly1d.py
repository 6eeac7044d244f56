"""poly1d: classification of x' = Q(x), real roots, blow-up times; the claim's checks."""

import math

import numpy as np
import pytest
from hypothesis import given, settings

from linrbp import CLAIMS, get_claims, poly1d_limit, real_roots, real_roots_multiplicity
from linrbp.catalogue._catalogue import check_rng
from linrbp.closed_forms._poly1d import blowup_time, blowup_time_partial_fractions
from linrbp.strategies import poly1d_instances

get_claims()
CLAIM = CLAIMS["poly1d"]


def test_examples_of_theorem_1():
    c = -np.poly([-1.0, 0.5, 2.0])  # Q > 0 below -1, < 0 on (-1, .5), > 0 on (.5, 2), < 0 above
    assert poly1d_limit(c, -3).limit == pytest.approx(-1, abs=1e-15)
    assert poly1d_limit(c, 0).limit == pytest.approx(-1, abs=1e-15)
    assert poly1d_limit(c, 1).limit == pytest.approx(2, abs=1e-15)
    assert poly1d_limit(c, 0.5).limit == 0.5 and poly1d_limit(c, 0.5).root_index == 1
    up = poly1d_limit(-c, 3)
    assert up.kind == "blow-up" and up.limit == math.inf


def test_blowup_time_of_x_squared_and_x_squared_plus_one():
    # x' = x^2: x = x0 / (1 - x0 t), T* = 1/x0; x' = x^2 + 1: T* = pi/2 - atan(x0).
    assert poly1d_limit([1, 0, 0], 2.0).blowup_time == pytest.approx(0.5, rel=1e-13)
    assert poly1d_limit([1, 0, 1], 0.3).blowup_time == pytest.approx(math.pi / 2 - math.atan(0.3), rel=1e-13)
    # From below toward -inf: x' = -x^2 - 1 from 0.3 reaches -inf at pi/2 + atan(0.3).
    assert poly1d_limit([-1, 0, -1], 0.3).blowup_time == pytest.approx(math.pi / 2 + math.atan(0.3), rel=1e-13)


def test_double_and_near_double_roots():
    c = np.poly([1.0, 1.0, -2.0])  # (x-1)^2 (x+2) = x^3 - 3x + 2, exact
    roots, mult = real_roots_multiplicity(c)
    assert roots == pytest.approx([-2.0, 1.0], abs=1e-14) and mult.tolist() == [1, 2]
    assert poly1d_limit(c, 0.0).limit == 1.0  # Q > 0 on (-2, 1): rises to the double root
    assert poly1d_limit(c, 1.5).kind == "blow-up"  # Q > 0 above: passes nothing, blows up
    gap = 2.0 ** -12
    c2 = np.polymul(np.poly([1.0, 1.0 + gap]), [1.0, 2.0])
    r = real_roots(c2)
    assert len(r) == 3 and r[1] == pytest.approx(1.0, abs=1e-12) and r[2] == pytest.approx(1 + gap, abs=1e-12)
    assert poly1d_limit(c2, 0.0).limit == pytest.approx(1.0, abs=1e-12)  # Q(0) > 0: up to 1
    assert poly1d_limit(c2, 1.0001).limit == pytest.approx(1.0, abs=1e-12)  # Q < 0 inside the pair


def test_no_real_roots_always_blow_up():
    c = np.polymul([1, 0, 1], [1, -1, 2])
    assert real_roots(c).size == 0
    for x0 in (-5, 0, 5):
        assert poly1d_limit(c, x0).kind == "blow-up"


def test_bad_input():
    from linrbp import InputError

    with pytest.raises(InputError):
        poly1d_limit([1, float("nan")], 0)
    with pytest.raises(InputError):
        poly1d_limit([1, 0], float("inf"))


@settings(max_examples=40, deadline=None)
@given(poly1d_instances())
def test_limit_is_the_first_root_ahead(inst):
    c = np.asarray(inst["coeffs"])
    lim = poly1d_limit(c, inst["x0"])
    if lim.kind == "fixed":
        # Q keeps the sign of Q(x0) strictly between x0 and the limit.
        q0 = np.polyval(c, inst["x0"])
        xs = np.linspace(inst["x0"], lim.limit, 50)[1:-1]
        vals = np.polyval(c, xs)
        assert q0 == 0 or np.all(np.sign(vals) * np.sign(q0) >= 0)
    else:
        assert lim.blowup_time > 0


@settings(max_examples=25, deadline=None)
@given(poly1d_instances(special="no-real"))
def test_blowup_time_two_routes(inst):
    lim = poly1d_limit(inst["coeffs"], inst["x0"])
    z = np.roots(inst["coeffs"])
    if np.min(np.abs(z[:, None] - z[None, :]) + np.eye(z.size)) > 1e-3:
        assert blowup_time(inst["coeffs"], inst["x0"]) == pytest.approx(
            blowup_time_partial_fractions(inst["coeffs"], inst["x0"]), rel=1e-9)
        assert lim.kind == "blow-up"


@pytest.mark.parametrize("check", [c.name for c in CLAIM.checks])
def test_claim_checks_pass(check):
    k = [c.name for c in CLAIM.checks].index(check)
    ev = CLAIM.checks[k].run(check_rng(0, "poly1d", k), samples=8)
    assert ev.passed, (ev.max_error, ev.worst_instance)


def test_limit_check_catches_a_wrong_closed_form(monkeypatch):
    import linrbp.claims.poly1d as mod
    from linrbp.closed_forms._poly1d import Poly1dLimit

    real = mod.poly1d_limit

    def wrong(c, x0):
        p = real(c, x0)
        return Poly1dLimit(p.kind, p.limit * (1 + 1e-6) + 1e-6, p.blowup_time * (1 + 1e-6), p.root_index, p.multiplicity)

    monkeypatch.setattr(mod, "poly1d_limit", wrong)
    ev = CLAIM.check("limit-vs-integration").run(check_rng(0, "poly1d", 0), samples=8)
    assert not ev.passed


def test_blowup_time_is_inf_without_blow_up():
    """x' = x^2 - 1: from 0.5 (and from 1) x never blows up (it converges to -1, or stays): inf,
    without a quadrature through the root (which warned and returned inf by accident); from 2
    the closed form ln((x0 + 1)/(x0 - 1))/2."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert blowup_time([1.0, 0.0, -1.0], 0.5) == math.inf
        assert blowup_time([1.0, 0.0, -1.0], 1.0) == math.inf
        assert blowup_time([1.0, 0.0, -1.0], 2.0) == pytest.approx(math.log(3) / 2, rel=1e-13)
    with pytest.raises(ValueError, match="x0"):
        blowup_time([1.0, 0.0, -1.0], math.nan)


# Seed 7's 22nd draw of limit-vs-integration (`linrbp verify --only poly1d --seed 7`): a
# double root at 1.6875 with Q''(r) = 0.035 against coefficients near 900, next to the complex
# pair 1.75 +- i/16. Plain Horner's rounding noise held the batch integrator's steps at ~0.14
# and the run ended at its step limit (error inf).
_SEED7_DOUBLE = {"kind": "double", "x0": 1.4460643431572464,
                 "coeffs": [4.0, -47.5, 233.015625, -604.984375, 877.4862670898438, -674.6034622192383,
                            214.89080786705017]}


def test_ill_conditioned_double_root_converges_within_the_step_limit():
    from linrbp.claims._scalar_common import LIMIT_TOL
    from linrbp.claims.poly1d import limit_errors

    (err,) = limit_errors([_SEED7_DOUBLE])
    assert err <= LIMIT_TOL


def test_compensated_horner_against_exact_rationals():
    """The claim's field (compensated Horner) against exact evaluation in fractions: within
    3 eps |Q(x)| + gamma_2n^2 sum |q_i| |x|^i, next to the double root where plain Horner's
    error is some 1e-13, a thousand times |Q|."""
    from fractions import Fraction

    from linrbp.claims.poly1d import compensated_horner

    c = np.array(_SEED7_DOUBLE["coeffs"])
    eps = np.finfo(float).eps
    xs = np.concatenate([1.6875 + np.array([-1e-4, -3e-6, -1e-7, 2e-8, 5e-6]), [-3.0, 0.1, 2.5, 40.0]])
    got = compensated_horner(np.broadcast_to(c, (xs.size, c.size)), xs)
    n = c.size - 1
    gamma = 2 * n * eps / (1 - 2 * n * eps)
    worst_plain = 0.0
    for x, g in zip(xs, got):
        exact = sum(Fraction(float(a)) * Fraction(float(x)) ** (n - i) for i, a in enumerate(c))
        bound = 3 * eps * abs(float(exact)) + gamma ** 2 * float(np.polyval(np.abs(c), abs(x)))
        assert abs(Fraction(float(g)) - exact) <= Fraction(bound), (x, float(g), float(exact))
        if abs(x - 1.6875) < 1e-6:
            worst_plain = max(worst_plain, abs(float(Fraction(float(np.polyval(c, x))) - exact)) / abs(float(exact)))
    assert worst_plain > 1e-3  # plain Horner is far off there: the points do test the compensation
