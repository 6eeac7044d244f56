"""The field of one state as straight-line numpy: the rule run once on tracing matrices.

scipy's implicit and explicit integrators call a system's field on one state at a time, and
there the generic :meth:`LinearSystem.velocity` (rule lookups, lists, broadcasting checks) cost
several times the arithmetic (measured: about 70% of a BDF step's field time on A[4,5,1,4,3]).
:func:`trace_field` runs :meth:`LinearSystem.velocity` once on :class:`_Node` matrices that
record each matrix operation the rule performs (``@``, ``+``, ``-``, scalar ``*``, transpose,
sign) and emits them as one Python function of the flat state. It is the rule's own sequence of
numpy operations on the same operands, so its values are the generic path's bit for bit; the
traced function is checked against the generic one on a random state before it is used, and any
rule the tracer cannot follow (an operation it does not record, a branch on a value) keeps the
generic path.
"""

from __future__ import annotations

import numpy as np

__all__ = ["trace_field", "trace_ensemble", "trace_batched"]


class _Untraceable(Exception):
    pass


class _Tape:
    def __init__(self):
        self.lines: list[str] = []
        self.consts: list = []
        self.n = 0

    def const(self, value) -> str:
        self.consts.append(value)
        return f"_k[{len(self.consts) - 1}]"

    def name(self, x) -> tuple[str, tuple]:
        if isinstance(x, _Node):
            if x.tape is not self:
                raise _Untraceable("a node of another trace")
            return x.ref, x.shape
        if isinstance(x, (bool, np.bool_)):
            raise _Untraceable("a boolean operand")
        if isinstance(x, (int, float, np.integer, np.floating)):
            return self.const(x), ()
        if isinstance(x, np.ndarray) and x.ndim == 2 and x.dtype.kind in "fiu":
            return self.const(x), x.shape
        raise _Untraceable(f"an operand of type {type(x).__name__}")

    def emit(self, expr: str, shape: tuple) -> "_Node":
        ref = f"v{self.n}"
        self.n += 1
        self.lines.append(f"    {ref} = {expr}")
        return _Node(self, ref, shape)


class _Node:
    """A matrix of the trace; numpy defers its operators to this class (``__array_ufunc__``)."""

    __array_ufunc__ = None
    __slots__ = ("tape", "ref", "shape")

    def __init__(self, tape, ref, shape):
        self.tape, self.ref, self.shape = tape, ref, tuple(shape)

    def _matmul(self, a, b):
        (ra, sa), (rb, sb) = self.tape.name(a), self.tape.name(b)
        if len(sa) != 2 or len(sb) != 2 or sa[1] != sb[0]:
            raise _Untraceable(f"matmul of shapes {sa} and {sb}")
        return self.tape.emit(f"{ra} @ {rb}", (sa[0], sb[1]))

    def _elementwise(self, a, b, op):
        (ra, sa), (rb, sb) = self.tape.name(a), self.tape.name(b)
        if sa and sb and sa != sb:
            raise _Untraceable(f"{op} of shapes {sa} and {sb}")
        return self.tape.emit(f"{ra} {op} {rb}", sa or sb)

    def __matmul__(self, o):
        return self._matmul(self, o)

    def __rmatmul__(self, o):
        return self._matmul(o, self)

    def __add__(self, o):
        return self._elementwise(self, o, "+")

    def __radd__(self, o):
        return self._elementwise(o, self, "+")

    def __sub__(self, o):
        return self._elementwise(self, o, "-")

    def __rsub__(self, o):
        return self._elementwise(o, self, "-")

    def __mul__(self, o):
        return self._elementwise(self, o, "*")

    def __rmul__(self, o):
        return self._elementwise(o, self, "*")

    def __neg__(self):
        return self.tape.emit(f"-{self.ref}", self.shape)

    def swapaxes(self, a, b):
        if {a, b} != {-1, -2}:
            raise _Untraceable("swapaxes of other axes")
        return self.tape.emit(f"{self.ref}.swapaxes(-1, -2)", self.shape[::-1])

    @property
    def T(self):
        return self.tape.emit(f"{self.ref}.T", self.shape[::-1])

    def sign(self):
        return self.tape.emit(f"_sign({self.ref})", self.shape)

    def __bool__(self):
        raise _Untraceable("a branch on a traced value")


def _velocity_code(system, tape, weights, feedback, stats=None):
    """Run ``system.velocity`` on traced matrices (``stats``: traced moments in place of the
    system's); the output references in state order, or None when the rule cannot be traced."""
    import types

    try:
        with np.errstate(all="ignore"):
            if stats is None:
                dA, dC = system.velocity(weights, feedback)
            else:  # the system's own method, on a stand-in carrying traced moments
                twin = types.SimpleNamespace(layers=system.layers, rule=system.rule, feedback=(),
                                             stats=types.SimpleNamespace(sigma_ii=stats[0], sigma_ti=stats[1]))
                twin.stats.error = types.MethodType(type(system.stats).error, twin.stats)
                dA, dC = type(system).velocity(twin, weights, feedback)
        outs = list(dA) + (list(dC) if system.rule.adaptive else [])
        refs = []
        for M, shape in zip(outs, system.state_shapes):
            ref, s = tape.name(M)
            if tuple(s) != tuple(shape):
                raise _Untraceable(f"an output of shape {s}, expected {shape}")
            refs.append(ref)
        return refs
    except (_Untraceable, AttributeError, TypeError, ValueError):
        return None


def _build(src: str, tape, name: str):
    scope = {"_k": tuple(tape.consts), "_sign": np.sign, "_concat": np.concatenate, "np": np}
    exec(compile(src, f"<linrbp traced field {name}>", "exec"), scope)
    return scope["_traced"]


def trace_field(system, rng_seed: int = 12345):
    """``f(y) -> dy`` for one flat state of ``system`` (1-d float array), the rule's own numpy
    operations in a row; None when the rule cannot be traced or the trace differs from
    :meth:`LinearSystem.__call__` on a random state (then the generic path is used)."""
    tape = _Tape()
    mats, i = [], 0
    for a, b in system.state_shapes:
        mats.append(tape.emit(f"y[{i}:{i + a * b}].reshape({a}, {b})", (a, b)))
        i += a * b
    L = system.depth
    feedback = mats[L:] if system.rule.adaptive else [np.asarray(C, dtype=float) for C in system.feedback]
    refs = _velocity_code(system, tape, mats[:L], feedback)
    if refs is None:
        return None
    src = ("def _traced(y, _k=_k, _sign=_sign):\n" + "\n".join(tape.lines)
           + f"\n    return _concat(({', '.join(f'{r}.ravel()' for r in refs)},))\n")
    fn = _build(src, tape, f"{system.layers} {system.rule.name}")
    y = np.random.default_rng(rng_seed).normal(size=system.n_state)
    with np.errstate(all="ignore"):
        same = np.array_equal(fn(y), system.generic_call(y), equal_nan=True)
    return fn if same else None


def trace_ensemble(ens, rng_seed: int = 12345):
    """``f(Z) -> dZ`` on (B, n_state + n_param) augmented states of an
    :class:`~linrbp.integration._ensemble.Ensemble` (moments and fixed feedback read from each
    row): :meth:`Ensemble.generic_call`'s operations in a row, checked equal to it on random
    states; None when the rule cannot be traced."""
    system = ens.template
    tape = _Tape()
    mats, i = [], 0
    for a, b in list(system.state_shapes) + list(ens.param_shapes):
        mats.append(tape.emit(f"Z[:, {i}:{i + a * b}].reshape(-1, {a}, {b})", (a, b)))
        i += a * b
    L, n = system.depth, len(system.state_shapes)
    state, params = mats[:n], mats[n:]
    feedback = state[L:] if system.rule.adaptive else params[2:]
    refs = _velocity_code(system, tape, state[:L], feedback, stats=(params[0], params[1]))
    if refs is None:
        return None
    lines = ["    out = np.zeros_like(Z)", "    _B = len(Z)"]
    i = 0
    for ref, (a, b) in zip(refs, system.state_shapes):
        lines.append(f"    out[:, {i}:{i + a * b}] = {ref}.reshape(_B, {a * b})")
        i += a * b
    src = ("def _traced(Z, _k=_k, _sign=_sign):\n" + "\n".join(tape.lines + lines) + "\n    return out\n")
    fn = _build(src, tape, f"ensemble {system.layers} {system.rule.name}")
    Z = np.random.default_rng(rng_seed).normal(size=(3, ens.n_state + ens.n_param))
    with np.errstate(all="ignore"):
        same = np.array_equal(fn(Z), ens.generic_call(Z), equal_nan=True)
    return fn if same else None


def _index(idx: tuple) -> str:
    """``Y[...]``'s index written out: Ellipsis, None, int and slice(start, stop) entries."""
    parts = []
    for i in idx:
        if i is Ellipsis:
            parts.append("...")
        elif i is None:
            parts.append("None")
        elif isinstance(i, slice) and i.step is None:
            parts.append(f"{'' if i.start is None else int(i.start)}:{'' if i.stop is None else int(i.stop)}")
        elif isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            parts.append(str(int(i)))
        else:
            raise _Untraceable(f"an index {i!r}")
    return ", ".join(parts)


def trace_batched(body, reference, width: int, name: str, rng_seed: int = 12345):
    """``f(Y) -> dY`` on states ``(..., width)`` (any leading batch axes) as straight-line numpy:
    ``body(take, ones)`` run once on tracing matrices, checked equal to ``reference`` (the
    same field written generically) on random states; None when ``body`` cannot be traced or
    the trace differs.

    ``take(idx, shape)`` is the matrix ``Y[idx]`` (its last two axes of shape ``shape``; ``idx``
    a tuple of Ellipsis, None, ints and slices), ``ones`` a ``1 x 1`` matrix of ones; ``body``
    returns ``[(target, matrix, pick), ...]``: the traced field is zero except
    ``out[target] = matrix[pick]`` (index tuples as for ``take``).
    """
    tape = _Tape()

    def take(idx, shape):
        return tape.emit(f"Y[{_index(idx)}]", shape)

    try:
        with np.errstate(all="ignore"):
            outs = body(take, np.ones((1, 1)))
        lines = ["    Y = np.asarray(Y, dtype=float)"] + tape.lines + ["    out = np.zeros_like(Y)"]
        for target, M, pick in outs:
            if not isinstance(M, _Node) or M.tape is not tape:
                raise _Untraceable("an output that is not traced")
            lines.append(f"    out[{_index(target)}] = {M.ref}[{_index(pick)}]")
    except (_Untraceable, AttributeError, TypeError, ValueError):
        return None
    src = "def _traced(Y, _k=_k, _sign=_sign):\n" + "\n".join(lines) + "\n    return out\n"
    fn = _build(src, tape, name)
    rng = np.random.default_rng(rng_seed)
    with np.errstate(all="ignore"):
        for shape in ((3, width), (width,)):
            Y = rng.normal(size=shape)
            if not np.array_equal(fn(Y), reference(Y), equal_nan=True):
                return None
    return fn
