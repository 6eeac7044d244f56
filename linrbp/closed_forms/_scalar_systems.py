"""Batched vector fields of the scalar systems, run through the rules of :mod:`linrbp.core._rules`.

The claims integrate many instances at once with :func:`linrbp.integrate_batch`, which hands
the field any subset of the trajectories; so each state carries its own data moments and
feedback as constant coordinates (zero velocity) after the weights:

* chain, depth L:  [a_1..a_L, alpha, beta, f_1..f_{L-1}]  (f = feedback of the rule; bp: none)
* wide A[1,N,1]:   [a_1..a_N, b_1..b_N, alpha, beta, c_1..c_N]
* non-linear:      [a1, a2, c1, mu, I_1..I_m, T_1..T_m]  (the finite data set itself)

The chain and wide fields are the averaged rule: the rule's backward pass
(:func:`~linrbp.backward_signals`) on E = alpha - beta P with the forward products as
activities, exactly as :class:`linrbp.LinearSystem` forms it. The non-linear field is the
average itself: the rule's per-example updates (with f'(S_1) = mu (a1 I)^(mu-1) when
``derivative``) on every example of the data set, averaged over the m examples; it never uses
the hand-written moment field :func:`~linrbp.closed_forms.nonlinear_field`, which the claim
checks against it as an independent reference.
"""

from __future__ import annotations

import numpy as np

from ..core._rules import get_rule
from ..core._rule_run import averaged_velocity, backward_signals, updates
from ..core._traced import trace_batched

__all__ = ["chain_rhs", "chain_states", "wide_rhs", "wide_states", "nonlinear_rhs", "nonlinear_states"]


def chain_rhs(L: int, rule: str):
    r = get_rule(rule)
    if r.adaptive:
        raise ValueError("chain_rhs: fixed-feedback rules only")
    return _cached(("chain", L, r), lambda: _chain_rhs(L, r))


def _cached(key, make):
    """The field ``make()`` builds, once per key (a field is traced once per depth and rule)."""
    try:
        fn = _FIELDS.get(key)
    except TypeError:  # an unhashable rule: not cached
        return make()
    if fn is None:
        fn = _FIELDS[key] = make()
    return fn


_FIELDS: dict = {}


def _chain_rhs(L, r, traced=True):
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

    def body(take, ones):  # fun's operations, traced once (the rule's lookups and lists run once)
        W = [take((..., h, None, None), (1, 1)) for h in range(L)]
        alpha, beta = take((..., L, None, None), (1, 1)), take((..., L + 1, None, None), (1, 1))
        fb = [take((..., L + 2 + h, None, None), (1, 1)) for h in range(nf)]
        F = [ones]
        for A in W:
            F.append(A @ F[-1])
        E = alpha - F[-1] * beta
        dA, _ = averaged_velocity(r, W, fb, E, F)
        return [((..., h), d, (..., 0, 0)) for h, d in enumerate(dA)]

    return (traced and trace_batched(body, fun, L + 2 + nf, f"chain L={L} {r.name}")) or fun


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
    return _cached(("wide", N, r), lambda: _wide_rhs(N, r))


def _wide_rhs(N, r, traced=True):
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

    def body(take, ones):  # fun's operations, traced once
        A1, A2 = take((..., slice(0, N), None), (N, 1)), take((..., None, slice(N, 2 * N)), (1, N))
        alpha, beta = take((..., 2 * N, None, None), (1, 1)), take((..., 2 * N + 1, None, None), (1, 1))
        C = [take((..., slice(2 * N + 2, 3 * N + 2), None), (N, 1))] if r.uses_feedback else []
        F = [ones, A1]
        F.append(A2 @ A1)
        E = alpha - F[-1] * beta
        dA, _ = averaged_velocity(r, [A1, A2], C, E, F)
        return [((..., slice(0, N)), dA[0], (..., slice(None, None), 0)),
                ((..., slice(N, 2 * N)), dA[1], (..., 0, slice(None, None)))]

    width = 3 * N + 2 if r.uses_feedback else 2 * N + 2
    return (traced and trace_batched(body, fun, width, f"wide N={N} {r.name}")) or fun


def wide_states(alpha, beta, c, a, b) -> np.ndarray:
    a = np.atleast_2d(np.asarray(a, dtype=float))
    B = a.shape[0]
    return np.concatenate([a, np.atleast_2d(b), np.reshape(alpha, (B, 1)), np.reshape(beta, (B, 1)),
                           np.atleast_2d(c)], axis=1)


def nonlinear_rhs(m: int, derivative: bool = True, rule: str = "srbp"):
    """Averaged rule of the non-linear chain on states [a1, a2, c1, mu, I_1..I_m, T_1..T_m]."""
    r = get_rule(rule)
    if r.adaptive:
        raise ValueError("nonlinear_rhs: fixed-feedback rules only")

    def fun(Y):
        Y = np.asarray(Y, dtype=float)
        A1, A2 = Y[..., 0, None, None], Y[..., 1, None, None]
        mu = Y[..., 3, None, None]
        I = Y[..., None, 4:4 + m]                  # 1 x m: the examples are columns
        T = Y[..., None, 4 + m:4 + 2 * m]
        S1 = A1 @ I
        O1 = S1 ** mu
        O2 = A2 @ O1
        fb = [Y[..., 2, None, None]] if r.uses_feedback else []
        der = [mu * S1 ** (mu - 1)] if derivative else None
        deltas = backward_signals(r, [A1, A2], fb, T - O2, derivatives=der)
        dA, _ = updates(r, deltas, [I, O1, O2])
        out = np.zeros_like(Y)
        out[..., 0] = dA[0][..., 0, 0] / m
        out[..., 1] = dA[1][..., 0, 0] / m
        return out

    return fun


def nonlinear_states(inputs, targets, c1, mu, a1, a2) -> np.ndarray:
    """States (B, 4 + 2m) from per-instance data sets (B, m) and parameters (B,)."""
    I = np.atleast_2d(np.asarray(inputs, dtype=float))
    T = np.atleast_2d(np.asarray(targets, dtype=float))
    cols = [np.asarray(v, dtype=float).reshape(-1, 1) for v in (a1, a2, c1, mu)]
    return np.concatenate(cols + [I, T], axis=1)
