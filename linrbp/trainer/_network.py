"""The MLP and one mini-batch of learning. Columns are examples throughout (THEORY.md layout).

Forward: S_h = A_h O_{h-1} + b_h, O_h = f(S_h) (hidden), O_L = softmax(S_L) or S_L.
Output error delta_L = T - O_L (softmax + cross-entropy, or linear + squared error).
The backward signals come from :func:`linrbp.core._rules.backward_signals` (f' via ``derivatives``,
quantisation and learning-channel dropout via ``transform``) and the updates from
:func:`linrbp.core._rules.updates`; batch means are taken here.
"""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError
from ..core._resources import check_memory
from ..core._rules import RULES, backward_signals, get_rule, updates
from ._backend import NumpyBackend, get_backend, to_host
from ._config import TrainConfig
from ._feedback import FeedbackProvider
from ._quantise import ERROR_ALPHA, UPDATE_ALPHA, quantise

__all__ = ["Network", "activate", "derivative_from_output"]


_NUMPY = NumpyBackend("float64")  # the dtype-free array operations of the numpy backend


def activate(name: str, S, backend=None):
    """f(S) in place (tanh, logistic, relu; linear returns S)."""
    be = backend or _NUMPY
    if name == "tanh":
        return be.tanh_(S)
    if name == "logistic":
        # 1 / (1 + e^-S) written via tanh: no overflow warnings in float32
        S *= 0.5
        be.tanh_(S)
        S += 1.0
        S *= 0.5
        return S
    if name == "relu":
        return be.relu_(S)
    return S


def derivative_from_output(name: str, O):
    """f'(S) expressed through O = f(S); None for the identity (f' = 1)."""
    if name == "tanh":
        return 1.0 - O * O
    if name == "logistic":
        return O * (1.0 - O)
    if name == "relu":
        positive = O > 0
        return positive.astype(O.dtype) if hasattr(positive, "astype") else positive.to(O.dtype)
    return None


def softmax_columns(S, backend=None):
    return (backend or _NUMPY).softmax_columns_(S)


def network_bytes(layers, batch_size: int, itemsize: int, per_synapse: bool = False) -> float:
    """Estimated peak bytes of a network: weights, feedback and one update each (plus the
    float64 draw behind each initial matrix), activities and signals of one mini-batch."""
    params = sum((a + 1) * b for a, b in zip(layers[:-1], layers[1:]))
    feedback = params * (layers[-1] if per_synapse else 1)
    units = sum(layers)
    return float(params * (3 * itemsize + 8) + feedback * itemsize + 6 * batch_size * units * itemsize)


class Network:
    """Weights A_1..A_L, biases, feedback C_1..C_{L-1} and the variant's learning step."""

    def __init__(self, config: TrainConfig, n_in: int, n_out: int, device: str | None = None):
        self.config = cfg = config
        self.dtype = np.dtype(cfg.dtype)
        self.backend = be = get_backend(cfg.dtype, device)
        if be.name != "numpy" and cfg.per_synapse:
            raise InputError("device: per-synapse feedback runs on the numpy backend only")
        self.layers = (n_in,) + tuple(cfg.hidden) + (n_out,)
        check_memory(network_bytes(self.layers, cfg.batch_size, self.dtype.itemsize, cfg.per_synapse),
                     f"a {'-'.join(map(str, self.layers))} network", "hidden")
        self.L = len(self.layers) - 1
        self.rule = get_rule(cfg.base_rule)
        init, fb_rng, self.drop_rng, self.shuffle_rng = (
            np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(4))
        self.weights = []
        for h in range(1, self.L + 1):
            fan_out, fan_in = self.layers[h], self.layers[h - 1]
            std = np.sqrt(2.0 / (fan_in + fan_out))  # Glorot normal
            self.weights.append(be.asarray((init.standard_normal((fan_out, fan_in)) * std).astype(self.dtype)))
        self.biases = [be.asarray(np.zeros((n, 1), self.dtype)) for n in self.layers[1:]] if cfg.bias else None
        self.provider = FeedbackProvider(
            self.rule, self.layers, fb_rng, distribution=cfg.feedback, mean=cfg.feedback_mean,
            sparsity=cfg.feedback_sparsity, resample=cfg.resample, per_synapse=cfg.per_synapse,
            dtype=self.dtype)
        self.feedback = [be.asarray(C) for C in self.provider.initial(self.host_weights())]
        self.t = 0  # number of updates so far

    def host_weights(self) -> list[np.ndarray]:
        """A_1..A_L as numpy arrays (the weights themselves on the numpy backend)."""
        return [to_host(A) for A in self.weights]

    # -- forward ----------------------------------------------------------------
    def forward(self, X: np.ndarray) -> list[np.ndarray]:
        """Activities O_0..O_L for inputs X (N0 x B, columns are examples)."""
        O = [X]
        for h, A in enumerate(self.weights):
            S = A @ O[-1]
            if self.biases is not None:
                S += self.biases[h]
            O.append(self._hidden(h, S) if h < self.L - 1 else self._output(S))
        return O

    def _hidden(self, h: int, S: np.ndarray) -> np.ndarray:
        """Activity of hidden layer h+1 from its input S (rules with other units override)."""
        return activate(self.config.activation, S, self.backend)

    def _output(self, S: np.ndarray) -> np.ndarray:
        return softmax_columns(S, self.backend) if self.config.output == "softmax" else S

    def predict(self, X: np.ndarray, chunk: int = 10000) -> np.ndarray:
        """Class predictions for rows of X."""
        out = []
        for i in range(0, len(X), chunk):
            out.append(self.backend.argmax_columns(self.forward(self.backend.asarray(X[i:i + chunk].T))[-1]))
        return np.concatenate(out) if out else np.zeros(0, int)

    # -- backward ---------------------------------------------------------------
    def _transform(self, dropout: bool):
        cfg = self.config
        p = cfg.dropout if dropout else 0.0
        bits = cfg.error_bits
        if p == 0 and bits is None:
            return None

        def transform(h, d):
            if p > 0:
                keep = self.drop_rng.random(d.shape[-2:], dtype=np.float32) >= p
                d = d * self.backend.asarray(keep) * (1.0 / (1.0 - p))
            if bits is not None:
                if cfg.error_scale == "example":  # the signal one example sends down the channel
                    d = quantise(d, bits, ERROR_ALPHA)
                else:  # its share of the batch-mean loss's gradient, delta / B
                    B = d.shape[-1]
                    d = quantise(d * (1.0 / B), bits, ERROR_ALPHA) * float(B)
            return d

        return transform

    def backward(self, O: list[np.ndarray], T: np.ndarray, dropout: bool = True, rule=None):
        """delta_1..delta_L for this variant (``rule`` overrides it, as plain BP for alignment)."""
        cfg = self.config
        delta_top = T - O[-1]
        if rule is None and cfg.rule == "top-only":
            return [None] * (self.L - 1) + [delta_top]
        if rule is not None:  # a reference rule: f' and no transforms
            r = get_rule(rule)
            derivs = [derivative_from_output(cfg.activation, O[h + 1]) for h in range(self.L - 1)]
            return backward_signals(r, self.weights, [], delta_top, derivs)
        derivs = ([derivative_from_output(cfg.activation, O[h + 1]) for h in range(self.L - 1)]
                  if cfg.derivative else None)
        return backward_signals(self.rule, self.weights, self.feedback, delta_top, derivs,
                                self._transform(dropout))

    def batch_updates(self, O, deltas, lr=None):
        """Mean updates over the batch: (dA, db, dC), per unit learning rate.

        With ``update_bits`` each example's share of the batch-mean-loss step,
        (lr / B) delta_h O_{h-1}^T, is quantised (alpha = 2^-6) before summing over the batch,
        so the result already includes ``lr``.
        """
        cfg = self.config
        B = O[0].shape[1]
        L = self.L
        trained = [h for h in range(L) if deltas[h] is not None and cfg.freeze_layer != h + 1]
        dA, db, dC = [None] * L, [None] * L, []
        rule = self.rule if cfg.rule != "top-only" else RULES["bp"]
        if cfg.update_bits is not None:
            q = lambda U: quantise(U, cfg.update_bits, UPDATE_ALPHA, out=U)
            step, c = lr / B, self.backend.contiguous
            for h in trained:
                d_ex = c(deltas[h].T)[:, :, None] * step
                o_ex = c(O[h].T)[:, :, None]
                (U,), _ = updates("bp", [d_ex], [o_ex])  # per-example delta_h O_{h-1}^T, B x N_h x N_{h-1}
                dA[h] = q(U).sum(axis=0)
                db[h] = q(d_ex).sum(axis=0)
            if rule.adaptive:
                _, dCs = updates(rule, [c(d.T)[:, :, None] * step for d in deltas],
                                 [c(o.T)[:, :, None] for o in O])
                dC = [q(U).sum(axis=0) for U in dCs]
            return dA, db, dC
        inv = 1.0 / B
        if cfg.per_synapse:
            if L - 1 in trained:
                (top,), _ = updates("bp", [deltas[L - 1]], [O[L - 1]])
                dA[L - 1] = top * inv
            for h in trained:
                if h < L - 1:  # deltas[h]: N_{h-1} x N_h x B, one signal per synapse
                    dA[h] = np.einsum("jib,jb->ij", deltas[h], O[h], optimize=True) * inv
                    # hidden biases have no per-synapse feedback: left untrained
        elif cfg.rule == "top-only":
            if L - 1 in trained:
                (top,), _ = updates("bp", [deltas[L - 1]], [O[L - 1]])
                dA[L - 1] = top * inv
        else:
            As, dC = updates(rule, deltas, O)
            dA = [a * inv if h in trained else None for h, a in enumerate(As)]
            dC = [c * inv for c in dC]
        if self.biases is not None:
            for h in trained:
                if deltas[h].ndim == 2:
                    db[h] = deltas[h].sum(axis=1, keepdims=True) * inv
        if cfg.hidden_update != "full":
            for h in range(L - 1):
                for arr in (dA, db):
                    if arr[h] is not None:
                        be = self.backend
                        arr[h] = (be.abs(arr[h]) if cfg.hidden_update == "abs"
                                  else be.sign(arr[h]) * be.abs(arr[h]).mean())
        return dA, db, dC

    def learning_rate(self) -> float:
        cfg = self.config
        if cfg.update_bits is not None:
            return cfg.lr  # [BSL] 5.2: fixed learning rate
        return cfg.lr / (1.0 + cfg.lr_decay * self.t)

    def step(self, X: np.ndarray, T: np.ndarray) -> None:
        """One SGD update on a mini-batch (columns are examples)."""
        cfg = self.config
        if cfg.resample != "none":
            self.feedback = [self.backend.asarray(C) for C in self.provider.redraw(self.host_weights())]
        lr = self.learning_rate()
        O = self.forward(X)
        deltas = self.backward(O, T)
        dA, db, dC = self.batch_updates(O, deltas, lr)
        scale = 1.0 if cfg.update_bits is not None else lr
        scale = float(scale)
        for h in range(self.L):
            if dA[h] is not None:
                self.weights[h] += dA[h] * scale if scale != 1 else dA[h]
            if self.biases is not None and db[h] is not None:
                self.biases[h] += db[h] * scale if scale != 1 else db[h]
        for h, U in enumerate(dC):
            self.feedback[h] += U * scale if scale != 1 else U
        self.t += 1
