"""Family rules whose backward pass is a feedback matrix applied to a signal.

The backward signals are those of the chained rule (``rbp``; ``arbp`` for Kolen-Pollack) of
:func:`linrbp.backward_signals`: delta_h = f'(S_h) * (C_h delta_{h+1}). What differs is
where C_h (N_h x N_{h+1}, standing in for A_{h+1}^T) comes from; a provider computes it from
the forward weights and/or adapts it after the update:

- sign-symmetry: C_h = sign(A_{h+1}^T);
- uSF: C_h = s_h sign(A_{h+1}^T), s_h = sqrt(2 / (N_h + N_{h+1})) (the Glorot scale of the
  trainer's random feedback);
- brSF / frSF: C_h = |R_h| * sign(A_{h+1}^T), R_h ~ N(0, s_h^2) redrawn every mini-batch (brSF)
  or drawn once (frSF);
- Kolen-Pollack: ARBP's dC_h = O_h delta_{h+1}^T, which is (dA_{h+1})^T, plus the weight
  decay on both A and C, so C_h - A_{h+1}^T -> 0 geometrically. Two orders of the decay:
  ``weight_decay_order="after"`` (default) W <- (1 - lr wd)(W + lr dW), the decay after the
  step; ``"before"`` (Akrout et al. 2019's code) W <- W + lr dW - lr wd W, the decay of the old
  weights. They differ by lr^2 wd dW per step (O(lr^2 wd)); C_h - A_{h+1}^T shrinks by exactly
  (1 - lr wd) per step under both, since dC_h = (dA_{h+1})^T;
- weight mirror: after every update, x ~ N(0, I) (N_h x b) is injected at layer h and
  C_h <- (1 - eta) C_h + eta x (A_{h+1} x)^T / b; E[x x^T] = I makes A_{h+1}^T the fixed point.

Sign feedback is a function of the current forward weights, not a cache: ``net.feedback``
(what the backward pass, ``batch_updates`` and the alignment measurements use) is rebuilt
from the A_{h+1} of that moment, so it never lags a step behind. brSF draws the magnitudes of
the next batch after each step (and two at the start, the first unused, so that runs
reproduce those of earlier versions draw for draw): ``batch_updates(X, T)`` then ``step(X, T)``
use the same magnitudes.

Injection (``Network(config, ..., magnitudes=..., mirror_noise=..., family_rng=...)``):
``magnitudes`` for frsf is a list of the L-1 arrays |R_h| (N_h x N_{h+1}, non-negative) or a
callable ``magnitudes(h, shape)`` returning one (h = 0 for C_1), called once; for brsf a
callable, called for each batch. ``mirror_noise(h, shape)`` returns the N_h x b probe noise x
of one mirror phase at C_{h+1}. ``family_rng`` (a numpy Generator) replaces the seeded stream
those draws come from by default. Copies are taken; the caller's arrays are never changed.
"""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError
from ._family import FAMILY, weight_decay
from ._network import Network, _host_copy, _sequence

__all__ = ["FeedbackFamilyNetwork", "network"]


def _glorot(rows, cols):
    return np.sqrt(2.0 / (rows + cols))


def _drawn(name, value, shape, nonnegative=False):
    arr = _host_copy(name, value, shape, np.float64)
    if nonnegative and (arr < 0).any():
        raise InputError(f"{name}: expected non-negative magnitudes")
    return arr


class _Provider:
    def __init__(self, net, magnitudes=None, mirror_noise=None):
        rule = net.config.rule
        if magnitudes is not None:
            raise InputError(f"magnitudes: rule {rule} has no random magnitudes to inject")
        if mirror_noise is not None:
            raise InputError(f"mirror_noise: rule {rule} has no mirror phase")
        self.net = net

    def feedback(self):
        return None  # the feedback is state (net._feedback)

    def before_batch(self):
        """Kept for callers of earlier versions: sign feedback now follows A by itself."""

    def before_apply(self, lr):
        pass

    def after_batch(self, lr):
        pass


class _Sign(_Provider):
    """C_h = magnitude_h * sign(A_{h+1}^T); magnitude: 1, the Glorot scale, or |N(0, s^2)|."""

    def __init__(self, net, magnitude, magnitudes=None, mirror_noise=None):
        super().__init__(net, None, mirror_noise)
        self.magnitude = magnitude
        self.shapes = list(net.provider.shapes)
        self.inject = None
        if magnitudes is not None:
            if magnitude in ("one", "glorot"):
                raise InputError(f"magnitudes: rule {net.config.rule}'s magnitudes are not random "
                                 f"({'1' if magnitude == 'one' else 'the Glorot scale'})")
            if callable(magnitudes):
                self.inject = magnitudes
            elif magnitude == "batch":
                raise InputError("magnitudes: brsf redraws its magnitudes every batch; pass a callable "
                                 "magnitudes(h, shape)")
            else:
                given = _sequence("magnitudes", magnitudes, len(self.shapes))
                fixed = [_drawn(f"magnitudes[{h}] (|R_{h + 1}|)", m, s, True)
                         for h, (m, s) in enumerate(zip(given, self.shapes))]
                self.inject = lambda h, shape: fixed[h]
        self.current = None
        if magnitude == "fixed":
            self.current = self._draw_all()
        elif magnitude == "batch":
            if self.inject is None:
                self._draw_all()  # earlier versions drew (and never used) one set here
            self.current = self._draw_all()

    def _draw_all(self):
        out = []
        for h, shape in enumerate(self.shapes):
            if self.inject is not None:
                out.append(_drawn(f"magnitudes(h={h})", self.inject(h, shape), shape, True))
            else:
                out.append(np.abs(self.net.family_rng.standard_normal(shape) * _glorot(*shape)))
        return out

    def feedback(self):
        net = self.net
        out = []
        for h, shape in enumerate(self.shapes):
            S = np.sign(net.weights[h + 1].T)
            if self.magnitude == "one":
                M = 1.0
            elif self.magnitude == "glorot":
                M = _glorot(*shape)
            else:
                M = self.current[h]
            out.append((S * M).astype(net.dtype))
        return out

    def after_batch(self, lr):
        if self.magnitude == "batch":  # the next batch's magnitudes
            self.current = self._draw_all()


class _KolenPollack(_Provider):
    def __init__(self, net, magnitudes=None, mirror_noise=None):
        super().__init__(net, magnitudes, mirror_noise)
        self.decay = weight_decay(net.config)
        self.order = getattr(net.config, "weight_decay_order", "after")

    def _shrink(self, lr):
        if self.decay == 0:
            return
        keep = self.net.dtype.type(1.0 - lr * self.decay)
        for arr in self.net.weights + self.net.feedback:
            arr *= keep

    def before_apply(self, lr):
        if self.order == "before":  # W <- W - lr wd W + lr dW (Akrout et al. 2019)
            self._shrink(lr)

    def after_batch(self, lr):
        if self.order == "after":  # W <- (1 - lr wd)(W + lr dW)
            self._shrink(lr)


class _Mirror(_Provider):
    def __init__(self, net, magnitudes=None, mirror_noise=None):
        super().__init__(net, magnitudes, None)
        if mirror_noise is not None and not callable(mirror_noise):
            raise InputError("mirror_noise: expected a callable mirror_noise(h, shape) returning "
                             "the N_h x b probe noise")
        self.noise = mirror_noise
        d = net.family.defaults
        self.eta, self.batch = float(d["mirror_lr"]), int(d["mirror_batch"])

    def after_batch(self, lr):
        net = self.net
        for h, C in enumerate(net.feedback):
            shape = (C.shape[0], self.batch)
            if self.noise is not None:
                x = _drawn(f"mirror_noise(h={h})", self.noise(h, shape), shape).astype(net.dtype)
            else:
                x = net.family_rng.standard_normal(shape).astype(net.dtype)
            y = net.weights[h + 1] @ x
            C *= net.dtype.type(1.0 - self.eta)
            C += (x @ y.T) * net.dtype.type(self.eta / self.batch)


_PROVIDERS = {
    "sign-symmetry": lambda net, **kw: _Sign(net, "one", **kw),
    "usf": lambda net, **kw: _Sign(net, "glorot", **kw),
    "brsf": lambda net, **kw: _Sign(net, "batch", **kw),
    "frsf": lambda net, **kw: _Sign(net, "fixed", **kw),
    "kolen-pollack": _KolenPollack,
    "weight-mirror": _Mirror,
}
_SIGN_RULES = ("sign-symmetry", "usf", "brsf", "frsf")


class FeedbackFamilyNetwork(Network, rules=tuple(_PROVIDERS)):
    """The trainer's Network (chained base rule) with a family feedback provider.

    ``Network(config, n_in, n_out, ...)`` with ``config.rule`` one of sign-symmetry, usf,
    brsf, frsf, kolen-pollack, weight-mirror builds this class. Besides the base class's
    ``weights``, ``biases`` and ``feedback`` (Kolen-Pollack and weight mirrors only: the sign
    family computes its feedback from A) it takes ``magnitudes`` (frsf, brsf),
    ``mirror_noise`` (weight-mirror) and ``family_rng``; see the module docstring.
    ``step`` adds ``batch_updates(X, T)`` and then applies the rule's own map: Kolen-Pollack's
    decay (after the step, or before it with ``weight_decay_order="before"``), the mirror
    phase, brSF's draw of the next magnitudes.
    """

    def __init__(self, config, n_in, n_out, device=None, *, magnitudes=None, mirror_noise=None,
                 family_rng=None, feedback=None, **inject):
        if feedback is not None and config.rule in _SIGN_RULES:
            raise InputError(f"feedback: rule {config.rule} builds C_h from sign(A_{{h+1}}^T); "
                             "pass weights (and magnitudes for frsf/brsf) instead")
        if family_rng is not None and not isinstance(family_rng, np.random.Generator):
            raise InputError(f"family_rng: expected a numpy Generator, got {type(family_rng).__name__}")
        super().__init__(config, n_in, n_out, device, feedback=feedback, **inject)  # draws the initial C_h
        self.family = FAMILY[config.rule]
        # a fifth stream of the run's seed, independent of the four the Network uses
        self.family_rng = (family_rng if family_rng is not None
                           else np.random.default_rng(np.random.SeedSequence(config.seed).spawn(5)[4]))
        self.provider_family = None
        provider = _PROVIDERS[config.rule](self, magnitudes=magnitudes, mirror_noise=mirror_noise)
        self.provider_family = provider

    @property
    def feedback(self):
        """C_1..C_{L-1}: the sign family's from the current A, else the learned state."""
        p = self.__dict__.get("provider_family")
        C = p.feedback() if p is not None else None
        return self._feedback if C is None else C

    @feedback.setter
    def feedback(self, value):
        self._feedback = value

    def step(self, X, T):
        u = self.batch_updates(X, T)
        lr = self.learning_rate()
        self.provider_family.before_apply(lr)
        self.apply_updates(u)
        self.provider_family.after_batch(lr)
        self.t += 1


def network(family, config, n_in, n_out):
    return FeedbackFamilyNetwork(config, n_in, n_out)
