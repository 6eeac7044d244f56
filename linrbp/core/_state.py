"""State variables beyond A_h and C_h: a rule's own extra state (learned gains, running averages).

A :class:`StateVariable` is part of a rule's one statement (:class:`linrbp.Rule`'s ``state``):
one value X_h per layer (``layers="hidden"``: h = 1..L-1, ``"all"``: h = 1..L), a scalar or a
matrix shaped like A_h, C_h or B_h, and its per-example update

    dX_h = eta * ( learning(h, A, C, p, G)  +  drift(h, A, C, p) ),

where ``learning`` is LINEAR in the data terms G (``G.weight(h)`` = delta_h O_{h-1}^T,
``G.feedback(h)`` = O_h s_h^T, the per-example outer products the rule's A_h and C_h learn
from), so its average over the data is the same function of the averaged terms, and ``drift``
does not read the data. The rule's ``backward``/drifts and the state's own functions read the
values as ``p[name][h]`` (a scalar: a number-like value that multiplies a matrix, in numpy
shape (..., 1, 1), in sympy a symbol).

The averaged field (:mod:`linrbp.core._field`), the symbolic derivation, the generated and
compiled integrator code and the trainer all run these functions; nothing restates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from ._errors import InputError

__all__ = ["StateVariable", "DataTerms", "state_shapes", "state_values", "state_velocity",
           "state_layers", "inner"]

_SHAPES = ("scalar", "weights", "feedback", "backward")
_LAYERS = ("hidden", "all")


def inner(X, Y):
    """<X, Y> = sum_ij X_ij Y_ij, in the matrix protocol of the rules.

    Parameters
    ----------
    X, Y : array or sympy Matrix
        Of equal shape; numpy (and torch) arrays may carry leading batch axes.

    Returns
    -------
    array or sympy expression
        Shape (..., 1, 1) for arrays (it multiplies a matrix per batch entry), a scalar
        expression for sympy matrices.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> float(inner(np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]]))[0, 0])
    5.0
    >>> inner(sp.Matrix([[1, 2]]), sp.Matrix([[sp.Symbol("x"), 1]]))
    x + 2
    """
    if hasattr(X, "multiply_elementwise"):
        return sum(X.multiply_elementwise(Y))
    Z = X * Y
    if hasattr(Z, "detach"):  # a torch tensor
        return Z.sum(dim=(-1, -2), keepdim=True)
    return Z.sum(axis=(-1, -2), keepdims=True)


@dataclass(frozen=True)
class StateVariable:
    """One extra state variable of a rule (see the module docstring).

    Parameters
    ----------
    name : str
        Lowercase identifier; the instance-file key ``"state": {name: [...]}`` and ``p[name]``.
    learning : callable or None, default None
        ``(h, A, C, p, G) -> value``, linear in the data terms ``G``.
    drift : callable or None, default None
        ``(h, A, C, p) -> value``, data-independent.
    shape : {"scalar", "weights", "feedback", "backward"}, default "scalar"
        One number per layer, or a matrix shaped like A_h, C_h or B_h (N_h x N_src).
    layers : {"hidden", "all"}, default "hidden"
        h = 1..L-1 or h = 1..L.
    initial : float, default 0.0
        Every entry's value where an instance file gives none.
    doc, symbol : str
        One line of meaning; the symbol shown in derivations (default: ``name``).

    Examples
    --------
    A learned gain g_h on each feedback matrix, B_h = g_h C_h (docs/examples/learned_gain.py):

    >>> import linrbp
    >>> g = linrbp.StateVariable("g", learning=lambda h, A, C, p, G: linrbp.inner(C[h], G.feedback(h)),
    ...                          initial=1.0)
    >>> rule = linrbp.Rule("gain-doc", "custom", feedback="next", state=(g,),
    ...                    backward=lambda h, A, C, p: C[h] * p["g"][h])
    >>> linrbp.check_rule(rule, [2, 3, 2]).state[0].name
    'g'
    """

    name: str
    learning: Callable | None = None
    drift: Callable | None = None
    shape: str = "scalar"
    layers: str = "hidden"
    initial: float = 0.0
    doc: str = ""
    symbol: str = ""

    @property
    def scalar(self) -> bool:
        return self.shape == "scalar"


def state_layers(var: StateVariable, L: int) -> range:
    return range(1, L) if var.layers == "hidden" else range(1, L + 1)


def _shape(var, h, layers, rule):
    L = len(layers) - 1
    src = layers[h + 1] if (rule.source == "next" and h < L) else layers[L]
    fb = layers[h + 1] if (rule.feedback != "top" and h < L) else layers[L]
    return {"scalar": (1, 1), "weights": (layers[h], layers[h - 1]), "feedback": (layers[h], fb),
            "backward": (layers[h], src)}[var.shape]


def state_shapes(rule, layers: Sequence[int]) -> list[tuple[int, int]]:
    """Shapes of the rule's extra state in the flat order: variable by variable, layer by layer."""
    L = len(layers) - 1
    return [_shape(v, h, layers, rule) for v in rule.state for h in state_layers(v, L)]


def state_labels(rule, L: int) -> list[str]:
    """Names of the extra state matrices in the flat order: g1, g2, ..."""
    return [f"{v.name}{h}" for v in rule.state for h in state_layers(v, L)]


def check_state_statement(rule) -> None:
    """InputError for a malformed state declaration (independent of layer shapes)."""
    n = rule.name
    seen = set(p.name for p in rule.parameters)
    for v in rule.state:
        if not isinstance(v, StateVariable):
            raise InputError(f"rule {n}: state must be linrbp.StateVariable objects, got {type(v).__name__}")
        if not isinstance(v.name, str) or not re.match(r"^[a-z][a-z0-9_]*$", v.name):
            raise InputError(f"rule {n}: state variable name {v.name!r} must be a lowercase identifier")
        if v.name in seen:
            raise InputError(f"rule {n}: state variable {v.name!r} repeats a parameter or state name")
        seen.add(v.name)
        if v.shape not in _SHAPES:
            raise InputError(f"rule {n}: state {v.name}: shape must be one of {', '.join(_SHAPES)}, "
                             f"got {v.shape!r}")
        if v.layers not in _LAYERS:
            raise InputError(f"rule {n}: state {v.name}: layers must be 'hidden' or 'all', got {v.layers!r}")
        if v.shape == "feedback" and rule.feedback is None:
            raise InputError(f"rule {n}: state {v.name}: shape 'feedback' needs feedback matrices")
        for fn in ("learning", "drift"):
            f = getattr(v, fn)
            if f is not None and not callable(f):
                raise InputError(f"rule {n}: state {v.name}: {fn} must be a function")
        if isinstance(v.initial, bool) or not isinstance(v.initial, (int, float)):
            raise InputError(f"rule {n}: state {v.name}: initial must be a number, got {v.initial!r}")


def _as_value(M, scalar: bool):
    if scalar and hasattr(M, "multiply_elementwise"):  # a 1x1 sympy matrix: its entry
        return M[0, 0]
    return M


def state_values(rule, state: Sequence, L: int) -> dict:
    """{name: [None, X_1, ...]} from the flat list ``state`` (indices are layers, 1-based)."""
    out, i = {}, 0
    for v in rule.state:
        vals = [None] * (L + 1)
        for h in state_layers(v, L):
            vals[h] = _as_value(state[i], v.scalar)
            i += 1
        out[v.name] = vals
    return out


class DataTerms:
    """The data terms a state variable's ``learning`` reads: per-example (or column-summed,
    or averaged) outer products from the rule's backward pass.

    ``weight(h)`` = delta_h O_{h-1}^T (what A_h learns from), ``feedback(h)`` = O_h s_h^T with
    s_h = delta_{h+1} (source "next") or delta_L ("top"): what an adaptive C_h learns from.
    """

    def __init__(self, rule, deltas, activities):
        self._rule, self._deltas, self._acts = rule, deltas, activities

    def weight(self, h: int):
        d = self._deltas[h - 1]
        like = self._acts[h] @ _t(self._acts[h - 1])
        return like * 0 if d is None else d @ _t(self._acts[h - 1])

    def feedback(self, h: int):
        L = len(self._deltas)
        src = self._deltas[h] if self._rule.source == "next" else self._deltas[L - 1]
        return self._acts[h] @ _t(src)


def _t(x):
    return x.swapaxes(-1, -2) if hasattr(x, "swapaxes") else x.T


def _as_matrix(value, like, scalar):
    """The function's value in the state's own form (1x1 sympy matrix for scalars)."""
    if hasattr(like, "multiply_elementwise"):
        import sympy
        if isinstance(value, sympy.MatrixBase):
            return value
        return sympy.Matrix([[sympy.sympify(value)]])
    return value


def state_velocity(rule, weights, feedback, state, p: dict, terms: DataTerms | None,
                   data_scale=1.0) -> list:
    """d(state)/dt for the flat extra state: ``data_scale`` * learning(G) + drift, per matrix.

    ``terms`` None: no data (the drifts alone). ``p`` must already hold the state values.
    """
    L = len(weights)
    A, C = [None] + list(weights), [None] + list(feedback)
    out, i = [], 0
    for v in rule.state:
        for h in state_layers(v, L):
            like = state[i]
            total = None
            if v.learning is not None and terms is not None:
                total = v.learning(h, A, C, p, terms)
                if total is not None:
                    total = _as_matrix(total, like, v.scalar)
                    if data_scale != 1:
                        total = total * data_scale
            d = v.drift(h, A, C, p) if v.drift is not None else None
            if d is not None:  # None: no term
                d = _as_matrix(d, like, v.scalar)
                total = d if total is None else total + d
            out.append(like * 0 if total is None else total)
            i += 1
    return out
