"""Single hidden layer A[N0,N1,N2] (docs/theory.md 6): Theorem 8 target, conserved Q, claims, and the
limit relations of Theorem 9."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linrbp
from linrbp import DataStats, InputError, LinearSystem, single_hidden_target
from linrbp.closed_forms._autoencoder import full_column_rank, single_hidden_invariant
from linrbp.claims import get_claims
from linrbp.closed_forms._limits import late_window_change, limit_relations, relations_jacobian
from linrbp.claims import single_hidden as sh


def _check(claim, prefix):
    """A numeric check by name (symbolic checks of other modules may be prepended)."""
    return next(c for c in claim.checks if c.name.startswith(prefix))


def _instance(shape, seed):
    return sh.random_instance(np.random.default_rng(seed), (shape,))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_target_is_the_least_squares_product(N0, N1, N2, seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(N0, 4 * N0 + 2)), rng.normal(size=(N2, 4 * N0 + 2))
    stats = DataStats.from_samples(X, Y)
    C1 = rng.normal(size=(N1, N2))
    t = single_hidden_target(C1, stats.sigma_ii, stats.sigma_ti)
    P = np.linalg.lstsq(X.T, Y.T, rcond=None)[0].T  # independent route: least squares on samples
    np.testing.assert_allclose(t["c1_product"], C1 @ P, atol=1e-9 * max(1, np.abs(C1 @ P).max()))
    assert t["full_column_rank"] == (N1 >= N2)  # a random C1 has full rank almost surely
    if N1 >= N2:
        np.testing.assert_allclose(t["product"], P, atol=1e-9 * max(1, np.abs(P).max()))
    else:
        assert t["product"] is None


def test_target_rejects_bad_input():
    with pytest.raises(InputError, match="positive definite"):
        single_hidden_target(np.eye(2), np.diag([1.0, 0.0]), np.zeros((2, 2)))
    with pytest.raises(InputError, match="C1"):
        single_hidden_target(np.ones((2, 3)), np.eye(2), np.zeros((2, 2)))
    assert not full_column_rank(np.array([[1.0, 2.0], [2.0, 4.0]]))


@settings(max_examples=60, deadline=None)
@given(_check(sh.CLAIM, "dQ/dt").strategy())
def test_q_is_stationary_property(inst):
    assert sh.invariant_rate_error(inst) <= 1e-12


def test_q_checks_fail_under_the_wrong_rule(monkeypatch):
    import linrbp.core._rule_run as rules  # the averaged field runs the rule's backward pass from here
    from linrbp.core._rule_run import backward_signals

    insts = [_instance((3, 2, 4), k) for k in range(3)]
    monkeypatch.setattr(rules, "backward_signals",
                        lambda rule, w, fb, d, **kw: backward_signals("bp", w, [], d, **kw))
    assert max(sh.invariant_rate_error(d) for d in insts) > 1e-3
    assert max(sh.invariant_drift_errors(insts)) > 1e-3


def test_reference_integrator_reaches_theorem8_with_c1_rank_deficient():
    d = _instance((3, 2, 4), 11)
    p = linrbp.parse_instance(d)
    res = linrbp.integrate(p.system, p.y0, 1e5, rtol=1e-13, atol=1e-15)
    assert res.status[0] == "converged"
    (A1, A2), _ = p.system.unpack(res.y[0])
    C1 = p.feedback[0]
    t = single_hidden_target(C1, p.system.stats.sigma_ii, p.system.stats.sigma_ti)
    assert np.abs(C1 @ A2 @ A1 - t["c1_product"]).max() <= 1e-8 * np.abs(t["c1_product"]).max()
    # With N1 < N2 the product itself need not be the least-squares solution.
    assert np.abs(A2 @ A1 - p.system.stats.optimum()).max() > 1e-6


def test_theorem8_check_fails_with_a_wrong_target(monkeypatch):
    good = sh.single_hidden_target

    def wrong(C1, sii, sti):
        t = good(C1, sii, sti)
        t["c1_product"] = t["c1_product"] * (1 + 1e-6)
        return t

    monkeypatch.setattr(sh, "single_hidden_target", wrong)
    ev = _check(sh.CLAIM, "Theorem 8: C1 A2 A1").run(np.random.default_rng(0), 2)
    assert not ev.passed and ev.max_error > 1e-7


def test_single_hidden_claim_passes():
    (claim,) = get_claims(["single-hidden"])
    for chk in claim.checks:
        ev = chk.run(np.random.default_rng(1), 2)
        assert ev.passed, (chk.name, ev.max_error)


def test_complex_step_jacobian_matches_finite_differences():
    p = linrbp.parse_instance(_instance((3, 2, 4), 2))
    Q0 = single_hidden_invariant(p.feedback[0], *p.weights)
    J, _, _ = relations_jacobian(p.system, p.y0, Q0)
    h = 1e-6
    for k in range(p.y0.size):
        e = np.zeros(p.y0.size)
        e[k] = h
        fd = (limit_relations(p.system, p.y0 + e, Q0) - limit_relations(p.system, p.y0 - e, Q0)) / (2 * h)
        np.testing.assert_allclose(J[:, k], fd, atol=1e-7 * max(1, np.abs(J).max()))


def test_theorem10_limit_relations_leave_a_curve_of_solutions():
    """A[2,2,2], S = C1 = Id: at the integrated limit the relations R = [field, Q - Q(0)] have a
    rank-7 Jacobian (8 unknowns), and Gauss-Newton from the limit pushed along the null vector
    lands on *other* exact solutions: the set R = 0 is a curve, not discrete, yet A and B
    converge individually (the window test)."""
    s = LinearSystem.create([2, 2, 2], "rbp", DataStats.whitened(2), [np.eye(2)])
    y0 = 0.5 * np.random.default_rng(0).normal(size=8)
    Q0 = single_hidden_invariant(np.eye(2), *s.unpack(y0)[0])
    res = linrbp.integrate(s, y0, 1e5, rtol=1e-13, atol=1e-15)
    y_inf = res.y[0]
    change, field_after, _ = late_window_change(s, y_inf, 100.0)
    assert change <= 1e-8 and field_after <= 1e-11
    J, sv, rank = relations_jacobian(s, y_inf, Q0)
    assert rank == 7 and sv[-1] <= 1e-10 * sv[0]
    v = np.linalg.svd(J)[2][-1]
    for eps in (1e-3, 1e-1):
        y = y_inf + eps * v
        for _ in range(30):
            Jy, _, _ = relations_jacobian(s, y, Q0)
            y = y - np.linalg.lstsq(Jy, limit_relations(s, y, Q0), rcond=None)[0]
        # an exact fixed point on the same level set of Q, a distance ~eps from the limit
        assert np.abs(s(y)).max() <= 1e-12
        A, B = s.unpack(y)[0]
        assert np.abs(single_hidden_invariant(np.eye(2), A, B) - Q0).max() <= 1e-12
        assert 0.5 * eps <= np.linalg.norm(y - y_inf) <= 2 * eps


def test_single_hidden_predictor_needs_full_column_rank():
    p = linrbp.parse_instance(_instance((3, 2, 4), 0))
    assert sh.predict_product(p) is None
    p = linrbp.parse_instance(_instance((2, 4, 3), 0))
    out = sh.predict_product(p)
    np.testing.assert_allclose(out["product"], p.system.stats.optimum(), atol=1e-12)
