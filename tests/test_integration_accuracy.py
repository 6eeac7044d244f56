"""Trajectory accuracy at finite times, for both integrators and every backend.

Limits are attractors: they wash integration error out, so a broken step controller can still
reach the right limit. These tests stop at a finite time T (convergence events disabled with
conv_tol = 1e-300) and compare the state with closed forms, at several tolerances:

- a linear system y' = M y (non-normal M, stable): y(T) = expm(M T) y(0);
- x' = -x^3: x(T) = x0 / sqrt(1 + 2 x0^2 T);
- BP on A[1,1,1] with a balanced start (the Saxe sigmoid, docs/theory.md section 9): the product
  u = a1 a2 follows u(t) = s e^{2st} / (e^{2st} - 1 + s/u0) (the generated-field path, and
  the torch backend).

Asserted: the error is at most a small multiple of rtol, it falls as rtol falls (DOP853's
global error is proportional to rtol), and the batched integrator accepts the same number of
steps as scipy's solve_ivp(method="DOP853") on the same trajectory.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
from scipy.integrate import solve_ivp

from linrbp import DataStats, LinearSystem, integrate, integrate_batch

RTOLS = (1e-6, 1e-8, 1e-10, 1e-12)
ATOL = 1e-14
NO_CONVERGENCE = 1e-300  # conv_tol: run to T


def _linear():
    rng = np.random.default_rng(1)
    M = rng.normal(size=(4, 4)) - 3 * np.eye(4) + 2 * np.triu(rng.normal(size=(4, 4)), 1)
    Y0 = rng.normal(size=(80, 4))
    T = 2.0
    exact = Y0 @ sl.expm(M * T).T
    return (lambda Y: Y @ M.T), (lambda y: M @ y), Y0, T, exact


def _cubic():
    Y0 = np.linspace(0.2, 3.0, 60)[:, None]
    T = 3.0
    return (lambda Y: -Y ** 3), (lambda y: -y ** 3), Y0, T, Y0 / np.sqrt(1 + 2 * Y0 ** 2 * T)


PROBLEMS = {"linear-expm": _linear, "cubic-decay": _cubic}


def _rel_err(y, exact):
    return float(np.max(np.linalg.norm(y - exact, axis=-1) / np.linalg.norm(exact, axis=-1)))


def _saxe(B=70):
    s = 1.7
    system = LinearSystem.create([1, 1, 1], "bp", DataStats.from_matrices([[1.0]], [[s]]))
    u0 = np.geomspace(1e-3, 1.0, B)
    T = 2.0
    Y0 = np.stack([np.sqrt(u0), np.sqrt(u0)], axis=1)
    exact = s * np.exp(2 * s * T) / (np.exp(2 * s * T) - 1 + s / u0)
    return system, Y0, T, exact


@pytest.mark.parametrize("name", PROBLEMS)
def test_batched_error_at_finite_time_scales_with_rtol(name):
    batch_fun, _, Y0, T, exact = PROBLEMS[name]()
    errs = []
    for rtol in RTOLS:
        res = integrate_batch(batch_fun, Y0, T, rtol=rtol, atol=ATOL, conv_tol=NO_CONVERGENCE)
        assert set(res.status) == {"time-limit"}
        err = _rel_err(res.y, exact)
        assert err <= 3 * rtol, f"rtol {rtol:g}: error {err:.3g} > 3 rtol"  # observed <= 0.75 rtol
        errs.append(err)
    # the error falls with rtol: at least 2e4x over the 1e6 range (observed 8.3e4 cubic-decay,
    # 2.3e5 linear-expm; below 1e6 because atol = 1e-14 floors the smallest rtol's steps)
    assert errs[0] / max(errs[-1], 1e-300) >= 2e4, errs
    assert all(a > b for a, b in zip(errs, errs[1:])), errs


@pytest.mark.parametrize("name", PROBLEMS)
def test_scipy_reference_error_at_finite_time_scales_with_rtol(name):
    _, fun, Y0, T, exact = PROBLEMS[name]()
    errs = []
    for rtol in RTOLS:
        e = 0.0
        for i in (0, len(Y0) // 2, len(Y0) - 1):
            res = integrate(fun, Y0[i], T, rtol=rtol, atol=ATOL, conv_tol=NO_CONVERGENCE)
            assert res.status[0] == "time-limit"
            e = max(e, _rel_err(res.y[0], exact[i]))
        assert e <= 3 * rtol, f"rtol {rtol:g}: error {e:.3g}"  # observed <= 0.04 rtol
        errs.append(e)
    assert errs[0] / max(errs[-1], 1e-300) >= 2e4, errs  # observed 8.4e4 and 1.9e5


@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("rtol", RTOLS)
def test_batched_accepts_the_same_steps_as_solve_ivp(name, rtol):
    batch_fun, fun, Y0, T, _ = PROBLEMS[name]()
    res = integrate_batch(batch_fun, Y0, T, rtol=rtol, atol=ATOL, conv_tol=NO_CONVERGENCE)
    for i in (0, 7, len(Y0) // 2, len(Y0) - 1):
        ref = solve_ivp(lambda t, y: fun(y), (0.0, T), Y0[i], method="DOP853", rtol=rtol, atol=ATOL)
        scipy_steps = len(ref.t) - 1
        assert abs(int(res.n_steps[i]) - scipy_steps) <= 1, (i, int(res.n_steps[i]), scipy_steps)


def _backends():
    out = ["numpy"]
    try:
        import torch  # noqa: F401
        out.append("torch")
    except ImportError:
        pass
    return out


@pytest.mark.parametrize("backend", _backends())
def test_generated_field_saxe_sigmoid_at_several_rtol(backend):
    system, Y0, T, exact = _saxe()
    errs = []
    for rtol in RTOLS[:3]:
        kw = {"backend": backend}
        if backend == "torch":
            kw["device"] = "cpu"
        res = integrate_batch(system, Y0, T, rtol=rtol, atol=ATOL, conv_tol=NO_CONVERGENCE, **kw)
        assert set(res.status) == {"time-limit"}
        err = float(np.max(np.abs(res.y[:, 0] * res.y[:, 1] / exact - 1)))
        assert err <= 10 * rtol, f"{backend} rtol {rtol:g}: {err:.3g}"  # observed <= 3.5 rtol
        errs.append(err)
    assert errs[0] / errs[-1] >= 1e4, errs  # over the 1e4 range of rtol; observed 3.8e4


def test_batched_matches_scipy_at_finite_time_to_1e_11():
    """The batched integrator and scipy's DOP853 run the same method: at T they agree far
    below the tolerance (observed <= 2e-12 at rtol 1e-11/1e-12 on the generated field)."""
    import linrbp

    rng = np.random.default_rng(7)
    for layers, rule in (([2, 3, 2], "bp"), ([3, 2, 2], "rbp"), ([2, 2, 2], "arbp")):
        X = rng.normal(size=(layers[0], 3 * layers[0] + 2))
        stats = DataStats.from_samples(X, rng.normal(size=(layers[-1], X.shape[1])))
        r = linrbp.get_rule(rule)
        fb = [] if r.adaptive else [rng.normal(size=s) for s in linrbp.feedback_shapes(layers, r)]
        system = LinearSystem.create(layers, rule, stats, fb)
        Y0 = 0.7 * rng.normal(size=(70, system.n_state))
        res = integrate_batch(system, Y0, 1.5, rtol=1e-11, atol=1e-13, conv_tol=1e-15)
        for i in range(3):
            ref = integrate(system, Y0[i], 1.5, rtol=1e-12, atol=1e-14, conv_tol=1e-15)
            gap = np.abs(res.y[i] - ref.y[0]).max() / (1 + np.abs(ref.y[0]).max())
            assert gap <= 1e-11, (layers, rule, gap)
