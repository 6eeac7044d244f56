"""Many systems of one shape integrated at once, each with its own data and feedback.

:func:`linrbp.integrate_batch` needs one autonomous field on (batch, n) states and drops
finished trajectories from the batch, so per-instance parameters travel *in the state*:
an :class:`Ensemble` state is [A_1..A_L (and C for adaptive rules) | S_II | S_TI | fixed C]
with zero velocity on the parameter block. The field on the dynamic block is
:class:`linrbp.LinearSystem` itself, evaluated with batched moments and feedback (the rules
in ``linrbp.core._rules`` broadcast over leading axes), so nothing is restated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np

from ..core._field import LinearSystem
from ._integrate import (DEFAULT_ATOL, DEFAULT_BOUND, DEFAULT_CONV_TOL, DEFAULT_RTOL,
                         IntegrationResult, integrate_batch)
from ..core._rules import Rule
from ..core._stats import DataStats

__all__ = ["Ensemble", "integrate_systems"]


@dataclass(frozen=True)
class Ensemble:
    """The field of B systems with equal ``layers`` and ``rule`` on augmented states."""

    layers: tuple[int, ...]
    rule: Rule

    @cached_property
    def template(self) -> LinearSystem:
        n0, nl = self.layers[0], self.layers[-1]
        stats = DataStats(np.eye(n0), np.zeros((nl, n0)))
        fb = () if self.rule.adaptive else tuple(np.zeros(s) for s in _fixed_feedback_shapes(self))
        return LinearSystem(self.layers, self.rule, stats, fb)

    @cached_property
    def n_state(self) -> int:
        return self.template.n_state

    @cached_property
    def param_shapes(self) -> list[tuple[int, int]]:
        n0, nl = self.layers[0], self.layers[-1]
        return [(n0, n0), (nl, n0)] + _fixed_feedback_shapes(self)

    @cached_property
    def n_param(self) -> int:
        return sum(a * b for a, b in self.param_shapes)

    def pack(self, systems: Sequence[LinearSystem], states) -> np.ndarray:
        """Augmented states (B, n_state + n_param) from systems and their flat states."""
        states = np.asarray(states, dtype=float).reshape(len(systems), -1)
        rows = []
        for s, y in zip(systems, states):
            mats = [s.stats.sigma_ii, s.stats.sigma_ti] + list(s.feedback)
            rows.append(np.concatenate([y] + [np.asarray(M, float).ravel() for M in mats]))
        return np.array(rows)

    def system(self, Z: np.ndarray) -> LinearSystem:
        """The batched LinearSystem whose moments and feedback are read from states Z (B, .)."""
        i = self.n_state
        mats = []
        for a, b in self.param_shapes:
            mats.append(Z[:, i:i + a * b].reshape(-1, a, b))
            i += a * b
        return LinearSystem(self.layers, self.rule, DataStats(mats[0], mats[1]), tuple(mats[2:]))

    def __getstate__(self):
        # the traced field (generated code) is rebuilt where the ensemble is unpickled
        return {k: v for k, v in self.__dict__.items() if k != "_traced"}

    @cached_property
    def _traced(self):
        from ..core._traced import trace_ensemble
        return trace_ensemble(self)

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        if type(Z) is np.ndarray and Z.ndim == 2 and Z.dtype == np.float64 \
                and Z.shape[1] == self.n_state + self.n_param and self._traced is not None:
            # the rule's operations traced once into straight-line numpy (linrbp.core._traced):
            # the same values bit for bit, without the generic path's per-call overhead
            return self._traced(Z)
        return self.generic_call(Z)

    def generic_call(self, Z: np.ndarray) -> np.ndarray:
        """:meth:`__call__` through :meth:`LinearSystem.velocity` on batched moments."""
        Z = np.asarray(Z, dtype=float)
        single = Z.ndim == 1
        Z = np.atleast_2d(Z)
        out = np.zeros_like(Z)
        system = self.system(Z)
        Y = Z[:, :self.n_state]
        weights, fb = system.unpack(Y)
        if self.rule.state:  # a rule's extra state (linrbp.StateVariable) comes last
            dA, dC, dX = system.velocity(weights, fb, system.unpack_state(Y))
        else:
            (dA, dC), dX = system.velocity(weights, fb), []
        i = 0
        for M in dA + (dC if self.rule.adaptive else []) + list(dX):
            k = M.shape[-2] * M.shape[-1]
            out[:, i:i + k] = M.reshape(len(Z), k)
            i += k
        return out[0] if single else out


def _fixed_feedback_shapes(ens: Ensemble) -> list[tuple[int, int]]:
    from ..core._rules import feedback_shapes

    return [] if ens.rule.adaptive else feedback_shapes(ens.layers, ens.rule)


def integrate_systems(systems: Sequence[LinearSystem], states, t_max, *,
                      rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                      conv_tol: float = DEFAULT_CONV_TOL, bound: float = DEFAULT_BOUND,
                      max_steps: int = 200_000) -> IntegrationResult:
    """Integrate each system from its flat state, batching systems of equal shape and rule.

    Returns one :class:`IntegrationResult` in the input order; ``y`` holds the dynamic
    states only. The parameter block has zero velocity and so contributes zero to the
    step-error norm, which averages over all components: rtol and atol are scaled by
    sqrt(n_state / n_total) so each step meets the same error bound as on the dynamic block
    alone. (The convergence and divergence tests read |y|_inf over the whole augmented
    state, data included.)
    """
    n = len(systems)
    t_max = np.broadcast_to(np.asarray(t_max, dtype=float), (n,))
    status = np.empty(n, dtype=object)
    t_end = np.zeros(n)
    steps = np.zeros(n, dtype=int)
    ys: list = [None] * n
    groups: dict = {}
    for k, s in enumerate(systems):
        groups.setdefault((s.layers, s.rule.name), []).append(k)
    for idx in groups.values():
        s0 = systems[idx[0]]
        ens = Ensemble(s0.layers, s0.rule)
        Z0 = ens.pack([systems[k] for k in idx], [np.asarray(states[k], float) for k in idx])
        scale = np.sqrt(ens.n_state / Z0.shape[1])
        res = integrate_batch(ens, Z0, t_max[idx], rtol=rtol * scale, atol=atol * scale,
                              conv_tol=conv_tol, bound=bound, max_steps=max_steps)
        for j, k in enumerate(idx):
            status[k] = res.status[j]
            t_end[k] = res.t_end[j]
            steps[k] = res.n_steps[j]
            ys[k] = res.y[j, :ens.n_state]
    if n == 0:
        return IntegrationResult(np.array([], dtype=str), t_end, np.zeros((0, 0)), steps)
    width = max(len(y) for y in ys)
    Y = np.full((n, width), np.nan)
    for k, y in enumerate(ys):
        Y[k, :len(y)] = y
    return IntegrationResult(status.astype(str), t_end, Y, steps)
