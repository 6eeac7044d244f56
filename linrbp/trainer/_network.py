"""The MLP and one mini-batch of learning. Columns are examples throughout (docs/theory.md layout).

Forward: S_h = A_h O_{h-1} + b_h, O_h = f(S_h) (hidden), O_L = softmax(S_L), sigmoid(S_L) or S_L.
Output error delta_L = T - O_L: minus the gradient in S_L of softmax + cross-entropy, of
sigmoid + binary cross-entropy, and of linear + squared error alike.
The backward signals come from :func:`linrbp.backward_signals` (f' via ``derivatives``,
quantisation and learning-channel dropout via ``transform``) and the updates from
:func:`linrbp.updates`; batch means are taken here.

``Network(config, ...)`` builds the rule ``config.rule`` names, including the wider family
(the family modules register their classes here through ``__init_subclass__``).
"""

from __future__ import annotations

import inspect
from typing import NamedTuple

import numpy as np

from ..core._errors import InputError
from ..core._resources import check_memory
from ..core._rules import RULES, get_rule
from ..core._rule_run import backward_signals, state_updates, updates
from ..core._arrays import NumpyBackend, get_backend, to_host
from ._align import alignment as _alignment
from ._feedback import FeedbackProvider
from ._quantise import ERROR_ALPHA, UPDATE_ALPHA, quantise
from ._rule_terms import add_drifts, trainer_rule

__all__ = ["BatchUpdates", "Network", "activate", "derivative_from_output"]


TORCH_MISSING = "device: the trainer's device backend needs torch (pip install torch)"
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


class BatchUpdates(NamedTuple):
    r"""One mini-batch's increments, exactly what :meth:`Network.step` adds.

    ``dA[h]`` is added to A_{h+1}, ``db[h]`` to b_{h+1}, ``dC[h]`` to C_{h+1} (0-based lists;
    ``None`` for an untrained layer, ``db`` all ``None`` without biases, ``dC`` empty for rules
    whose feedback does not learn), ``dX[i]`` to the rule's i-th extra state matrix (flat
    order; empty for rules without). The learning rate is included:
    dA_h = lr * (1/B) sum_n delta_h^(n) O_{h-1}^(n)T.

    Parameters
    ----------
    dA : list of array or None
        L increments of the weights :math:`A_1, \dots, A_L`.
    db : list of array or None
        L increments of the biases (shape (N_h, 1)).
    dC : list of array
        Increments of the feedback matrices (empty unless the rule's feedback learns).
    dX : tuple or list of array, default ()
        Increments of the rule's extra state matrices.

    Examples
    --------
    ARBP learns its feedback: one increment per :math:`C_h`:

    >>> import numpy as np
    >>> from linrbp.trainer import Network, TrainConfig
    >>> net = Network(TrainConfig(rule="arbp", dataset="teacher", hidden=(3,)), 2, 2)
    >>> u = net.batch_updates(np.ones((2, 5)), np.eye(2)[:, [0, 1, 0, 1, 0]])
    >>> [U.shape for U in u.dA], [U.shape for U in u.dC], [b.shape for b in u.db]
    ([(3, 2), (2, 3)], [(3, 2)], [(3, 1), (2, 1)])
    """

    dA: list
    db: list
    dC: list
    dX: tuple | list = ()


def _host_copy(name, a, shape, dtype):
    """A fresh float array of ``shape`` from the caller's ``a`` (never a view of it)."""
    try:
        arr = np.array(to_host(a), dtype=np.float64, copy=True)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected an array of numbers, got {type(a).__name__}") from None
    if arr.shape != tuple(shape):
        raise InputError(f"{name}: expected shape {tuple(shape)}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise InputError(f"{name}: expected finite entries")
    return arr.astype(dtype, copy=False)


def _sequence(name, value, n):
    if isinstance(value, np.ndarray) or not hasattr(value, "__len__"):
        raise InputError(f"{name}: expected a list of {n} arrays, got {type(value).__name__}")
    if len(value) != n:
        raise InputError(f"{name}: expected {n} arrays, got {len(value)}")
    return list(value)


class Network:
    r"""Weights A_1..A_L, biases b_1..b_L, feedback C_1..C_{L-1} and the variant's learning step.

    ``Network(config, n_in, n_out)`` builds the rule ``config.rule`` names (bp, rbp, srbp, arbp,
    asrbp, top-only and every family rule: ``usf``, ``kolen-pollack``, ``weight-mirror``, ...),
    with layer sizes N_0 = ``n_in``, N_1..N_{L-1} = ``config.hidden``, N_L = ``n_out``.
    By default A_h is Glorot normal, b_h = 0 and C_h drawn as the configuration says, all
    from ``config.seed``. To start from given values pass copies of them in (the caller's
    arrays are never changed):

    - ``weights``: A_1..A_L, A_h of shape N_h x N_{h-1};
    - ``biases``: b_1..b_L, each of shape (N_h,) or (N_h, 1) (a column, added to every example);
    - ``feedback``: C_1..C_{L-1}, N_h x N_{h+1} (chained rules) or N_h x N_L (skipped rules);
      for rules whose feedback is state (rbp, srbp, arbp, asrbp, kolen-pollack, weight-mirror).

    The sign family and weight mirrors take their random draws as arguments too (see
    ``FeedbackFamilyNetwork``): ``magnitudes`` (frsf,
    brsf), ``mirror_noise`` (weight-mirror) and ``family_rng`` (the generator of both).
    Random draws the network still makes (feedback, dropout masks, example order) come from
    the configuration's seed whether or not values are injected.

    ``batch_updates(X, T)`` returns one mini-batch's increments without applying them and
    ``step(X, T)`` applies exactly those (then the rule's own maps: Kolen-Pollack's decay,
    the mirror phase); X is N_0 x B and T is N_L x B (columns are examples).

    Parameters
    ----------
    config : TrainConfig
        The rule, hidden sizes, activation, output, dtype, seed and every variant.
    n_in : int
        :math:`N_0`, the input dimension.
    n_out : int
        :math:`N_L`, the number of outputs (classes).
    device : str, optional
        A torch device for the torch backend (bp, rbp, srbp, arbp, asrbp, top-only); None:
        numpy.
    weights : sequence of array_like, optional
        :math:`A_1, \dots, A_L` (copied); default Glorot normal from ``config.seed``.
    biases : sequence of array_like, optional
        :math:`b_1, \dots, b_L` (copied); default zeros (needs ``config.bias``).
    feedback : sequence of array_like, optional
        :math:`C_1, \dots, C_{L-1}` (copied); default drawn as the configuration says.
    magnitudes, mirror_noise, family_rng : optional
        The random draws of the sign family and weight mirrors (``FeedbackFamilyNetwork``);
        an error for any other rule.
    state : sequence of array_like, optional
        The rule's extra state matrices (rules that declare state).

    Raises
    ------
    ValueError
        An InputError naming the argument: a shape, a non-finite entry, a rule without a
        network class, an option the rule or backend does not have, too little memory.

    Examples
    --------
    RBP with linear units from given weights: the output error is
    :math:`\delta_2 = T - A_2 A_1 X`, the hidden signal :math:`\delta_1 = C_1 \delta_2`, and the
    increments are :math:`\mathrm{lr}/B` times :math:`\delta_2 (A_1 X)^T` and
    :math:`\delta_1 X^T` (docs/theory.md section 0):

    >>> import numpy as np
    >>> from linrbp.trainer import Network, TrainConfig
    >>> cfg = TrainConfig(rule="rbp", dataset="teacher", hidden=(3,), activation="linear",
    ...                   output="linear", bias=False, dtype="float64", lr=0.1)
    >>> rng = np.random.default_rng(0)
    >>> A1, A2, C1 = rng.normal(size=(3, 2)), rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    >>> X, T = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    >>> net = Network(cfg, 2, 2, weights=[A1, A2], feedback=[C1])
    >>> u = net.batch_updates(X, T)
    >>> E = T - A2 @ A1 @ X
    >>> np.allclose(u.dA[1], 0.1 * E @ (A1 @ X).T / 5), np.allclose(u.dA[0], 0.1 * C1 @ E @ X.T / 5)
    (True, True)
    >>> net.step(X, T)
    >>> np.allclose(net.weights[0], A1 + u.dA[0]), net.t
    (True, 1)
    """

    _family_classes: dict = {}  # family rule name -> its Network subclass

    def __init_subclass__(cls, rules=(), **kw):
        super().__init_subclass__(**kw)
        for name in rules:
            Network._family_classes[name] = cls

    def __new__(cls, config=None, *args, **kwargs):
        rule = getattr(config, "rule", None)
        # a family rule's own class first: kolen-pollack, weight-mirror, sign-symmetry and usf
        # are also registered rules of the averaged world (linrbp.core._rules)
        sub = Network._family_classes.get(rule) if cls is Network and rule is not None else None
        if sub is None and cls is Network and rule is not None and rule not in RULES and rule != "top-only":
            raise InputError(f"rule: no network class is registered for rule {rule!r}")
        if sub is not None:
            device = args[2] if len(args) > 2 else kwargs.get("device")
            if device is not None:
                raise InputError(f"device: rule {rule} runs on the numpy backend only "
                                 "(the device backend has bp, rbp, srbp, arbp, asrbp and top-only)")
            cls = sub
        return super().__new__(cls)

    def __init__(self, config, n_in: int, n_out: int, device: str | None = None, *,
                 weights=None, biases=None, feedback=None, magnitudes=None, mirror_noise=None,
                 family_rng=None, state=None):
        self.config = cfg = config
        for name, v in (("magnitudes", magnitudes), ("mirror_noise", mirror_noise), ("family_rng", family_rng)):
            if v is not None:
                raise InputError(f"{name}: rule {cfg.rule} draws no {name.replace('_', ' ')}")
        self.dtype = np.dtype(cfg.dtype)
        self.backend = be = get_backend(cfg.dtype, device, missing=TORCH_MISSING)
        if be.name != "numpy" and cfg.per_synapse:
            raise InputError("device: per-synapse feedback runs on the numpy backend only")
        self.layers = (n_in,) + tuple(cfg.hidden) + (n_out,)
        check_memory(network_bytes(self.layers, cfg.batch_size, self.dtype.itemsize, cfg.per_synapse),
                     f"a {'-'.join(map(str, self.layers))} network", "hidden")
        self.L = len(self.layers) - 1
        self.rule = trainer_rule(cfg, self.layers)
        init, fb_rng, self.drop_rng, self.shuffle_rng = (
            np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(4))
        self.weights = []
        for h in range(1, self.L + 1):
            fan_out, fan_in = self.layers[h], self.layers[h - 1]
            std = np.sqrt(2.0 / (fan_in + fan_out))  # Glorot normal
            self.weights.append(be.asarray((init.standard_normal((fan_out, fan_in)) * std).astype(self.dtype)))
        self.biases = [be.asarray(np.zeros((n, 1), self.dtype)) for n in self.layers[1:]] if cfg.bias else None
        if weights is not None:
            ws = _sequence("weights", weights, self.L)
            self.weights = [be.asarray(_host_copy(f"weights[{h}] (A_{h + 1})", W,
                                                  (self.layers[h + 1], self.layers[h]), self.dtype))
                            for h, W in enumerate(ws)]
        if biases is not None:
            if self.biases is None:
                raise InputError("biases: this configuration has no biases (bias=False)")
            bs = _sequence("biases", biases, self.L)
            self.biases = []
            for h, b in enumerate(bs):
                n = self.layers[h + 1]
                shape = np.shape(to_host(b))
                if shape not in ((n,), (n, 1)):
                    raise InputError(f"biases[{h}] (b_{h + 1}): expected shape ({n},) or ({n}, 1), got {shape}")
                self.biases.append(be.asarray(_host_copy(f"biases[{h}] (b_{h + 1})", b, shape,
                                                         self.dtype).reshape(n, 1)))
        self.provider = FeedbackProvider(
            self.rule, self.layers, fb_rng, distribution=cfg.feedback, mean=cfg.feedback_mean,
            sparsity=cfg.feedback_sparsity, resample=cfg.resample, per_synapse=cfg.per_synapse,
            dtype=self.dtype)
        self.feedback = [be.asarray(C) for C in self.provider.initial(self.host_weights())]
        if feedback is not None:
            self._inject_feedback(feedback)
        self.state = self._initial_state(state)
        self.t = 0  # number of updates so far

    def _initial_state(self, state) -> list:
        """The rule's extra state (flat; :class:`linrbp.StateVariable`): given, or its initial values."""
        from ..core._state import state_layers, state_shapes

        r, cfg = self.rule, self.config
        if not r.state:
            if state is not None:
                raise InputError(f"state: rule {cfg.rule} has no state variables")
            return []
        if cfg.per_synapse or cfg.update_bits is not None or cfg.rule == "top-only":
            raise InputError(f"rule {cfg.rule}: a rule with extra state trains without per_synapse and "
                             "update_bits")
        shapes = state_shapes(r, self.layers)
        if state is None:
            vals = [float(v.initial) for v in r.state for _ in state_layers(v, self.L)]
            return [self.backend.asarray(np.full(s, x, self.dtype)) for s, x in zip(shapes, vals)]
        xs = _sequence("state", state, len(shapes))
        return [self.backend.asarray(_host_copy(f"state[{i}]", X, s, self.dtype))
                for i, (X, s) in enumerate(zip(xs, shapes))]

    def _inject_feedback(self, feedback) -> None:
        cfg = self.config
        if not self.rule.uses_feedback or cfg.rule == "top-only" or not self.feedback:
            raise InputError(f"feedback: rule {cfg.rule} has no feedback matrices")
        if cfg.resample != "none":
            raise InputError(f"feedback: with resample={cfg.resample} the feedback is redrawn every batch")
        fb = _sequence("feedback", feedback, len(self.provider.shapes))
        self.feedback = [self.backend.asarray(_host_copy(f"feedback[{h}] (C_{h + 1})", C, shape, self.dtype))
                         for h, (C, shape) in enumerate(zip(fb, self.provider.shapes))]

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
        out = self.config.output
        if out == "softmax":
            return softmax_columns(S, self.backend)
        if out == "sigmoid":
            return activate("logistic", S, self.backend)
        return S

    def loss(self, X, T) -> float:
        r"""The batch-mean loss whose gradient in :math:`S_L` is :math:`-\delta_L = O_L - T` (float64).

        softmax: :math:`-\sum_k T_k \log O_k`; sigmoid:
        :math:`-\sum_k [T_k \log O_k + (1 - T_k) \log(1 - O_k)]` (binary cross-entropy per
        output unit); linear: :math:`\tfrac12 \|T - O_L\|^2`. Computed from
        S_L = A_L O_{L-1} + b_L in a form that does not overflow.
        """
        X, T = self._batch(X, T)
        O = self.forward(X)
        S = to_host(self.weights[-1] @ O[-2]).astype(np.float64)
        if self.biases is not None:
            S = S + to_host(self.biases[-1])
        T = to_host(T).astype(np.float64)
        out = self.config.output
        if out == "softmax":
            m = S.max(axis=0, keepdims=True)
            lse = m + np.log(np.exp(S - m).sum(axis=0, keepdims=True))
            per = -(T * (S - lse)).sum(axis=0)
        elif out == "sigmoid":  # log(1 + e^S) - T S, written without overflow
            per = (np.maximum(S, 0) - T * S + np.log1p(np.exp(-np.abs(S)))).sum(axis=0)
        else:
            per = 0.5 * ((T - S) ** 2).sum(axis=0)
        return float(per.mean())

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
                                self._transform(dropout), state=self.state or None)

    # -- updates ----------------------------------------------------------------
    def _target_rows(self) -> tuple:
        return (self.layers[-1],)

    def _batch(self, X, T):
        """X (N_0 x B) and T (N_L x B) as the backend's arrays, shapes checked."""
        be = self.backend
        X = X if hasattr(X, "detach") else be.asarray(X)
        T = T if hasattr(T, "detach") else be.asarray(T)
        if X.ndim != 2 or X.shape[0] != self.layers[0]:
            raise InputError(f"X: expected shape ({self.layers[0]}, B) (columns are examples), got {tuple(X.shape)}")
        rows = self._target_rows()
        if T.ndim != 2 or T.shape[0] not in rows or T.shape[1] != X.shape[1]:
            want = " or ".join(f"({r}, {X.shape[1]})" for r in rows)
            raise InputError(f"T: expected shape {want} (columns are examples), got {tuple(T.shape)}")
        return X, T

    def batch_updates(self, X, T, lr=None):
        """One mini-batch's increments, without applying them: a :class:`BatchUpdates`.

        ``X`` (N_0 x B) are the inputs and ``T`` (N_L x B) the targets, columns are examples.
        ``dA[h]`` = lr (1/B) sum_n delta_{h+1}^(n) O_h^(n)T with the rule's delta and the
        learning rate of the next step; ``step(X, T)`` adds exactly these numbers.
        Random parts of a step are drawn here (learning-channel dropout masks), so a
        ``batch_updates`` call advances those streams as a step does.

        Also accepts activities and signals, ``batch_updates(O, deltas, lr=None)``: the batch
        means per unit learning rate (dA, db, dC), as the alignment measurements use them.
        """
        if isinstance(X, (list, tuple)):
            return self._mean_updates(X, T, lr)
        X, T = self._batch(X, T)
        lr = self.learning_rate()
        O = self.forward(X)
        deltas = self.backward(O, T)
        dA, db, dC = self._mean_updates(O, deltas, lr)
        dX = (state_updates(self.rule, self.weights, self.feedback, self.state, deltas, O, 1.0 / O[0].shape[1])
              if self.state else [])
        scale = float(1.0 if self.config.update_bits is not None else lr)
        if scale != 1:
            dA = [None if U is None else U * scale for U in dA]
            db = [None if U is None else U * scale for U in db]
            dC = [U * scale for U in dC]
            dX = [U * scale for U in dX]
        return BatchUpdates(dA, db, dC, dX)

    def _mean_updates(self, O, deltas, lr=None):
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
            if self.biases is None:
                db = [None] * L
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
            dC = [c * inv if c is not None else None for c in dC]
            dA, dC = add_drifts(rule, dA, dC, self.weights, self.feedback, trained,
                                self.state or None)  # W_h, D_h
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
        """The learning rate of the next step: lr / (1 + lr_decay t) (fixed with update_bits)."""
        cfg = self.config
        if cfg.update_bits is not None:
            return cfg.lr  # [BSL] 5.2: fixed learning rate
        return cfg.lr / (1.0 + cfg.lr_decay * self.t)

    def apply_updates(self, u: BatchUpdates) -> None:
        """A_h += dA_h, b_h += db_h, C_h += dC_h (in place; ``None`` entries are skipped)."""
        for h in range(self.L):
            if u.dA[h] is not None:
                self.weights[h] += u.dA[h]
            if self.biases is not None and u.db[h] is not None:
                self.biases[h] += u.db[h]
        for h, U in enumerate(u.dC):
            self.feedback[h] += U
        for i, U in enumerate(u.dX):
            self.state[i] += U

    def step(self, X: np.ndarray, T: np.ndarray) -> None:
        """One SGD update on a mini-batch (columns are examples): adds ``batch_updates(X, T)``.

        With ``resample`` the feedback is redrawn first (the batch's own draw).
        """
        if self.config.resample != "none":
            self.feedback = [self.backend.asarray(C) for C in self.provider.redraw(self.host_weights())]
        self.apply_updates(self.batch_updates(X, T))
        self.t += 1

    def alignment(self, X, T) -> dict:
        """The alignment angles of :func:`linrbp.trainer.alignment` on probe batch (X, T)."""
        return _alignment(self, *self._batch(X, T))


# The signature the documentation shows (and inspect.signature reports) is __init__'s: __new__'s
# generic (config=None, *args, **kwargs) only picks the family class.
Network.__signature__ = inspect.signature(Network.__init__).replace(
    parameters=list(inspect.signature(Network.__init__).parameters.values())[1:])
