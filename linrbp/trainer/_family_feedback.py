"""Family rules whose backward pass is a feedback matrix applied to a signal.

The backward signals are those of the chained rule (``rbp``; ``arbp`` for Kolen-Pollack) of
:func:`linrbp.core._rules.backward_signals`: delta_h = f'(S_h) * (C_h delta_{h+1}). What differs is
where C_h (N_h x N_{h+1}, standing in for A_{h+1}^T) comes from; a provider sets it before each
mini-batch and/or adapts it after the update:

- sign-symmetry: C_h = sign(A_{h+1}^T);
- uSF: C_h = s_h sign(A_{h+1}^T), s_h = sqrt(2 / (N_h + N_{h+1})) (the Glorot scale of the
  trainer's random feedback);
- brSF / frSF: C_h = |R_h| * sign(A_{h+1}^T), R_h ~ N(0, s_h^2) redrawn every mini-batch (brSF)
  or drawn once (frSF);
- Kolen-Pollack: ARBP's dC_h = O_h delta_{h+1}^T, which is (dA_{h+1})^T, plus the weight
  decay A <- (1 - lr wd) A, C <- (1 - lr wd) C on both, so C_h - A_{h+1}^T -> 0 geometrically;
- weight mirror: after every update, x ~ N(0, I) (N_h x b) is injected at layer h and
  C_h <- (1 - eta) C_h + eta x (A_{h+1} x)^T / b; E[x x^T] = I makes A_{h+1}^T the fixed point.
"""

from __future__ import annotations

import numpy as np

from ._family import weight_decay
from ._network import Network

__all__ = ["FeedbackFamilyNetwork", "network"]


def _glorot(rows, cols):
    return np.sqrt(2.0 / (rows + cols))


class _Sign:
    """C_h = magnitude_h * sign(A_{h+1}^T); magnitude: 1, the Glorot scale, or |N(0, s^2)|."""

    def __init__(self, net, magnitude):
        self.net, self.magnitude = net, magnitude
        self.fixed = [self._draw(C.shape) for C in net.feedback] if magnitude == "fixed" else None

    def _draw(self, shape):
        return np.abs(self.net.family_rng.standard_normal(shape) * _glorot(*shape))

    def before_batch(self):
        net = self.net
        for h, C in enumerate(net.feedback):
            S = np.sign(net.weights[h + 1].T)
            if self.magnitude == "one":
                M = 1.0
            elif self.magnitude == "glorot":
                M = _glorot(*C.shape)
            elif self.magnitude == "batch":
                M = self._draw(C.shape)
            else:
                M = self.fixed[h]
            net.feedback[h] = (S * M).astype(net.dtype)

    def after_batch(self, lr):
        pass


class _KolenPollack:
    def __init__(self, net):
        self.net, self.decay = net, weight_decay(net.config)

    def before_batch(self):
        pass

    def after_batch(self, lr):
        if self.decay == 0:
            return
        keep = self.net.dtype.type(1.0 - lr * self.decay)
        for arr in self.net.weights + self.net.feedback:
            arr *= keep


class _Mirror:
    def __init__(self, net):
        self.net = net
        d = net.family.defaults
        self.eta, self.batch = float(d["mirror_lr"]), int(d["mirror_batch"])

    def before_batch(self):
        pass

    def after_batch(self, lr):
        net = self.net
        for h, C in enumerate(net.feedback):
            x = net.family_rng.standard_normal((C.shape[0], self.batch)).astype(net.dtype)
            y = net.weights[h + 1] @ x
            C *= net.dtype.type(1.0 - self.eta)
            C += (x @ y.T) * net.dtype.type(self.eta / self.batch)


_PROVIDERS = {
    "sign-symmetry": lambda net: _Sign(net, "one"),
    "usf": lambda net: _Sign(net, "glorot"),
    "brsf": lambda net: _Sign(net, "batch"),
    "frsf": lambda net: _Sign(net, "fixed"),
    "kolen-pollack": _KolenPollack,
    "weight-mirror": _Mirror,
}


class FeedbackFamilyNetwork(Network):
    """The trainer's Network (chained base rule) with a family feedback provider."""

    def __init__(self, family, config, n_in, n_out):
        super().__init__(config, n_in, n_out)  # draws the initial Glorot-normal C_h
        self.family = family
        # a fifth stream of the run's seed, independent of the four the Network uses
        self.family_rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(5)[4])
        self.provider_family = _PROVIDERS[family.name](self)
        self.provider_family.before_batch()

    def step(self, X, T):
        self.provider_family.before_batch()
        lr = self.learning_rate()
        super().step(X, T)
        self.provider_family.after_batch(lr)


def network(family, config, n_in, n_out):
    return FeedbackFamilyNetwork(family, config, n_in, n_out)
