"""Autoencoder closed forms (docs/theory.md 5 and 9), their claims, predictors and `simulate`."""

import json

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import linrbp
from linrbp import DataStats, InputError, LinearSystem, autoencoder_limit, autoencoder_product
from linrbp.closed_forms._autoencoder import autoencoder_invariant, autoencoder_lambda
from linrbp.claims import get_claims
from linrbp.claims import autoencoder as ae
from linrbp.claims import autoencoder_general as aeg
from linrbp.cli import main

DATA = "tests/data"


def _check(claim, prefix):
    """A numeric check by name (symbolic checks of other modules may be prepended)."""
    return next(c for c in claim.checks if c.name.startswith(prefix))


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-3, 1e3), st.floats(-1e3, 1e3))
def test_lambda_is_the_unique_positive_root_of_the_cubic(c2, K):
    lam = autoencoder_lambda(c2, K)
    roots = np.roots([c2 / 2, 0.0, K, -1.0])  # independent route: companion matrix
    positive = [r.real for r in roots if abs(r.imag) <= 1e-7 * abs(r) and r.real > 0]
    assert len(positive) == 1
    assert lam > 0
    assert abs(lam - positive[0]) <= 1e-6 * lam


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_whitened_limit_is_a_fixed_point_on_the_start_level_set(N, seed):
    rng = np.random.default_rng(seed)
    C, A, B = rng.normal(size=(1, N)), rng.normal(size=(1, N)), rng.normal(size=(N, 1))
    A_inf, B_inf, lam = autoencoder_limit(C, A, B)
    system = LinearSystem.create([N, 1, N], "rbp", DataStats.whitened(N), [C])
    field = system(system.pack([A_inf, B_inf]))
    assert np.abs(field).max() <= 1e-12 * max(1.0, np.abs(A_inf).max(), np.abs(B_inf).max()) ** 3
    K0 = autoencoder_invariant(C, A, B)
    assert abs(autoencoder_invariant(C, A_inf, B_inf) - K0) <= 1e-12 * max(1.0, abs(K0), lam ** 2 * np.sum(C * C))
    np.testing.assert_allclose(B_inf @ A_inf, C.T @ C / np.sum(C * C), atol=1e-13)


def test_reference_integrator_reaches_the_whitened_limit():
    rng = np.random.default_rng(7)
    N = 4
    C, A, B = rng.normal(size=(1, N)), 0.5 * rng.normal(size=(1, N)), 0.5 * rng.normal(size=(N, 1))
    system = LinearSystem.create([N, 1, N], "rbp", DataStats.whitened(N), [C])
    res = linrbp.integrate(system, system.pack([A, B]), 1e5, rtol=1e-13, atol=1e-15)
    assert res.status[0] == "converged"
    (A1, B1), _ = system.unpack(res.y[0])
    A_inf, B_inf, _ = autoencoder_limit(C, A, B)
    assert np.abs(A1 - A_inf).max() <= 1e-8 * np.abs(A_inf).max()
    assert np.abs(B1 - B_inf).max() <= 1e-8 * np.abs(B_inf).max()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 7), st.integers(0, 2**32 - 1))
@example(N=5, seed=14664652)  # cond(C S C^T) = 1.9e10: the direct solve was 7.5e-7 off the identity
def test_general_product_is_the_S_orthogonal_projection_onto_span_S_CT(N, seed):
    rng = np.random.default_rng(seed)
    p = int(rng.integers(1, N + 1))
    S = np.cov(rng.normal(size=(N, 3 * N + 3))) + 0.1 * np.eye(N)
    C = rng.normal(size=(p, N))
    P = autoencoder_product(S, C)
    np.testing.assert_allclose(P @ P, P, atol=1e-9 * max(1, np.abs(P).max()))
    # P fixes S C^T and kills the S^{-1}-orthogonal complement of row(C): P v = 0 iff C v = 0.
    np.testing.assert_allclose(P @ S @ C.T, S @ C.T, atol=1e-9 * np.abs(S @ C.T).max())
    null = np.linalg.svd(C)[2][p:].T
    if null.size:
        assert np.abs(P @ null).max() <= 1e-9
    if p == N:
        np.testing.assert_allclose(P, np.eye(N), atol=1e-9)


def test_closed_forms_reject_bad_input():
    with pytest.raises(InputError, match="C"):
        autoencoder_limit([[0.0, 0.0]], [[1.0, 2.0]], [[1.0], [2.0]])
    with pytest.raises(InputError, match="B"):
        autoencoder_limit([[1.0, 0.0]], [[1.0, 2.0]], [[1.0, 2.0]])
    with pytest.raises(InputError, match="full row rank"):
        autoencoder_product(np.eye(3), [[1.0, 0, 0], [2.0, 0, 0]])
    with pytest.raises(InputError, match="positive definite"):
        autoencoder_product(np.diag([1.0, 0.0]), [[1.0, 0.0]])


@pytest.mark.parametrize("name", ["matrix_autoencoder_whitened", "matrix_autoencoder_general",
                                  "matrix_single_hidden"])
def test_simulate_reaches_the_predicted_limit(name, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["simulate", f"{DATA}/{name}.json", "--json", str(out)]) == 0
    rec = json.loads(out.read_text())
    assert rec["status"] == "converged"
    pred = rec["predicted"]
    assert pred is not None
    P, Pp = np.array(rec["product"]), np.array(pred["product"])
    assert np.abs(P - Pp).max() <= 1e-8 * np.abs(Pp).max()
    if pred["weights"] is not None:
        for W, Wp in zip(rec["weights"], pred["weights"]):
            assert np.abs(np.array(W) - np.array(Wp)).max() <= 1e-8 * np.abs(np.array(Wp)).max()
    inst = json.loads(open(f"{DATA}/{name}.json").read())
    expected = {"matrix_autoencoder_whitened": "autoencoder",
                "matrix_autoencoder_general": "autoencoder-general",
                "matrix_single_hidden": "single-hidden"}[name]
    assert pred["system"] == expected, inst["name"]


def test_predictors_decline_other_systems():
    inst = linrbp.parse_instance(json.load(open(f"{DATA}/matrix_autoencoder_general.json")))
    assert ae.predict_whitened(inst) is None  # S is not the identity
    d = json.load(open(f"{DATA}/matrix_autoencoder_general.json"))
    d["sigma_ti"] = (0.5 * np.array(d["sigma_ti"])).tolist()
    assert aeg.predict_general(linrbp.parse_instance(d)) is None  # S_TI != S_II
    d["rule"] = "bp"
    d["feedback"] = []
    # no autoencoder predictor answers for BP; BP's own limit does (issue 26)
    assert linrbp.predict(linrbp.parse_instance(d))["system"] == "bp-limit"


def _run(check, samples=3, seed=0):
    return check.run(np.random.default_rng(seed), samples)


def test_autoencoder_claim_passes():
    (claim,) = get_claims(["autoencoder"])
    for chk in claim.checks:
        ev = _run(chk)
        assert ev.passed, (chk.name, ev.max_error)


@settings(max_examples=25, deadline=None)
@given(_check(ae.CLAIM, "Lemma 1: dK/dt").strategy())
def test_lemma1_rate_property(inst):
    assert ae.invariant_rate_error(inst) <= _check(ae.CLAIM, "Lemma 1: dK/dt").tolerance


def test_lemma1_checks_fail_under_the_wrong_rule(monkeypatch):
    """K is conserved by RBP; a field whose backward pass is BP's does not conserve it."""
    import linrbp.core._rule_run as rules  # the averaged field runs the rule's backward pass from here
    from linrbp.core._rule_run import backward_signals

    rng = np.random.default_rng(3)
    insts = [ae._random_data_instance(rng) for _ in range(3)]
    assert max(ae.invariant_rate_error(d) for d in insts) <= 1e-12
    assert max(ae.invariant_drift_errors(insts)) <= 1e-9
    monkeypatch.setattr(rules, "backward_signals",
                        lambda rule, w, fb, d, **kw: backward_signals("bp", w, [], d, **kw))
    assert max(ae.invariant_rate_error(d) for d in insts) > 1e-3
    assert max(ae.invariant_drift_errors(insts)) > 1e-3


def test_theorem6_check_fails_with_a_wrong_closed_form(monkeypatch):
    good = ae.autoencoder_limit

    def wrong(C, A, B):
        A_inf, B_inf, lam = good(C, A, B)
        return 1.001 * A_inf, B_inf / 1.001, 1.001 * lam

    monkeypatch.setattr(ae, "autoencoder_limit", wrong)
    ev = _run(_check(ae.CLAIM, "Theorem 6"), samples=2)
    assert not ev.passed and ev.max_error > 1e-4


def test_general_limit_check_fails_with_the_orthogonal_projection(monkeypatch):
    monkeypatch.setattr(aeg, "autoencoder_product",
                        lambda S, C: np.asarray(C).T @ np.linalg.solve(np.asarray(C) @ np.asarray(C).T, C))
    ev = _run(_check(aeg.CLAIM, "trajectories reach"), samples=2)
    assert not ev.passed


def test_top_eigenspace_optimality_is_specific_to_that_row_space():
    rng = np.random.default_rng(5)
    inst = aeg._top_eigenspace_instance(rng)
    assert aeg.optimality_error(inst) <= 1e-12
    S = np.array(inst["sigma_ii"])
    p = inst["layers"][1]
    if p < len(S):
        inst["feedback"] = [rng.normal(size=(p, len(S))).tolist()]
        assert aeg.optimality_error(inst) > 1e-6  # a generic row space is not optimal


def test_general_claim_passes():
    (claim,) = get_claims(["autoencoder-general"])
    for chk in claim.checks:
        ev = _run(chk)
        assert ev.passed, (chk.name, ev.max_error)


@settings(max_examples=40, deadline=None)
@given(_check(aeg.CLAIM, "fixed points").strategy())
def test_general_fixed_points_property(inst):
    assert aeg.fixed_point_error(inst) <= 1e-12


def test_general_fixed_point_check_fails_off_the_row_space():
    rng = np.random.default_rng(9)
    inst = aeg._fixed_point_instance(rng)
    while inst["layers"][1] == inst["layers"][0]:  # p < N so that row(C) is a proper subspace
        inst = aeg._fixed_point_instance(rng)
    inst["feedback"] = [rng.normal(size=np.array(inst["feedback"][0]).shape).tolist()]
    assert aeg.fixed_point_error(inst) > 1e-6
