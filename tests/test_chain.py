"""chain: closed form at depths up to 7 (srbp, rbp), invariants, predictor, failing checks."""

import numpy as np
import pytest
from hypothesis import given, settings

from linrbp import CLAIMS, DataStats, LinearSystem, chain_limit, get_claims, integrate
from linrbp.catalogue._catalogue import check_rng
from linrbp.closed_forms._closed_forms import chain_reduction
from linrbp.strategies import chain_instances

get_claims()
CLAIM = CLAIMS["chain"]


def _system(i):
    L = len(i["weights"])
    return LinearSystem.create([1] * (L + 1), i["rule"], DataStats.from_matrices([[i["beta"]]], [[i["alpha"]]]),
                               [[[v]] for v in i["feedback"]])


@settings(max_examples=12, deadline=None)
@given(chain_instances(min_depth=2, max_depth=6))
def test_limit_matches_linear_system(i):
    res = integrate(_system(i), np.array(i["weights"]), 1e7, conv_tol=1e-10)
    assert res.status[0] == "converged"
    a = chain_limit(i["alpha"], i["beta"], i["feedback"], i["weights"], i["rule"])
    assert np.max(np.abs(res.y[0] - a)) <= 1e-8 * np.max(np.abs(a))


def test_depth6_series_is_accurate_where_expanded_coefficients_are_not():
    i = {"alpha": 0.507, "beta": 0.273}
    w = [2.647, -0.683, -0.411, 0.775, 2.592, 1.549]
    fb = [0.709, -3.476, -4.122, 2.87, -2.338]
    red = chain_reduction(i["alpha"], i["beta"], fb, w)
    x = 2.5
    q_struct = red.taylor(x)[0]
    a = red.layers(x)
    q_direct = red.gain * (i["alpha"] - i["beta"] * np.prod(a))
    assert q_struct == pytest.approx(q_direct, rel=1e-12)
    assert red.series(x)[0] == pytest.approx(q_direct, rel=1e-10)


def test_rbp_is_srbp_with_products():
    fb = [0.5, -2.0, 1.5]
    w = [0.7, -0.4, 1.2, 0.9]
    c = [0.5 * -2.0 * 1.5, -2.0 * 1.5, 1.5]
    assert chain_limit(1.0, 2.0, fb, w, "rbp") == pytest.approx(chain_limit(1.0, 2.0, c, w, "srbp"), rel=1e-14)


@pytest.mark.parametrize("name", [c.name for c in CLAIM.checks])
def test_claim_checks_pass(name):
    k = [c.name for c in CLAIM.checks].index(name)
    ev = CLAIM.checks[k].run(check_rng(0, "chain", k), samples=6)
    assert ev.passed, (ev.max_error, ev.worst_instance)


def test_wrong_closed_form_is_caught(monkeypatch):
    import linrbp.claims.chain as mod

    real = mod.chain_limit
    monkeypatch.setattr(mod, "chain_limit", lambda *a: real(*a) * (1 + 1e-7))
    ev = CLAIM.check("limit-vs-integration").run(check_rng(0, "chain", 0), samples=6)
    assert not ev.passed


def test_perturbed_invariant_is_caught(monkeypatch):
    import linrbp.claims.chain as mod

    # The factor 2 dropped: a_{h+1} - c_{h+1} a_h^2 / c_h is not conserved.
    monkeypatch.setattr(mod, "chain_invariants", lambda c, a: a[1:] - c[1:] * a[:-1] ** 2 / c[:-1])
    ev = CLAIM.check("invariant-drift").run(check_rng(0, "chain", 1), samples=6)
    assert not ev.passed


def test_wrong_rule_is_caught(monkeypatch):
    import linrbp.claims._scalar_common as common

    real = common.chain_rhs
    monkeypatch.setattr(common, "chain_rhs", lambda L, rule: real(L, "srbp" if rule == "rbp" else rule))
    # rbp instances integrated as srbp with the raw backward weights: limits move.
    ev = CLAIM.check("limit-vs-integration").run(check_rng(0, "chain", 0), samples=12)
    assert not ev.passed


def test_pdot_check_compares_chain_field_with_the_rule(monkeypatch):
    """pdot-formula uses the rule's own field, and the hand-written chain_field is checked
    against it: a wrong chain_field (or a wrong S) fails the check."""
    import linrbp.claims.chain as mod
    claim = CLAIM
    name = "pdot-formula-and-chain-field-vs-rule"
    k = [c.name for c in claim.checks].index(name)
    assert claim.checks[k].run(check_rng(0, "chain", k), samples=6).passed
    real = mod.chain_field
    monkeypatch.setattr(mod, "chain_field", lambda *a: real(*a) * (1 + 1e-9))
    assert not claim.checks[k].run(check_rng(0, "chain", k), samples=6).passed
    monkeypatch.setattr(mod, "chain_field", real)
    s = mod.chain_stability
    monkeypatch.setattr(mod, "chain_stability", lambda c, a: s(c, a) * (1 + 1e-9))
    assert not claim.checks[k].run(check_rng(0, "chain", k), samples=6).passed
