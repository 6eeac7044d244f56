"""The compiled field (LinearSystem.transposed_field) equals the general path for every rule."""

import re

import numpy as np
import pytest

import linrbp
from linrbp.core._rules import BUILTIN_RULES  # the rules linrbp registers itself (test modules register others)
from linrbp import DataStats, LinearSystem, feedback_shapes
from _manual_rules import mean_updates as manual_mean

SHAPES = [[1, 1, 1], [1, 1, 1, 1, 1], [2, 3, 2], [5, 4, 3], [3, 2, 2, 2], [2, 1, 3]]


def random_system(layers, rule, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(layers[0], 3 * layers[0] + 2))
    Y = rng.normal(size=(layers[-1], X.shape[1]))
    stats = DataStats.from_samples(X, Y)
    r = linrbp.get_rule(rule)
    fb = [] if r.adaptive else [rng.normal(size=s) for s in feedback_shapes(layers, r)]
    return LinearSystem.create(layers, rule, stats, fb), rng


@pytest.mark.parametrize("rule", list(BUILTIN_RULES))
@pytest.mark.parametrize("layers", SHAPES, ids=lambda l: "x".join(map(str, l)))
def test_transposed_field_equals_general_path(layers, rule):
    system, rng = random_system(layers, rule, seed=len(layers) * 31 + len(rule))
    Y = rng.normal(size=(17, system.n_state))
    general = system(Y)
    fast = system.transposed_field(np.ascontiguousarray(Y.T)).T
    scale = np.abs(general).max()
    assert np.abs(fast - general).max() <= 1e-13 * scale
    # out= is filled in place, and the kernel agrees with the method
    out = np.full((system.n_state, 17), np.nan)
    system.transposed_kernel()(np.ascontiguousarray(Y.T), out)
    assert np.array_equal(out.T, fast)


def test_compiled_code_is_straight_line_numpy_from_the_rule():
    system, _ = random_system([1, 1, 1], "rbp", 0)
    src = system._compiled_field().source
    # S_II, S_TI and the feedback are parameters, not rounded literals
    assert "p0" in src and "p2" in src and not re.search(r"\d\.\d|e-\d", src)


@pytest.mark.parametrize("rule", ["srbp", "bp", "arbp"])
def test_large_systems_fall_back_to_the_general_path(rule):
    """Above COMPILE_MAX_STATE no code is generated; the field it then evaluates is checked
    against the rule written out by hand (tests/_manual_rules.py), not against itself."""
    layers = [9, 8, 7]
    rng = np.random.default_rng(3)
    X = rng.normal(size=(layers[0], 3 * layers[0] + 2))
    T = rng.normal(size=(layers[-1], X.shape[1]))
    adaptive = linrbp.get_rule(rule).adaptive
    fb = [rng.normal(size=s) for s in feedback_shapes(layers, rule)]
    system = LinearSystem.create(layers, rule, DataStats.from_samples(X, T), [] if adaptive else fb)
    assert system.n_state > linrbp.core._field.COMPILE_MAX_STATE
    assert system._compiled_field() is None
    Y = rng.normal(size=(5, system.n_state))
    fast = system.transposed_field(Y.T.copy()).T
    for k in range(len(Y)):
        weights, feedback = system.unpack(Y[k])
        mA, mC = manual_mean(rule, X, T, weights, feedback if adaptive else fb)
        expected = np.concatenate([m.ravel() for m in mA + mC])
        assert np.abs(fast[k] - expected).max() <= 1e-12 * np.abs(expected).max()


def test_comparison_detects_a_different_rule():
    """The equality test can fail: the compiled srbp field is not the rbp field."""
    rbp, rng = random_system([1, 1, 1, 1], "rbp", 5)
    srbp = LinearSystem.create(rbp.layers, "srbp", rbp.stats, list(rbp.feedback))
    Y = rng.normal(size=(9, rbp.n_state))
    diff = srbp.transposed_field(Y.T.copy()).T - rbp(Y)
    assert np.abs(diff).max() > 1e-3


def test_velocity_runs_on_sympy_matrices():
    """forward_products accepts sympy matrices, so the symbolic twin goes through the rule."""
    import sympy as sp
    a, b = sp.symbols("a b")
    F = linrbp.forward_products([sp.Matrix([[a]]), sp.Matrix([[b]])], 1)
    assert F[0] == sp.eye(1) and sp.expand(F[2][0, 0] - a * b) == 0
