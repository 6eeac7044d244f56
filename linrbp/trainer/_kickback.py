"""Kickback (Balduzzi, Vanchinathan & Buhmann 2015) for regression on +-1 targets.

Setting: one linear output y, squared error, target t = +1 (second class) or -1 (first class);
hidden units are rectilinear and tagged tau_j in {+1, -1}: O_j = tau_j max(0, S_j), so
f'_j = tau_j 1[S_j > 0]. The global error is the scalar beta = t - y. Kickback replaces the
backpropagated vector by beta, scaled at each hidden unit by its influence on the next layer
(the sum of its outgoing weights, one layer only) and its derivative:

    delta_h = f'(S_h) * ((A_{h+1}^T 1) beta),

which is :func:`linrbp.backward_signals` of the skipped rule (srbp: the signal comes
from the output) with the N_h x 1 feedback C_h = A_{h+1}^T 1, recomputed before each batch.

Coherence (their sufficient condition): every outgoing weight of hidden unit j has j's sign,
tau_j A_{h+1}[k, j] >= 0. Then by induction from the output every BP signal is
delta_j = beta c_j with c_j >= 0, and Kickback's is beta 1[S_j > 0] sum_k |A_{h+1}[k, j]|, so
wherever BP's signal is non-zero Kickback's has the same sign: each unit's per-example update
is a positive multiple of the gradient's. Networks start coherent (outgoing weights' signs set
to the tags); SGD may break coherence, which is measured (``family_metrics``) rather than
enforced. Outside this setting (several outputs, non-rectilinear units) the rule is undefined.
"""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError
from ..core._rule_run import backward_signals
from ._family import FAMILY
from ._network import Network

__all__ = ["KickbackNetwork", "network", "coherence"]


def coherence(weights, tags) -> tuple[float, bool]:
    """(fraction of constrained weights with tau_j A[k, j] >= 0, whether all are)."""
    ok = total = 0
    for h, tau in enumerate(tags):  # tags of hidden layer h+1, outgoing weights weights[h+1]
        good = (weights[h + 1] * tau[None, :]) >= 0
        ok += int(good.sum())
        total += good.size
    return ok / total, ok == total


class KickbackNetwork(Network, rules=("kickback",)):
    """Kickback's network: ``Network(config, n_in, 2)`` for ``config.rule == "kickback"``.

    One linear output (A_L is 1 x N_{L-1}); injected ``weights`` are taken as given (not made
    coherent with the tags), and T may be two-class one-hot (2 x B) or +-1 targets (1 x B).
    """

    def __init__(self, config, n_in, n_out, device=None, **inject):
        if n_out != 2:
            raise InputError(f"rule: kickback is defined for regression with one output; it needs a "
                             f"two-class task (targets +-1), this one has {n_out} classes")
        super().__init__(config, n_in, 1, device, **inject)
        self.family = FAMILY[config.rule]
        rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(5)[4])
        self.tags = [rng.choice(np.array([-1.0, 1.0]), size=n).astype(self.dtype) for n in self.layers[1:-1]]
        if inject.get("weights") is None:
            for h, tau in enumerate(self.tags):  # start coherent: outgoing weights take the unit's sign
                self.weights[h + 1] = (np.abs(self.weights[h + 1]) * tau[None, :]).astype(self.dtype)
        self.coherent_steps = 0

    def _target_rows(self):
        return (1, 2)

    @staticmethod
    def scalar_target(T):
        """+-1 targets from two-class one-hot columns (a 1 x B target passes through)."""
        return T if T.shape[0] == 1 else (T[1:2] - T[0:1])

    def _hidden(self, h, S):
        """Rectified units tagged +-1: O = tag * max(S, 0)."""
        return np.maximum(S, 0, out=S) * self.tags[h][:, None]

    def _output(self, S):
        return S  # Kickback is a regression rule: linear output

    def predict(self, X, chunk=10000):
        out = [(self.forward(X[i:i + chunk].T)[-1][0] > 0).astype(int) for i in range(0, len(X), chunk)]
        return np.concatenate(out) if out else np.zeros(0, int)

    def derivatives(self, O):
        return [(O[h + 1] != 0).astype(self.dtype) * self.tags[h][:, None] for h in range(self.L - 1)]

    def backward(self, O, T, dropout=True, rule=None):
        beta = self.scalar_target(T) - O[-1]
        if rule is not None:  # the reference (BP) on the same signed units
            return backward_signals(rule, self.weights, [], beta, self.derivatives(O))
        influence = [A.sum(axis=0)[:, None] for A in self.weights[1:]]  # C_h = A_{h+1}^T 1
        return backward_signals("srbp", self.weights, influence, beta, self.derivatives(O))

    def step(self, X, T):
        super().step(X, self.scalar_target(T))
        self.coherent_steps += coherence(self.weights, self.tags)[1]

    def family_metrics(self, X, T) -> dict:
        O = self.forward(X)
        kb = self.backward(O, T)
        bp = self.backward(O, T, rule="bp")
        frac, whole = coherence(self.weights, self.tags)
        agree = {}
        for h in range(self.L - 1):
            nz = bp[h] != 0
            agree[f"delta_{h + 1}"] = (float(np.mean(np.sign(kb[h][nz]) == np.sign(bp[h][nz])))
                                       if nz.any() else None)
        return {"kickback_coherence": {
                    "weight_fraction": frac, "coherent_now": float(whole),
                    "step_fraction": self.coherent_steps / self.t if self.t else None},
                "kickback_sign_agreement_with_bp": agree}


def network(family, config, n_in, n_out):
    return KickbackNetwork(config, n_in, n_out)
