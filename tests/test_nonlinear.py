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


def test_integration_runs_the_rule_not_the_moment_formula(monkeypatch):
    """The limit check integrates the rules' own average over the data set: a wrong backward
    pass in linrbp.core._rules moves the integrated limit away from the closed form, while a
    wrong hand-written moment field leaves the integration alone (and the field check catches it)."""
    import linrbp.closed_forms._scalar_systems as sysmod
    import linrbp.claims.nonlinear as mod
    from linrbp.core._rule_run import backward_signals

    k = [c.name for c in CLAIM.checks].index("limit-vs-integration")
    monkeypatch.setattr(mod, "nonlinear_field", lambda *a, **kw: nonlinear_field(*a, **kw) * 1.01)
    assert CLAIM.checks[k].run(check_rng(0, "nonlinear", k), samples=8).passed
    assert not CLAIM.check("fields-equal-per-example-means").run(check_rng(0, "nonlinear", 5), samples=4).passed
    monkeypatch.setattr(sysmod, "backward_signals",
                        lambda *a, **kw: [d * 1.001 for d in backward_signals(*a, **kw)[:-1]]
                        + backward_signals(*a, **kw)[-1:])
    assert not CLAIM.checks[k].run(check_rng(0, "nonlinear", k), samples=8).passed


def test_sampler_draws_both_signs_of_c1_and_every_kind_of_limit():
    from linrbp.closed_forms._scalar_draws import nonlinear_instance

    rng = np.random.default_rng(0)
    kinds = set()
    for _ in range(200):
        i = nonlinear_instance(rng)
        a1, _ = nonlinear_limit(i["alpha"], i["beta"], i["c1"], i["mu"], i["a1"], i["a2"])
        kinds.add((i["c1"] > 0, "zero" if a1 == 0 else "negative" if a1 < 0 else "positive"))
    assert kinds == {(True, "positive"), (False, "positive"), (False, "zero"), (False, "negative")}


def test_negative_c1_limits():
    from linrbp import chain111_limit

    # mu = 1, c1 < 0, h < 0 at the start: a1 falls through 0 to the linear chain's limit.
    # alpha = 1, beta = 1, c1 = -0.5, a1 = 0.2, a2 = 0.1: K = 0.14, h(0.2) = 0.2 (0.14 - 0.04) - 1 < 0.
    a1, a2 = nonlinear_limit(1.0, 1.0, -0.5, 1.0, 0.2, 0.1)
    assert a1 < 0 and (a1, a2) == pytest.approx(chain111_limit(1.0, 1.0, -0.5, 0.2, 0.1), rel=1e-14)
    assert a1 * a2 == pytest.approx(1.0, rel=1e-12)
    # mu = 2, same start: the boundary point (0, K), K = a2 + a1^2 / (4 |c1|) = 0.12.
    assert nonlinear_limit(1.0, 1.0, -0.5, 2.0, 0.2, 0.1) == (0.0, pytest.approx(0.12, rel=1e-14))
    # mu < 1 with nothing ahead: no limit, refused.
    from linrbp.core._errors import InputError
    with pytest.raises(InputError, match="no limit is defined"):
        nonlinear_limit(1.0, 1.0, -0.5, 0.5, 0.2, 0.1)


def test_boundary_limit_reached_in_finite_time_counts_as_arrival():
    """c1 < 0, 1 < mu < 2, nothing ahead: a1 reaches 0 in finite time and the integrator steps
    past it, where a1^mu is NaN (status "non-finite"). The limit check compares a2's gap with
    the closed form's K there (verify --seed 1 drew this instance, the 8th of
    limit-vs-integration, and failed with error inf while the check read only "diverged")."""
    from linrbp.claims.nonlinear import limit_errors

    rng = check_rng(1, "nonlinear", "limit-vs-integration")
    inst = [CLAIM.check("limit-vs-integration").sample(rng) for _ in range(8)][-1]
    assert inst["c1"] < 0 and 1 < inst["mu"] < 2
    assert nonlinear_limit(inst["alpha"], inst["beta"], inst["c1"], inst["mu"], inst["a1"], inst["a2"])[0] == 0.0
    (err,) = limit_errors([inst])
    assert err <= CLAIM.check("limit-vs-integration").tolerance
