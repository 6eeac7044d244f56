"""nonlinear: the moment fields are the mean per-example rule updates; Theorem 12's limit."""

import numpy as np
import pytest
from hypothesis import given, settings

from linrbp import CLAIMS, get_claims, nonlinear_field, nonlinear_limit
from linrbp.catalogue._catalogue import check_rng
from linrbp.claims.nonlinear import per_example_means
from linrbp.strategies import nonlinear_instances

get_claims()
CLAIM = CLAIMS["nonlinear"]
MOM = ("alpha", "beta", "gamma", "delta")


@settings(max_examples=30, deadline=None)
@given(nonlinear_instances())
def test_fields_equal_mean_of_per_example_updates(i):
    m = {k: i[k] for k in MOM}
    y = np.array([i["a1"], i["a2"]])
    for der in (True, False):
        assert nonlinear_field(m, i["c1"], i["mu"], y, der) == pytest.approx(per_example_means(i, der), rel=1e-12, abs=1e-14)


def test_field_without_derivative_differs():
    i = CLAIM.check("limit-vs-integration").sample(check_rng(0, "nonlinear", 0))
    m = {k: i[k] for k in MOM}
    y = np.array([i["a1"], i["a2"]])
    assert not np.allclose(nonlinear_field(m, i["c1"], i["mu"], y, True), per_example_means(i, False), rtol=1e-6)


def test_mu_one_is_the_linear_chain():
    from linrbp import chain111_limit

    assert nonlinear_limit(1.5, 2.0, 0.7, 1.0, 0.3, 0.5) == pytest.approx(chain111_limit(1.5, 2.0, 0.7, 0.3, 0.5), rel=1e-13)


@pytest.mark.parametrize("name", [c.name for c in CLAIM.checks])
def test_claim_checks_pass(name):
    k = [c.name for c in CLAIM.checks].index(name)
    ev = CLAIM.checks[k].run(check_rng(0, "nonlinear", k), samples=8)
    assert ev.passed, (ev.max_error, ev.worst_instance)


def test_wrong_jacobian_is_caught(monkeypatch):
    import linrbp.claims.nonlinear as mod

    real = mod.nonlinear_jacobian
    monkeypatch.setattr(mod, "nonlinear_jacobian", lambda *a, **k: real(*a, **k) * np.array([[1, 1], [1, 1.001]]))
    ev = CLAIM.check("jacobian-vs-finite-differences").run(check_rng(0, "nonlinear", 3), samples=8)
    assert not ev.passed


def test_wrong_rule_is_caught(monkeypatch):
    import linrbp.claims.nonlinear as mod

    real = mod.per_example_means
    monkeypatch.setattr(mod, "per_example_means", lambda i, der=True, rule="srbp": real(i, der, "bp"))
    ev = CLAIM.check("fields-equal-per-example-means").run(check_rng(0, "nonlinear", 2), samples=8)
    assert not ev.passed


def test_wrong_limit_is_caught(monkeypatch):
    import linrbp.claims.nonlinear as mod

    real = mod.nonlinear_limit
    monkeypatch.setattr(mod, "nonlinear_limit", lambda *a: tuple(v * (1 + 1e-7) for v in real(*a)))
    ev = CLAIM.check("limit-vs-integration").run(check_rng(0, "nonlinear", 0), samples=8)
    assert not ev.passed
