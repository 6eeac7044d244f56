"""Section 12's claims: the Lyapunov identity and the exponential bound fail when their
premises are changed (the checks can fail)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from linrbp.claims import lyapunov as L


def test_lyapunov_identity_needs_c1t_d_equal_wstar():
    layers = (2, 3, 2)
    inst = L.rational_instance(layers, seed=3)
    assert inst["C1"].T * inst["D"] == inst["W"]
    assert L.lyapunov_residual(layers, inst) == 0
    bad = dict(inst, D=inst["D"] + sp.Matrix(3, 2, lambda i, j: sp.Rational(1, 3)))
    assert L.lyapunov_residual(layers, bad) != 0


def test_frozen_projection_is_specific_to_the_null_space():
    assert L.frozen_residual((2, 3, 2), seed=1) == [0, 0]
    assert L.frozen_residual((2, 2, 2), seed=1) == [0]  # N1 = N2: nothing frozen


def test_exponential_bound_is_violated_with_a_rate_too_large(monkeypatch):
    inst = L._pd_start(np.random.default_rng(0))
    assert L.exponential_bound_error(inst) <= 1e-9
    real = np.linalg.eigvalsh
    monkeypatch.setattr(L.np.linalg, "eigvalsh", lambda M: 100 * real(M))  # claim a rate 100x too fast
    assert L.exponential_bound_error(inst) > 1e-3


def test_exponential_check_refuses_an_indefinite_m0():
    rng = np.random.default_rng(2)
    inst = L._pd_start(rng)
    A1, A2 = (np.asarray(w) for w in inst["weights"])
    inst = dict(inst, weights=[A1.tolist(), (A2 - 5 * np.eye(3)).tolist()])
    assert L.exponential_bound_error(inst) == float("inf")
