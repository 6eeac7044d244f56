"""The learning rules of docs/theory.md section 0 and the averaged vector field built from them."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import linrbp
from linrbp.core._rules import BUILTIN_RULES  # the rules linrbp registers itself (test modules register others)
from linrbp import DataStats, LinearSystem, backward_signals, drifts, feedback_shapes, updates
from _manual_rules import BSL, mean_updates as manual_mean

RULE_NAMES = list(BUILTIN_RULES)


@st.composite
def networks(draw, rules=RULE_NAMES, min_depth=1, max_depth=4):
    depth = draw(st.integers(min_depth, max_depth))
    layers = draw(st.lists(st.integers(1, 4), min_size=depth + 1, max_size=depth + 1))
    rule = draw(st.sampled_from(rules))
    seed = draw(st.integers(0, 2**32 - 1))
    return layers, rule, seed


def random_problem(layers, rule, seed, m=7):
    """A finite data set (columns are examples), weights and feedback of the right shapes."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(layers[0], m))
    Y = rng.normal(size=(layers[-1], m))
    weights = [rng.normal(size=(layers[h], layers[h - 1])) for h in range(1, len(layers))]
    feedback = [rng.normal(size=s) for s in feedback_shapes(layers, rule)]
    return X, Y, weights, feedback


def per_example_mean(rule, X, Y, weights, feedback):
    """Mean over examples of linrbp's own per-example updates, one example at a time, plus the
    rule's data-independent drifts (weight decay, weight mirrors), which average to themselves.

    This runs the same rule code as the field (``backward_signals``, ``updates``, ``drifts``), so
    comparing the two is a CONSISTENCY check of the averaging, not an independent route; the
    independent route is tests/_manual_rules.py (the five [BSL] rules written out by hand)."""
    m = X.shape[1]
    dA_sum = [np.zeros_like(W) for W in weights]
    dC_sum = [np.zeros_like(C) for C in feedback]
    for k in range(m):
        acts = [X[:, k:k + 1]]
        for W in weights:
            acts.append(W @ acts[-1])
        deltas = backward_signals(rule, weights, feedback, Y[:, k:k + 1] - acts[-1])
        dA, dC = updates(rule, deltas, acts)
        dA_sum = [s + d for s, d in zip(dA_sum, dA)]
        if linrbp.get_rule(rule).adaptive:
            dC_sum = [s + d if d is not None else s for s, d in zip(dC_sum, dC)]
    W, D = drifts(rule, weights, feedback)
    return ([s / m + (0 if w is None else w) for s, w in zip(dA_sum, W)],
            [s / m + (0 if d is None else d) for s, d in zip(dC_sum, D)])


@settings(max_examples=60, deadline=None)
@given(networks())
def test_consistency_averaged_field_is_the_mean_of_the_rules_per_example_updates(net):
    layers, rule, seed = net
    X, Y, weights, feedback = random_problem(layers, rule, seed)
    stats = DataStats.from_samples(X, Y)
    system = LinearSystem.create(layers, rule, stats, [] if linrbp.get_rule(rule).adaptive else feedback)
    dA, dC = system.velocity(weights, feedback)
    mA, mC = per_example_mean(rule, X, Y, weights, feedback)
    for a, b in zip(dA, mA):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    if linrbp.get_rule(rule).adaptive:
        assert len(dC) == len(feedback) > 0 or len(layers) == 2
        for a, b in zip(dC, mC):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(networks(rules=list(BSL)))
def test_averaged_field_equals_the_hand_written_per_example_rules(net):
    """Independent route: the field against the five rules written out by hand (no linrbp code)."""
    layers, rule, seed = net
    X, Y, weights, feedback = random_problem(layers, rule, seed)
    adaptive = rule in ("arbp", "asrbp")
    system = LinearSystem.create(layers, rule, DataStats.from_samples(X, Y), [] if adaptive else feedback)
    dA, dC = system.velocity(weights, feedback)
    mA, mC = manual_mean(rule, X, Y, weights, feedback)
    assert len(dA) == len(mA) and len(dC if adaptive else []) == len(mC)
    for a, b in zip(dA + (dC if adaptive else []), mA + mC):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rule", ["srbp", "asrbp", "rbp", "arbp"])
def test_depth_three_fields_at_equal_widths_against_hand_written_rules(rule):
    """A[2,3,3,3]: at equal widths a rule reading delta_{h+1} where it should read delta_L (or
    the reverse) has the right shapes, so only the values can tell (dC_1 of ASRBP differs by
    O(1) there)."""
    layers = [2, 3, 3, 3]
    X, Y, weights, feedback = random_problem(layers, rule, 2024, m=9)
    adaptive = rule.startswith("a")
    system = LinearSystem.create(layers, rule, DataStats.from_samples(X, Y), [] if adaptive else feedback)
    dA, dC = system.velocity(weights, feedback)
    mA, mC = manual_mean(rule, X, Y, weights, feedback)
    for a, b in zip(dA + (dC if adaptive else []), mA + mC):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    # the two readings really differ on this instance (so the comparison has power)
    other = {"srbp": "rbp", "rbp": "srbp", "asrbp": "arbp", "arbp": "asrbp"}[rule]
    oA, oC = manual_mean(other, X, Y, weights, feedback)
    assert max(np.abs(a - b).max() for a, b in zip(mA[:1] + mC[:1], oA[:1] + oC[:1])) > 1e-2


def loss(weights, X, Y):
    P = weights[0]
    for W in weights[1:]:
        P = W @ P
    R = Y - P @ X
    return 0.5 * np.mean(np.sum(R * R, axis=0))


@settings(max_examples=40, deadline=None)
@given(networks(rules=["bp"]))
def test_bp_field_is_minus_the_gradient(net):
    layers, rule, seed = net
    X, Y, weights, _ = random_problem(layers, rule, seed)
    system = LinearSystem.create(layers, "bp", DataStats.from_samples(X, Y))
    dA, _ = system.velocity(weights)
    eps = 1e-6
    for h, W in enumerate(weights):
        grad = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            plus = [w.copy() for w in weights]
            minus = [w.copy() for w in weights]
            plus[h][idx] += eps
            minus[h][idx] -= eps
            grad[idx] = (loss(plus, X, Y) - loss(minus, X, Y)) / (2 * eps)
        np.testing.assert_allclose(dA[h], -grad, rtol=1e-6, atol=1e-7)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=3, max_size=3), st.integers(0, 2**32 - 1))
def test_rbp_and_srbp_coincide_with_one_hidden_layer(layers, seed):
    X, Y, weights, fb = random_problem(layers, "rbp", seed)
    stats = DataStats.from_samples(X, Y)
    rbp = LinearSystem.create(layers, "rbp", stats, fb).velocity(weights)[0]
    srbp = LinearSystem.create(layers, "srbp", stats, fb).velocity(weights)[0]
    for a, b in zip(rbp, srbp):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(2, 5), st.integers(0, 2**32 - 1))
def test_rbp_equals_srbp_with_products_of_feedback_at_equal_widths(width, depth, seed):
    layers = [width] * (depth + 1)
    X, Y, weights, fb = random_problem(layers, "rbp", seed)
    stats = DataStats.from_samples(X, Y)
    # SRBP's C'_h = C_h C_{h+1} ... C_{L-1}
    skipped = []
    for h in range(len(fb)):
        M = np.eye(width)
        for C in fb[h:]:
            M = M @ C
        skipped.append(M)
    rbp = LinearSystem.create(layers, "rbp", stats, fb).velocity(weights)[0]
    srbp = LinearSystem.create(layers, "srbp", stats, skipped).velocity(weights)[0]
    for a, b in zip(rbp, srbp):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=5), st.integers(0, 2**32 - 1))
def test_top_layer_update_is_the_same_under_every_rule(layers, seed):
    X, Y, weights, _ = random_problem(layers, "bp", seed)
    stats = DataStats.from_samples(X, Y)
    rng = np.random.default_rng(seed + 1)
    tops = []
    for rule in RULE_NAMES:  # every registered rule, without weight decay
        fb = [rng.normal(size=s) for s in feedback_shapes(layers, rule)]
        r = linrbp.get_rule(rule)
        r = r.with_parameters(weight_decay=0.0) if "weight_decay" in r.parameter_names else r
        system = LinearSystem.create(layers, r, stats, [] if r.adaptive else fb)
        tops.append(system.velocity(weights, fb)[0][-1])
    for t in tops[1:]:
        np.testing.assert_array_equal(t, tops[0])
    # and weight decay lambda adds exactly -lambda A_L to it
    lam = 0.37
    system = LinearSystem.create(layers, "bp", stats, parameters={"weight_decay": lam})
    np.testing.assert_allclose(system.velocity(weights)[0][-1], tops[0] - lam * weights[-1],
                               rtol=1e-13, atol=1e-13)


def test_feedback_shapes_follow_theory():
    layers = [5, 4, 3, 2]
    assert feedback_shapes(layers, "bp") == []
    assert feedback_shapes(layers, "rbp") == [(4, 3), (3, 2)]
    assert feedback_shapes(layers, "arbp") == [(4, 3), (3, 2)]
    assert feedback_shapes(layers, "srbp") == [(4, 2), (3, 2)]
    assert feedback_shapes(layers, "asrbp") == [(4, 2), (3, 2)]


def test_adaptive_feedback_moves_as_the_transposed_layer_above():
    """ARBP: dC_h/dt = (dA_{h+1}/dt)^T (docs/theory.md section 0)."""
    layers = [3, 4, 2, 3]
    X, Y, weights, fb = random_problem(layers, "arbp", 5)
    system = LinearSystem.create(layers, "arbp", DataStats.from_samples(X, Y))
    dA, dC = system.velocity(weights, fb)
    for h in range(len(fb)):
        np.testing.assert_allclose(dC[h], dA[h + 1].T, rtol=1e-13, atol=1e-13)


def test_the_rules_run_on_sympy_matrices():
    a1, a2, c1, e, i = sp.symbols("a1 a2 c1 e i")
    W = [sp.Matrix([[a1]]), sp.Matrix([[a2]])]
    deltas = backward_signals("rbp", W, [sp.Matrix([[c1]])], sp.Matrix([[e]]))
    dA, _ = updates("rbp", deltas, [sp.Matrix([[i]]), sp.Matrix([[a1 * i]]), sp.Matrix([[a1 * a2 * i]])])
    assert sp.simplify(dA[0][0] - c1 * e * i) == 0
    assert sp.simplify(dA[1][0] - a1 * i * e) == 0
    deltas = backward_signals("bp", W, [], sp.Matrix([[e]]))
    assert sp.simplify(deltas[0][0] - a2 * e) == 0


def test_a_wrong_rule_is_caught_by_the_per_example_bridge():
    """The bridge test can fail: BP's per-example mean differs from RBP's field."""
    layers = [2, 3, 2]
    X, Y, weights, fb = random_problem(layers, "rbp", 11)
    system = LinearSystem.create(layers, "rbp", DataStats.from_samples(X, Y), fb)
    dA, _ = system.velocity(weights)
    mA, _ = per_example_mean("bp", X, Y, weights, [])
    assert not np.allclose(dA[0], mA[0])
    np.testing.assert_allclose(dA[1], mA[1])  # the top layer agrees, as Fact 1 says


def test_unknown_rule_is_a_value_error():
    with pytest.raises(ValueError, match="rule: unknown rule 'xbp'"):
        linrbp.get_rule("xbp")
