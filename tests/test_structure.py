"""Structural identities of the rules (docs/theory.md 8), ARBP's and BP's conservation laws, the
backward-pass cost counts, and the batched ensemble field used by the matrix claims."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linrbp
from linrbp.core._rules import BUILTIN_RULES  # the rules linrbp registers itself (test modules register others)
from linrbp import DataStats, LinearSystem, feedback_shapes
from linrbp.claims import get_claims
from linrbp.integration._ensemble import Ensemble, integrate_systems
from linrbp.claims import bp_balance as bpb
from linrbp.claims import structure as sc


def _check(claim, prefix):
    """A numeric check by name (symbolic checks of other modules may be prepended)."""
    return next(c for c in claim.checks if c.name.startswith(prefix))


@pytest.mark.parametrize("claim_id", ["structure", "bp-balance"])
def test_claims_pass(claim_id):
    (claim,) = get_claims([claim_id])
    for chk in claim.checks:
        ev = chk.run(np.random.default_rng(2), 3)
        assert ev.passed, (chk.name, ev.max_error)


@settings(max_examples=30, deadline=None)
@given(_check(sc.CLAIM, "Fact 1").strategy())
def test_facts_1_to_3_property(inst):
    assert sc.fact1_error(inst) == 0.0
    assert sc.fact2_error(inst) == 0.0
    assert sc.fact3_error(inst) == 0.0


@settings(max_examples=40, deadline=None)
@given(_check(sc.CLAIM, "Fact 4").strategy())
def test_fact4_property(inst):
    assert sc.fact4_error(inst) == 0.0


def test_fact4_fails_without_sign_congruence():
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(40):
        inst = sc._fact4_instance(rng)
        for r in ("rbp", "srbp", "arbp", "asrbp"):
            C = np.array(inst["feedback"][r][0])
            C[0, 0] = -C[0, 0]  # one entry of the wrong sign
            inst["feedback"][r] = [C.tolist()]
        worst = max(worst, sc.fact4_error(inst))
    assert worst > 0.0


def test_equal_width_equivalence_fails_with_the_product_reversed():
    rng = np.random.default_rng(1)
    inst = sc._averaged_instance(rng, [3, 3, 3, 3, 3])
    assert sc.rbp_srbp_equal_width_error(inst) <= 1e-12
    C = [np.array(M) for M in inst["chain"]]
    wrong = [C[2] @ C[1] @ C[0], C[2] @ C[1], C[2]]
    f1 = sc._field(inst, "rbp", C)
    f2 = sc._field(inst, "srbp", wrong)
    assert np.abs(f1 - f2).max() > 1e-3 * np.abs(f1).max()


def test_arbp_conservation_fails_for_asrbp_in_deep_nets():
    rng = np.random.default_rng(4)
    inst = sc._arbp_instance(rng, [2, 2, 2, 2])  # equal widths: C_h has A_{h+1}^T's shape
    assert sc.arbp_rate_error(inst) <= 1e-12
    inst["rule"] = "asrbp"  # C_h learns from delta_L, not delta_{h+1}
    assert sc.arbp_rate_error(inst) > 1e-3


def test_counting_matrix_counts_products():
    counter = [0]
    a = sc.CountingMatrix(np.ones((2, 3)), counter)
    b = sc.CountingMatrix(np.ones((3, 4)), counter)
    c = a @ b
    assert counter[0] == 24 and c.array.shape == (2, 4)
    (a.swapaxes(-1, -2).swapaxes(-1, -2)) @ b
    assert counter[0] == 48


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=2, max_size=7))
def test_backward_cost_counts(layers):
    L = len(layers) - 1
    W = sum(layers[h] * layers[h - 1] for h in range(1, L + 1))
    W_skip = sum(layers[h] * layers[L] for h in range(1, L))
    for rule in ("bp", "rbp", "arbp"):
        # docs/theory.md says W; the rule never sends a signal below layer 1, so A_1 is not used.
        assert sc.backward_multiplications(rule, layers) == W - layers[1] * layers[0]
    for rule in ("srbp", "asrbp"):
        assert sc.backward_multiplications(rule, layers) == W_skip
    if L >= 2:
        assert W_skip == sum(layers[1:L]) * layers[L]


def test_cost_check_fails_against_the_plain_W(monkeypatch):
    monkeypatch.setattr(sc, "cost_formula", lambda rule, layers: sum(
        layers[h] * layers[h - 1] for h in range(1, len(layers))))
    ev = _check(sc.CLAIM, "backward-pass").run(np.random.default_rng(0), 10)
    assert not ev.passed


@settings(max_examples=40, deadline=None)
@given(_check(bpb.CLAIM, "d/dt (A_{h+1}").strategy())
def test_bp_balance_property(inst):
    assert bpb.rate_error(inst) <= 1e-12


def test_bp_balance_fails_under_rbp():
    rng = np.random.default_rng(6)
    inst = bpb.random_instance(rng, [3, 2, 3, 2])
    inst["rule"] = "rbp"
    inst["feedback"] = [rng.normal(size=s).tolist() for s in feedback_shapes([3, 2, 3, 2], "rbp")]
    assert bpb.rate_error(inst) > 1e-3
    assert max(bpb.drift_errors([inst])) > 1e-3


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.sampled_from(list(BUILTIN_RULES)),
       st.integers(0, 2**32 - 1))
def test_ensemble_field_equals_linear_system_per_instance(layers, rule, seed):
    rng = np.random.default_rng(seed)
    systems, states = [], []
    adaptive = linrbp.get_rule(rule).adaptive
    for _ in range(3):
        stats = DataStats.from_samples(rng.normal(size=(layers[0], 6)), rng.normal(size=(layers[-1], 6)))
        fb = [rng.normal(size=s) for s in feedback_shapes(layers, rule)]
        s = LinearSystem.create(layers, rule, stats, [] if adaptive else fb)
        systems.append(s)
        w = [rng.normal(size=(layers[h], layers[h - 1])) for h in range(1, len(layers))]
        states.append(s.pack(w, fb))
    ens = Ensemble(systems[0].layers, systems[0].rule)
    F = ens(ens.pack(systems, states))
    for k, s in enumerate(systems):
        assert np.array_equal(F[k, :s.n_state], s(states[k]))
        assert not np.any(F[k, s.n_state:])


def test_integrate_systems_matches_the_reference_integrator():
    rng = np.random.default_rng(8)
    systems, states = [], []
    for layers in ([3, 2, 4], [3, 2, 4], [2, 2]):
        stats = DataStats.from_samples(rng.normal(size=(layers[0], 9)), rng.normal(size=(layers[-1], 9)))
        fb = [rng.normal(size=s) for s in feedback_shapes(layers, "rbp")]
        s = LinearSystem.create(layers, "rbp", stats, fb)
        systems.append(s)
        states.append(0.3 * rng.normal(size=s.n_state))
    res = integrate_systems(systems, states, 1e5, rtol=1e-13, atol=1e-15)
    for k, s in enumerate(systems):
        ref = linrbp.integrate(s, states[k], 1e5, rtol=1e-13, atol=1e-15)
        assert res.status[k] == ref.status[0] == "converged"
        P = s.product(s.unpack(res.y[k, :s.n_state])[0])
        Pr = s.product(s.unpack(ref.y[0])[0])
        assert np.abs(P - Pr).max() <= 1e-9 * np.abs(Pr).max()
