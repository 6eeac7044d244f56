"""Tools the proofs share (proofs/<id>.py): matrix bookkeeping on derived systems, symbolic
per-example updates through the rule statement, and a reference integration for numeric steps."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..core._rule_run import backward_signals, updates

__all__ = ["flat", "flow", "error_and_product", "whitened", "integrate_linear", "per_example_updates",
           "product"]


def flat(*mats):
    """All entries of several matrices as one column (to assert they all vanish)."""
    return sp.Matrix([x for M in mats for x in M])


def flow(s, M):
    """d/dt of every entry of the matrix ``M`` along the derived system ``s``'s flow."""
    return M.applyfunc(s.along_flow)


def error_and_product(s):
    """(E, P) of a derived system: P = A_L...A_1 and E = S_TI - P S_II."""
    A = s.weights
    P = A[-1]
    for W in A[-2::-1]:
        P = P * W
    return s.moments["S_TI"] - P * s.moments["S_II"], P


def whitened(s):
    """The substitution S_II = S_TI = Id for a derived system's symbolic moments."""
    S_II, S_TI = s.moments["S_II"], s.moments["S_TI"]
    sub = {x: (1 if i == j else 0) for (i, j), x in np.ndenumerate(np.array(S_II.tolist(), dtype=object))}
    sub.update({x: (1 if i == j else 0) for (i, j), x in np.ndenumerate(np.array(S_TI.tolist(), dtype=object))})
    return sub


def integrate_linear(layers, rule, sii, sti, weights, feedback, t_max=300.0):
    from scipy.integrate import solve_ivp

    from ..core._field import LinearSystem
    from ..core._stats import DataStats

    sysm = LinearSystem.create(list(layers), rule, DataStats.from_matrices(sii, sti), feedback)
    y0 = sysm.pack(weights, feedback)
    sol = solve_ivp(lambda t, y: sysm(y), (0, t_max), y0, rtol=1e-10, atol=1e-12, method="LSODA")
    return sysm, sol


def per_example_updates(layers, rule, feedback=None, delta_sign=1, zero_error=False, deriv=True):
    """Symbolic per-example updates through the rule statement (with symbolic f' factors)."""
    L = len(layers) - 1
    A = [sp.Matrix(layers[h], layers[h - 1], lambda i, j, h=h: sp.Symbol(f"a{h}_{i}{j}")) for h in range(1, L + 1)]
    O = [sp.Matrix(layers[0], 1, lambda i, j: sp.Symbol(f"i_{i}"))]
    for W in A:
        O.append(W * O[-1])
    d = sp.Matrix(layers[-1], 1, lambda i, j: sp.Symbol(f"d_{i}")) * delta_sign
    if zero_error:
        d = sp.zeros(layers[-1], 1)
    D = [sp.Matrix(layers[h], 1, lambda i, j, h=h: sp.Symbol(f"f{h}_{i}")) for h in range(1, L)] if deriv else None
    deltas = backward_signals(rule, A, feedback or [], d, D)
    return updates(rule, deltas, O), A


def product(xs):
    return sp.Mul(*xs)
