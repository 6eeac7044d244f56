"""Target propagation: DTP (Lee et al. 2015), SDTP and AO-SDTP (Bartunov et al. 2018).

Layer h (1-based, activity O_h = f(A_h O_{h-1} + b_h)) learns to move towards a target tau_h:
it descends 1/2 ||tau_h - O_h||^2 with tau_h fixed, i.e. its update is delta_h O_{h-1}^T with
delta_h = f'(S_h) * (tau_h - O_h), the same form as :func:`linrbp.updates` (so the
trainer's batch means, learning-rate schedule and alignment apply unchanged). The output layer
uses its own error, delta_L = T - O_L.

Targets (alpha = ``target_lr``):
- DTP: tau_{L-1} = O_{L-1} + alpha A_L^T (T - O_L), a gradient step on the output loss (so the
  penultimate layer is trained with alpha times the gradient);
- SDTP: tau_L = O_L + alpha (T - O_L) and tau_{L-1} = O_{L-1} + g_L(tau_L) - g_L(O_L), no gradient;
- AO-SDTP: as SDTP with the output augmented by z = tanh(R O_{L-1}) (R fixed, Glorot normal,
  ``aux_units`` rows), whose target is its own value: g_L sees (O_L, z);
- below: tau_{h-1} = O_{h-1} + g_h(tau_h) - g_h(O_h) (the difference correction).

Inverses g_h(y) = f(V_h y + c_h) (V_h: N_{h-1} x N_h, as C_{h-1}) are trained before each
forward update on noise-corrupted reconstruction: x = O_{h-1} + sigma eps, descend
1/2 ||g_h(f_h(x)) - x||^2 in (V_h, c_h) with step ``inverse_lr``.
"""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError
from ._family import FAMILY
from ._network import Network, activate, derivative_from_output

__all__ = ["TargetPropNetwork", "network"]


class TargetPropNetwork(Network, rules=("dtp", "sdtp", "ao-sdtp")):
    """The trainer's Network with target-propagation backward signals and learned inverses.

    ``step`` first trains the inverses on the batch, then adds the forward updates; so
    ``batch_updates(X, T)`` before a step uses the inverses before that training.
    """

    def __init__(self, config, n_in, n_out, device=None, **inject):
        if inject.get("feedback") is not None:
            raise InputError(f"feedback: rule {config.rule} has no feedback matrices (its inverses are learned)")
        super().__init__(config, n_in, n_out, device, **inject)
        self.family = family = FAMILY[config.rule]
        d = family.defaults
        self.alpha, self.inverse_lr, self.noise = float(d["target_lr"]), float(d["inverse_lr"]), float(d["noise"])
        self.simplified = family.name in ("sdtp", "ao-sdtp")
        # a fifth stream of the run's seed (R, V_h, then the reconstruction noise)
        self.family_rng = rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(5)[4])
        L = self.L
        self.aux = None
        if family.name == "ao-sdtp":
            k, n = int(d["aux_units"]), self.layers[L - 1]
            self.aux = (rng.standard_normal((k, n)) * np.sqrt(2.0 / (k + n))).astype(self.dtype)
        # inverse of A_{i+1} (0-based weights[i]) maps O_{i+1} back to O_i; i = 1..L-2 (+ L-1)
        self.inverse_of = list(range(1, L - 1)) + ([L - 1] if self.simplified else [])
        self.V, self.c = {}, {}
        for i in self.inverse_of:
            rows = self.layers[i]
            cols = self.layers[i + 1] + (self.aux.shape[0] if (self.aux is not None and i == L - 1) else 0)
            self.V[i] = (rng.standard_normal((rows, cols)) * np.sqrt(2.0 / (rows + cols))).astype(self.dtype)
            self.c[i] = np.zeros((rows, 1), self.dtype)
        self.feedback = []  # no feedback matrices: the inverses play that part

    # -- layer maps ---------------------------------------------------------------
    def _layer(self, i, x):
        """f_{i+1}(x): the forward map of weights[i], with the auxiliary output for AO-SDTP."""
        S = self.weights[i] @ x
        if self.biases is not None:
            S += self.biases[i]
        if i < self.L - 1:
            return self._hidden(i, S)
        return self._with_aux(self._output(S), x)

    def _with_aux(self, out, penultimate):
        if self.aux is None:
            return out
        return np.concatenate([out, np.tanh(self.aux @ penultimate)], axis=0)

    def _inverse(self, i, y):
        return activate(self.config.activation, self.V[i] @ y + self.c[i])

    # -- learning -------------------------------------------------------------------
    def train_inverses(self, O) -> None:
        """One step of every inverse on noise-corrupted reconstruction of this batch."""
        B = O[0].shape[1]
        rng = self.family_rng
        for i in self.inverse_of:
            x = O[i] + (rng.standard_normal(O[i].shape) * self.noise).astype(self.dtype)
            y = self._layer(i, x)
            r = self._inverse(i, y)
            d = (x - r)
            fp = derivative_from_output(self.config.activation, r)
            if fp is not None:
                d *= fp
            self.V[i] += (d @ y.T) * self.dtype.type(self.inverse_lr / B)
            self.c[i] += d.sum(axis=1, keepdims=True) * self.dtype.type(self.inverse_lr / B)

    def targets(self, O, T) -> dict:
        """tau_h for the hidden layers (keys: 0-based activity index 1..L-1)."""
        L = self.L
        tau = {}
        if self.simplified:
            top = O[L] + self.alpha * (T - O[L])
            pen = O[L - 1]
            tau[L - 1] = pen + self._inverse(L - 1, self._with_aux(top, pen)) \
                - self._inverse(L - 1, self._with_aux(O[L], pen))
        else:
            tau[L - 1] = O[L - 1] + self.alpha * (self.weights[L - 1].T @ (T - O[L]))
        for i in range(L - 2, 0, -1):
            tau[i] = O[i] + self._inverse(i, tau[i + 1]) - self._inverse(i, O[i + 1])
        return tau

    def backward(self, O, T, dropout=True, rule=None):
        if rule is not None:  # the reference rule (BP) for the alignment measurements
            return super().backward(O, T, dropout, rule)
        tau = self.targets(O, T)
        deltas = [None] * self.L
        deltas[-1] = T - O[-1]
        for i, t in tau.items():
            d = t - O[i]
            fp = derivative_from_output(self.config.activation, O[i])
            deltas[i - 1] = d * fp if fp is not None else d
        return deltas

    def step(self, X, T):
        self.train_inverses(self.forward(X))
        super().step(X, T)

    # -- measurements ---------------------------------------------------------------
    def reconstruction_errors(self, X) -> dict:
        """||g_h(f_h(O_{h-1})) - O_{h-1}||^2 / ||O_{h-1}||^2 per inverse, on inputs X."""
        O = self.forward(X)
        out = {}
        for i in self.inverse_of:
            r = self._inverse(i, self._layer(i, O[i]))
            den = float(np.sum(O[i].astype(np.float64) ** 2))
            out[f"C_{i}"] = float(np.sum((r - O[i]).astype(np.float64) ** 2)) / den if den else None
        return out

    def feedback_pairs(self) -> dict:
        """The inverses' weights V (output part for AO-SDTP) against A^T, as C_h vs A_{h+1}^T."""
        return {f"C_{i}": (self.V[i][:, :self.layers[i + 1]], self.weights[i].T) for i in self.inverse_of}

    def family_metrics(self, X, T) -> dict:
        return {"inverse_reconstruction": self.reconstruction_errors(X)}


def network(family, config, n_in, n_out):
    return TargetPropNetwork(config, n_in, n_out)
