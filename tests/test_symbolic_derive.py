"""The derived ODEs (expectations of the per-example rule) against independent numeric routes."""

import numpy as np
import pytest
import sympy as sp

from linrbp import DataStats, LinearSystem, backward_signals, updates
from linrbp.core._errors import InputError
from linrbp.symbolic import (ALPHA, BETA, DELTA, GAMMA, MU, derive_ode, expectation, nonlinear_ode,
                             scalar_chain_ode, wide_ode)

RULES = ["bp", "rbp", "srbp", "arbp", "asrbp"]


def _random_stats(rng, n0, nl):
    X = rng.normal(size=(n0, 3 * n0))
    sii = X @ X.T / (3 * n0)
    sti = rng.normal(size=(nl, n0))
    return sii, sti


def _param_values(system, sii, sti, feedback):
    vals = {}
    for (j, k), s in np.ndenumerate(np.array(system.moments["S_II"].tolist(), dtype=object)):
        vals[s] = sii[j, k]
    for (j, k), s in np.ndenumerate(np.array(system.moments["S_TI"].tolist(), dtype=object)):
        vals[s] = sti[j, k]
    for C, Cn in zip(system.feedback, feedback):
        for s, v in zip(C, np.asarray(Cn).ravel()):
            vals[s] = v
    return [vals[p] for p in system.parameters]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("layers", [[2, 2, 2], [2, 3, 2], [1, 2, 2, 1], [3, 1, 3]])
def test_derived_matrix_ode_equals_linear_system_field(rule, layers):
    rng = np.random.default_rng(len(layers) * 7 + RULES.index(rule))
    s = derive_ode(layers, rule)
    f = s.lambdify()
    sii, sti = _random_stats(rng, layers[0], layers[-1])
    from linrbp.core._rules import feedback_shapes
    shapes = feedback_shapes(layers, rule)
    adaptive = rule in ("arbp", "asrbp")
    fixed_fb = [] if adaptive else [rng.normal(size=sh) for sh in shapes]
    sysm = LinearSystem.create(layers, rule, DataStats.from_matrices(sii, sti), fixed_fb)
    params = _param_values(s, sii, sti, fixed_fb)
    for _ in range(3):
        y = rng.normal(size=sysm.n_state)
        got = np.array(f(list(y), *params), dtype=float)
        want = sysm(y)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rule", RULES)
def test_scalar_chain_ode_equals_linear_system(rule):
    rng = np.random.default_rng(11)
    L = 3
    s = scalar_chain_ode(L, rule)
    al, be = rng.normal(), abs(rng.normal()) + 0.1
    adaptive = rule in ("arbp", "asrbp")
    fb = [] if adaptive or rule == "bp" else [rng.normal(size=(1, 1)) for _ in range(L - 1)]
    sysm = LinearSystem.create([1] * (L + 1), rule, DataStats.from_matrices([[be]], [[al]]), fb)
    f = sp.lambdify([s.states] + s.parameters, s.field)
    y = rng.normal(size=sysm.n_state)
    got = np.array(f(list(y), al, be, *[float(c[0, 0]) for c in fb]), dtype=float)
    np.testing.assert_allclose(got, sysm(y), rtol=1e-12, atol=1e-12)


def test_wide_ode_equals_linear_system():
    rng = np.random.default_rng(12)
    N = 3
    s = wide_ode(N)
    al, be = 0.7, 1.3
    c = rng.normal(size=(N, 1))
    sysm = LinearSystem.create([1, N, 1], "srbp", DataStats.from_matrices([[be]], [[al]]), [c])
    f = s.lambdify()
    y = rng.normal(size=2 * N)
    np.testing.assert_allclose(np.array(f(list(y), al, be, *c.ravel()), dtype=float), sysm(y), rtol=1e-12)


@pytest.mark.parametrize("derivative", [True, False])
@pytest.mark.parametrize("rule", ["srbp", "bp", "arbp"])
def test_nonlinear_ode_equals_mean_of_per_example_updates(derivative, rule):
    """Independent route: average numpy per-example updates over a finite sample whose moments
    are fed to the derived field."""
    rng = np.random.default_rng(13)
    mu = 1.7
    I = rng.uniform(0.2, 2.0, size=(1, 400))
    T = rng.normal(size=(1, 400)) + I
    a1, a2, c1 = 0.8, -0.4, 1.3
    O1 = (a1 * I) ** mu
    acts = [I, O1, a2 * O1]
    deriv = [mu * (a1 * I) ** (mu - 1)] if derivative else None
    fb = [] if rule == "bp" else [np.array([[c1]])]
    deltas = backward_signals(rule, [np.array([[a1]]), np.array([[a2]])], fb, T - acts[-1], deriv)
    dA, dC = updates(rule, deltas, acts)
    want = [dA[0][0, 0] / 400, dA[1][0, 0] / 400] + ([dC[0][0, 0] / 400] if dC else [])
    s = nonlinear_ode(derivative, rule)
    mom = {ALPHA: np.mean(T * I ** mu), BETA: np.mean(I ** (2 * mu)), GAMMA: np.mean(T * I),
           DELTA: np.mean(I ** (mu + 1)), MU: mu}
    states = dict(zip(s.states, [a1, a2] + ([c1] if rule == "arbp" else [])))
    extra = {sp.Symbol("c1", real=True): c1}
    got = [float(f.subs(mom).subs(states).subs(extra)) for f in s.field]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_expectation_refuses_unnamed_monomials():
    I, T = sp.symbols("I T")
    with pytest.raises(ValueError, match="no moment"):
        expectation(T ** 2 * I, [I, T], lambda e: None)


def test_bad_input():
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InputError):
            scalar_chain_ode(bad)
        with pytest.raises(InputError):
            wide_ode(bad)
    with pytest.raises(InputError):
        derive_ode([2], "srbp")
    with pytest.raises(InputError):
        derive_ode([2, 2], "nope")
    with pytest.raises(InputError):
        nonlinear_ode(True, "srbp", -1)
