"""chain111: closed form, stability, symmetries, and the claim's checks (which can fail)."""

import numpy as np
import pytest
from hypothesis import given, settings

from linrbp import CLAIMS, DataStats, LinearSystem, chain111_limit, chain111_stable, get_claims, integrate
from linrbp.catalogue._catalogue import check_rng
from linrbp.claims.chain111 import predicted_pdot_sign_changes

CORRECT = predicted_pdot_sign_changes
from linrbp.strategies import chain111_instances

get_claims()
CLAIM = CLAIMS["chain111"]


def _integrate_system(i):
    sys_ = LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[i["beta"]]], [[i["alpha"]]]),
                               [[[i["c1"]]]])
    return integrate(sys_, np.array([i["a1"], i["a2"]]), 1e7, conv_tol=1e-11)


@settings(max_examples=15, deadline=None)
@given(chain111_instances())
def test_limit_matches_linear_system_integration(i):
    res = _integrate_system(i)
    assert res.status[0] == "converged"
    pred = np.array(chain111_limit(i["alpha"], i["beta"], i["c1"], i["a1"], i["a2"]))
    assert np.max(np.abs(res.y[0] - pred)) <= 1e-8 * np.max(np.abs(pred))
    assert i["beta"] * pred[0] * pred[1] == pytest.approx(i["alpha"], rel=1e-12)


def test_stability_test():
    assert chain111_stable(1, 1, 1, 1.0, 1.0)
    assert not chain111_stable(1, 1, -1, 0.5, 2.0)  # 0.25 - 2 < 0: inside the parabola


def test_trivial_cases():
    assert chain111_limit(2.0, 1.0, 0.0, 0.5, 3.0) == pytest.approx((0.5, 4.0))
    assert chain111_limit(0.0, 0.0, 1.3, 0.5, 3.0) == (0.5, 3.0)


def test_pdot_can_change_sign_twice():
    """docs/theory.md section 2 says P' changes sign at most once. On the invariant parabola
    m = a1^2 + c1 a2 = 1.5 a1^2 + c1 K, and a1 is monotone, so m (hence P' = e m) changes sign
    twice whenever a1 crosses (-sqrt(-2 c1 K/3), sqrt(-2 c1 K/3)) without stopping. The check
    finds this; the test pins the analytic reason on the instance it found."""
    i = {"alpha": -0.2909361689760004, "beta": 0.838528502735779, "c1": -0.2208839854577677,
         "a1": -0.1974661656693869, "a2": -0.06373684342376934}
    K = i["a2"] - i["a1"] ** 2 / (2 * i["c1"])
    lim = chain111_limit(i["alpha"], i["beta"], i["c1"], i["a1"], i["a2"])
    w = np.sqrt(-2 * i["c1"] * K / 3)
    assert 1.5 * i["a1"] ** 2 + i["c1"] * K > 0 and abs(i["a1"]) > w  # starts outside
    assert abs(lim[0]) > w and np.sign(lim[0]) != np.sign(i["a1"])  # ends outside, other side
    # The corrected statement predicts two sign changes here, and integration finds exactly two.
    assert predicted_pdot_sign_changes(i) == 2
    assert CLAIM.check("pdot-sign-changes-vs-closed-form").error(i) == 0.0
    # The lead's independent counterexample (also recorded in the issue notes).
    j = {"alpha": 1.2246, "beta": 1.1, "c1": -0.8108, "a1": 0.7522, "a2": 0.2534}
    assert predicted_pdot_sign_changes(j) == 2
    assert CLAIM.check("pdot-sign-changes-vs-closed-form").error(j) == 0.0


def test_pdot_check_fails_with_theorys_at_most_once(monkeypatch):
    """The sign-change check can fail: with the theory page's "at most once" as the prediction, the
    counterexample is caught."""
    import linrbp.claims.chain111 as mod

    monkeypatch.setattr(mod, "predicted_pdot_sign_changes", lambda i: min(1, CORRECT(i)))
    j = {"alpha": 1.2246, "beta": 1.1, "c1": -0.8108, "a1": 0.7522, "a2": 0.2534}
    assert mod.pdot_sign_error(j) == 1.0


def test_pdot_roots_are_sqrt_of_minus_two_c1_k_over_three():
    """An instance whose a1 passes one root of m = (3/2) a1^2 + c1 K, sqrt(-2 c1 K/3), but
    not the wrong candidate sqrt(-c1 K): it pins the 2/3 (with sqrt(-c1 K) the count is 1)."""
    i = {"alpha": 1.746, "beta": 1.334, "c1": -1.039, "a1": 0.966, "a2": 0.698}
    K = i["a2"] - i["a1"] ** 2 / (2 * i["c1"])
    lim = chain111_limit(i["alpha"], i["beta"], i["c1"], i["a1"], i["a2"])
    right, wrong = np.sqrt(-2 * i["c1"] * K / 3), np.sqrt(-i["c1"] * K)
    lo, hi = sorted((i["a1"], lim[0]))
    assert sum(lo < r < hi for r in (-right, right)) == 2
    assert sum(lo < r < hi for r in (-wrong, wrong)) == 1
    assert predicted_pdot_sign_changes(i) == 2
    assert CLAIM.check("pdot-sign-changes-vs-closed-form").error(i) == 0.0


@pytest.mark.parametrize("name", [c.name for c in CLAIM.checks])
def test_claim_checks_pass(name):
    k = [c.name for c in CLAIM.checks].index(name)
    ev = CLAIM.checks[k].run(check_rng(0, "chain111", k), samples=8)
    assert ev.passed, (ev.max_error, ev.worst_instance)


def test_wrong_closed_form_is_caught(monkeypatch):
    import linrbp.claims.chain111 as mod

    real = mod.chain111_limit
    monkeypatch.setattr(mod, "chain111_limit", lambda *a: tuple(v * (1 + 1e-6) for v in real(*a)))
    ev = CLAIM.check("limit-vs-integration").run(check_rng(0, "chain111", 0), samples=8)
    assert not ev.passed


def test_wrong_rule_is_caught(monkeypatch):
    """Integrating BP instead of RBP breaks the RBP invariant."""
    import linrbp.claims._scalar_common as common

    real = common.chain_rhs
    monkeypatch.setattr(common, "chain_rhs", lambda L, rule: real(L, "bp") if rule == "srbp" else real(L, rule))
    ev = CLAIM.check("invariant-drift").run(check_rng(0, "chain111", 1), samples=8)
    assert not ev.passed
