"""wide1N1: closed form vs the LinearSystem, invariants, predictor, failing checks."""

import numpy as np
import pytest
from hypothesis import given, settings

from linrbp import CLAIMS, DataStats, LinearSystem, get_claims, integrate, wide_limit
from linrbp.catalogue._catalogue import check_rng
from linrbp.strategies import wide_instances

get_claims()
CLAIM = CLAIMS["wide1N1"]


@settings(max_examples=12, deadline=None)
@given(wide_instances(max_width=5))
def test_limit_matches_linear_system(i):
    N = len(i["a"])
    s = LinearSystem.create([1, N, 1], "rbp", DataStats.from_matrices([[i["beta"]]], [[i["alpha"]]]),
                            [np.array(i["c"])[:, None]])
    y0 = s.pack([np.array(i["a"])[:, None], np.array(i["b"])[None, :]])
    res = integrate(s, y0, 1e7, conv_tol=1e-10)
    assert res.status[0] == "converged"
    pa, pb = wide_limit(i["alpha"], i["beta"], i["c"], i["a"], i["b"])
    ref = np.concatenate([pa, pb])
    assert np.max(np.abs(res.y[0] - ref)) <= 1e-8 * np.max(np.abs(ref))


def test_zero_feedback_moves_only_the_top_layer():
    pa, pb = wide_limit(2.0, 1.0, [0.0, 0.0], [1.0, 1.0], [0.0, 0.0])
    assert pa.tolist() == [1.0, 1.0] and pb == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize("name", [c.name for c in CLAIM.checks])
def test_claim_checks_pass(name):
    k = [c.name for c in CLAIM.checks].index(name)
    ev = CLAIM.checks[k].run(check_rng(0, "wide1N1", k), samples=6)
    assert ev.passed, (ev.max_error, ev.worst_instance)


def test_wrong_closed_form_is_caught(monkeypatch):
    import linrbp.claims.wide1N1 as mod

    real = mod.wide_limit
    monkeypatch.setattr(mod, "wide_limit", lambda *a: tuple(v + 1e-6 for v in real(*a)))
    ev = CLAIM.check("limit-vs-integration").run(check_rng(0, "wide1N1", 0), samples=6)
    assert not ev.passed


def test_perturbed_invariant_is_caught(monkeypatch):
    import linrbp.claims.wide1N1 as mod

    monkeypatch.setattr(mod, "wide_invariants", lambda c, a, b: (b - a ** 2 / c, a - c / c[0] * a[0]))
    ev = CLAIM.check("invariant-drift").run(check_rng(0, "wide1N1", 1), samples=6)
    assert not ev.passed
