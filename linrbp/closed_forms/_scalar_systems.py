"""Batched vector fields of the scalar systems, run through the rules of :mod:`linrbp.core._rules`.

The claims integrate many instances at once with :func:`linrbp.integrate_batch`, which hands
the field any subset of the trajectories; so each state carries its own data moments and
feedback as constant coordinates (zero velocity) after the weights:

* chain, depth L:  [a_1..a_L, alpha, beta, f_1..f_{L-1}]  (f = feedback of the rule; bp: none)
* wide A[1,N,1]:   [a_1..a_N, b_1..b_N, alpha, beta, c_1..c_N]
* non-linear:      [a1, a2, alpha, beta, gamma, delta, c1, mu]

The chain and wide fields are the averaged rule: the rule's backward pass
(:func:`~linrbp.core._rules.backward_signals`) on E = alpha - beta P with the forward products as
activities, exactly as :class:`linrbp.LinearSystem` forms it.
"""

from __future__ import annotations

import numpy as np

from ._closed_forms import nonlinear_field
from ..core._rules import averaged_velocity, get_rule

__all__ = ["chain_rhs", "chain_states", "wide_rhs", "wide_states", "nonlinear_rhs", "nonlinear_states"]


def chain_rhs(L: int, rule: str):
    r = get_rule(rule)
    if r.adaptive:
        raise ValueError("chain_rhs: fixed-feedback rules only")
    nf = L - 1 if r.uses_feedback else 0

    def fun(Y):
        Y = np.asarray(Y, dtype=float)
        a = Y[..., :L]
        alpha, beta = Y[..., L, None, None], Y[..., L + 1, None, None]
        W = [a[..., h, None, None] for h in range(L)]
        fb = [Y[..., L + 2 + h, None, None] for h in range(nf)]
        F = [np.ones_like(W[0])]
        for A in W:
            F.append(A @ F[-1])
        E = alpha - F[-1] * beta
        dA, _ = averaged_velocity(r, W, fb, E, F)
        out = np.zeros_like(Y)
        out[..., :L] = np.concatenate([d[..., 0, :] for d in dA], axis=-1)
        return out

    return fun


def chain_states(alpha, beta, feedback, weights) -> np.ndarray:
    """States (B, 2L+1) or (B, L+2) for bp from per-instance arrays."""
    a = np.atleast_2d(np.asarray(weights, dtype=float))
    B = a.shape[0]
    fb = np.asarray(feedback, dtype=float).reshape(B, -1)
    return np.concatenate([a, np.reshape(alpha, (B, 1)), np.reshape(beta, (B, 1)), fb], axis=1)


def wide_rhs(N: int, rule: str = "srbp"):
    r = get_rule(rule)
    if r.adaptive:
        raise ValueError("wide_rhs: fixed-feedback rules only")

    def fun(Y):
        Y = np.asarray(Y, dtype=float)
        A1 = Y[..., :N, None]            # N x 1
        A2 = Y[..., None, N:2 * N]       # 1 x N
        alpha, beta = Y[..., 2 * N, None, None], Y[..., 2 * N + 1, None, None]
        C = [Y[..., 2 * N + 2:3 * N + 2, None]] if r.uses_feedback else []
        F = [np.ones(Y.shape[:-1] + (1, 1)), A1]
        F.append(A2 @ A1)
        E = alpha - F[-1] * beta
        dA, _ = averaged_velocity(r, [A1, A2], C, E, F)
        out = np.zeros_like(Y)
        out[..., :N] = dA[0][..., :, 0]
        out[..., N:2 * N] = dA[1][..., 0, :]
        return out

    return fun


def wide_states(alpha, beta, c, a, b) -> np.ndarray:
    a = np.atleast_2d(np.asarray(a, dtype=float))
    B = a.shape[0]
    return np.concatenate([a, np.atleast_2d(b), np.reshape(alpha, (B, 1)), np.reshape(beta, (B, 1)),
                           np.atleast_2d(c)], axis=1)


def nonlinear_rhs(derivative: bool = True):
    def fun(Y):
        Y = np.asarray(Y, dtype=float)
        m = {"alpha": Y[..., 2], "beta": Y[..., 3], "gamma": Y[..., 4], "delta": Y[..., 5]}
        out = np.zeros_like(Y)
        out[..., :2] = nonlinear_field(m, Y[..., 6], Y[..., 7], Y[..., :2], derivative)
        return out

    return fun


def nonlinear_states(moments: list[dict], c1, mu, a1, a2) -> np.ndarray:
    cols = [a1, a2] + [[m[k] for m in moments] for k in ("alpha", "beta", "gamma", "delta")] + [c1, mu]
    return np.column_stack([np.asarray(v, dtype=float) for v in cols])
