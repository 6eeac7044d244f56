"""Status priority: diverged before converged, at the start as at every step, on every backend.

A field that settles OUTSIDE ``bound`` must end ``diverged`` (the bound is the user's statement of
what counts as a run-away), never ``converged`` because its field happens to vanish there."""

from __future__ import annotations

import numpy as np
import pytest

import linrbp
from linrbp import DataStats, LinearSystem, integrate, integrate_batch
from linrbp.integration._dop853 import _CONVERGED, _DIVERGED, _event_codes


def _backends():
    out = ["numpy"]
    for mod, name in (("numba", "numba"), ("torch", "torch")):
        try:
            __import__(mod)
            out.append(name)
        except ImportError:
            pass
    return out


def _far_limit_system():
    """chain111 with alpha / beta = 4: its limits a1 a2 = 4 lie outside bound 1.5 when a1 = a2 = 2."""
    return LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[1.0]], [[4.0]]), [[[1.0]]])


@pytest.mark.parametrize("backend", _backends())
def test_a_start_at_a_fixed_point_outside_bound_has_diverged(backend):
    system = _far_limit_system()
    Y0 = np.array([[2.0, 2.0], [0.3, 0.4]])  # a fixed point (field exactly 0) past the bound; one inside
    assert np.all(system(Y0[:1]) == 0)
    kw = {"device": "cpu"} if backend == "torch" else {}
    res = integrate_batch(system, Y0, 50.0, bound=1.5, backend=backend, **kw)
    assert res.status[0] == "diverged" and res.t_end[0] == 0 and res.n_steps[0] == 0
    np.testing.assert_array_equal(res.y[0], Y0[0])
    # the inside start runs: its limit (a1 a2 = 4) is past the bound too, so it diverges later
    assert res.status[1] == "diverged" and res.t_end[1] > 0


def test_the_reference_integrator_gives_the_same_priority():
    system = _far_limit_system()
    res = integrate(system, np.array([2.0, 2.0]), 50.0, bound=1.5)
    assert res.status[0] == "diverged" and res.t_end[0] == 0


def test_a_field_settling_outside_bound_diverges_when_it_crosses():
    """y' = 3 - y from 0 settles at 3; with bound 2 it crosses at t = ln 3 (closed form)."""
    res = integrate(lambda y: 3.0 - y, np.array([0.0]), 100.0, bound=2.0)
    assert res.status[0] == "diverged"
    assert abs(res.t_end[0] - np.log(3.0)) < 1e-6
    for backend in ("numpy",):
        b = integrate_batch(lambda Y: 3.0 - Y, np.array([[0.0], [3.0]]), 100.0, bound=2.0, backend=backend)
        assert list(b.status) == ["diverged", "diverged"]
        # the batched loop checks the bound at the end of each accepted step: at or just past ln 3
        assert np.log(3.0) <= b.t_end[0] < np.log(3.0) + 0.5 and b.y[0, 0] > 2.0
        assert b.t_end[1] == 0


def test_the_event_rule_puts_diverged_before_converged():
    """One accepted step that is both converged (|f| small) and past the bound: diverged."""
    one = np.ones(1)
    accept, done = np.array([True]), np.array([False])
    code = _event_codes(np, accept, done, 0.5 * one, 10.0 * one, 0.1 * one, np.array([3]),
                        f_norm=np.zeros(1), y_norm=3.0 * one, conv_tol=1e-10, bound=2.0, max_steps=100)
    assert code[0] == _DIVERGED
    code = _event_codes(np, accept, done, 0.5 * one, 10.0 * one, 0.1 * one, np.array([3]),
                        f_norm=np.zeros(1), y_norm=1.0 * one, conv_tol=1e-10, bound=2.0, max_steps=100)
    assert code[0] == _CONVERGED
