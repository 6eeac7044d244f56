"""The averaged learning dynamics of a layered linear network (docs/theory.md section 0).

For a linear network every backward signal is linear in the output error, so averaging
the per-example update dA_h = delta_h O_{h-1}^T over the data is the same as running the
rule's backward pass (:func:`linrbp.backward_signals`) on the cross-moment
E[delta_L I^T] = E(P) = S_TI - P S_II, with the forward products F_h = A_h ... A_1 in place
of the activities O_h = F_h I:

    dA_h/dt = B_h E(P) F_{h-1}^T + W_h,      dC_h/dt = F_h E(P)^T s-chain + D_h  (adaptive rules),

with the rule's data-independent drifts W_h, D_h (weight decay, weight mirrors; see
:mod:`linrbp.core._rules`) added as they are: their average over the data is themselves.

So the ODE below is the rule, not a transcription of it; tests compare it with the mean of
per-example updates on finite data sets.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ._errors import InputError
from ._rules import Rule, check_rule, feedback_shapes, get_rule
from ._rule_run import averaged_velocity
from ._state import state_labels, state_layers, state_shapes
from ._stats import DataStats, as_matrix

__all__ = ["LinearSystem", "forward_products"]


def forward_products(weights: Sequence[np.ndarray], n_in: int) -> list:
    """The forward products :math:`F_0 = \\mathrm{Id}`, :math:`F_h = A_h \\cdots A_1`.

    Parameters
    ----------
    weights : sequence of array_like
        :math:`A_1, \\dots, A_L` (numpy arrays, with leading batch axes broadcast, or sympy
        matrices).
    n_in : int
        :math:`N_0`, the size of the identity :math:`F_0`.

    Returns
    -------
    list
        :math:`[F_0, F_1, \\dots, F_L]`.

    Examples
    --------
    >>> import numpy as np, linrbp
    >>> F = linrbp.forward_products([2 * np.eye(2), np.ones((1, 2))], 2)
    >>> [f.tolist() for f in F]
    [[[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 2.0]], [[2.0, 2.0]]]
    """
    first = weights[0]
    if hasattr(first, "multiply_elementwise"):
        import sympy
        F = [sympy.eye(n_in)]
    else:
        F = [np.eye(n_in)]
        if not hasattr(first, "__matmul__"):  # nested lists; arrays and traced matrices as they are
            first = np.asarray(first)
    F.append(first)  # A_1 Id = A_1, skipped: one batched product fewer on the hot path
    for A in weights[1:]:
        F.append(A @ F[-1])
    return F


@dataclass(frozen=True)
class LinearSystem:
    r"""The averaged dynamics of :math:`A[N_0, \dots, N_L]` trained by a rule on data with given moments.

    A callable vector field (docs/theory.md section 0): ``system(y)`` is :math:`dy/dt` for a
    flat state ``y``, or for a batch of states of shape (B, n). A state holds
    :math:`A_1, \dots, A_L` row-major, then, for adaptive rules, :math:`C_1, \dots, C_{L-1}`,
    then the rule's extra state; for rules with fixed feedback the :math:`C_h` are parameters of
    the system. Build it with :meth:`LinearSystem.create`, which checks everything; the
    constructor itself checks nothing. :meth:`pack` and :meth:`unpack` convert between matrices
    and flat states; :func:`integrate` and :func:`integrate_batch` take the system as ``fun``.

    Parameters
    ----------
    layers : tuple of int
        :math:`(N_0, \dots, N_L)`.
    rule : Rule
        The rule, with its parameter values.
    stats : DataStats
        The data moments.
    feedback : tuple of numpy.ndarray, optional
        The fixed feedback matrices :math:`C_1, \dots, C_{L-1}` (empty for rules without fixed
        feedback).

    Examples
    --------
    :math:`A[1,1,1]` under SRBP with :math:`\alpha = 2, \beta = 1, c_1 = 1` at
    :math:`a_1 = 1, a_2 = 0.5`, where :math:`e = \alpha - \beta a_2 a_1 = 1.5`:
    :math:`\dot a_1 = c_1 e`, :math:`\dot a_2 = e a_1` (docs/theory.md section 2):

    >>> import linrbp
    >>> stats = linrbp.DataStats.from_matrices([[1.0]], [[2.0]])
    >>> system = linrbp.LinearSystem.create([1, 1, 1], "srbp", stats, [[[1.0]]])
    >>> y = system.pack([[[1.0]], [[0.5]]])
    >>> y.tolist(), system(y).tolist()
    ([1.0, 0.5], [1.5, 1.5])
    """

    layers: tuple[int, ...]
    rule: Rule
    stats: DataStats
    feedback: tuple[np.ndarray, ...] = ()

    @classmethod
    def create(cls, layers, rule, stats: DataStats, feedback=(), parameters=None) -> "LinearSystem":
        """The averaged dynamics of :math:`A[N_0, \\dots, N_L]` under a rule, checked.

        Parameters
        ----------
        layers : sequence of int
            :math:`[N_0, \\dots, N_L]`, positive widths, at least two.
        rule : str or Rule
            A registered rule name (``"bp"``, ``"rbp"``, ...) or a :class:`~linrbp.Rule`.
        stats : DataStats
            The data moments; their sizes must match ``layers[0]`` and ``layers[-1]``.
        feedback : sequence of array_like, optional
            The fixed feedback matrices :math:`C_1, \\dots, C_{L-1}` of a rule with fixed
            feedback, shapes as :func:`feedback_shapes` gives (default: none). A rule that
            learns its feedback carries it in the state instead.
        parameters : dict, optional
            The rule's parameter values, e.g. ``{"weight_decay": 0.1}`` (default: the rule's
            defaults).

        Returns
        -------
        LinearSystem
            A callable vector field on flat states (see :meth:`pack`, :meth:`unpack`).

        Raises
        ------
        InputError
            (a ValueError) naming the problem: an unknown rule or parameter, a data size that
            does not match the layers, a wrong number or shape of feedback matrices.

        Examples
        --------
        :math:`A[2,3,1]` under RBP with a fixed feedback :math:`C_1` (3 x 1); the state is
        :math:`A_1` (3 x 2) then :math:`A_2` (1 x 3), flattened:

        >>> import linrbp
        >>> stats = linrbp.DataStats.from_matrices([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.5]])
        >>> system = linrbp.LinearSystem.create([2, 3, 1], "rbp", stats, [[[0.1], [0.2], [0.3]]])
        >>> system.n_state, system.state_shapes
        (9, [(3, 2), (1, 3)])
        >>> linrbp.LinearSystem.create([2, 3, 1], "rbp", stats)
        Traceback (most recent call last):
        ...
        linrbp.InputError: feedback: rule rbp needs 1 feedback matrices, got 0
        """
        layers = check_layers(layers)
        r = get_rule(rule)
        if not isinstance(stats, DataStats):
            raise InputError(f"stats: expected a DataStats (DataStats.from_matrices(sigma_ii, sigma_ti) "
                             f"or DataStats.from_samples(inputs, targets)), got {type(stats).__name__}")
        if parameters:
            if not isinstance(parameters, dict):
                raise InputError(f"parameters: expected a dict of rule parameters, got {type(parameters).__name__}")
            r = r.with_parameters(**parameters)
        r = check_rule(r, layers)
        if stats.n_in != layers[0] or stats.n_out != layers[-1]:
            raise InputError(
                f"sigma_ti: data are {stats.n_out}x{stats.n_in} but layers say "
                f"{layers[-1]}x{layers[0]}"
            )
        # Adaptive rules carry their feedback in the state, not in the system.
        shapes = [] if r.adaptive else feedback_shapes(layers, r)
        if isinstance(feedback, (str, bytes, dict)) or not hasattr(feedback, "__iter__") and feedback is not None:
            raise InputError(f"feedback: expected a list of feedback matrices C_1..C_{{L-1}}, got "
                             f"{type(feedback).__name__} {feedback!r:.40}")
        feedback = list(feedback if feedback is not None else [])
        if r.adaptive and feedback:
            raise InputError(
                f"feedback: rule {r.name} learns its feedback; pass it in the state, not the system"
            )
        if len(feedback) != len(shapes):
            raise InputError(
                f"feedback: rule {r.name} needs {len(shapes)} feedback matrices, got {len(feedback)}"
            )
        fb = tuple(
            as_matrix(C, f"feedback[{i}]", shape) for i, (C, shape) in enumerate(zip(feedback, shapes))
        )
        return cls(layers, r, stats, fb)

    # -- layout ---------------------------------------------------------------
    @property
    def depth(self) -> int:
        return len(self.layers) - 1

    @property
    def weight_shapes(self) -> list[tuple[int, int]]:
        return [(self.layers[h], self.layers[h - 1]) for h in range(1, len(self.layers))]

    @property
    def feedback_shapes(self) -> list[tuple[int, int]]:
        return feedback_shapes(self.layers, self.rule)

    @property
    def extra_shapes(self) -> list[tuple[int, int]]:
        """Shapes of the rule's extra state (:class:`~linrbp.StateVariable`), flat order."""
        return state_shapes(self.rule, self.layers)

    @property
    def state_shapes(self) -> list[tuple[int, int]]:
        return self.weight_shapes + (self.feedback_shapes if self.rule.adaptive else []) + self.extra_shapes

    def state_names(self) -> list[str]:
        """A1.., then C1.. (adaptive), then the extra state (g1, ...): one name per matrix."""
        L = self.depth
        return ([f"A{h}" for h in range(1, L + 1)]
                + ([f"C{h}" for h in range(1, L)] if self.rule.adaptive else [])
                + state_labels(self.rule, L))

    def initial_state(self) -> list[np.ndarray]:
        """The extra state's default values (each variable's ``initial``), flat order."""
        vals = [float(v.initial) for v in self.rule.state for _ in state_layers(v, self.depth)]
        return [np.full(s, x) for s, x in zip(self.extra_shapes, vals)]

    @property
    def n_state(self) -> int:
        return sum(a * b for a, b in self.state_shapes)

    def pack(self, weights, feedback=None, state=None) -> np.ndarray:
        """Flat state(s) from matrices (each may carry one leading batch axis); ``state``: the
        rule's extra state, flat (default: its initial values)."""
        mats = list(weights) + (list(feedback if feedback is not None else self.feedback)
                                if self.rule.adaptive else [])
        if self.rule.state:
            mats += list(state) if state is not None else self.initial_state()
        mats = [np.asarray(M, dtype=float) for M in mats]
        batch = mats[0].shape[:-2]
        return np.concatenate([M.reshape(batch + (-1,)) for M in mats], axis=-1)

    def unpack(self, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(weights, feedback) views of flat state(s) ``y`` of shape (..., n_state)."""
        y = np.asarray(y, dtype=float)
        batch = y.shape[:-1]
        mats, i = [], 0
        for a, b in self.state_shapes:
            mats.append(y[..., i:i + a * b].reshape(batch + (a, b)))
            i += a * b
        L = self.depth
        if self.rule.adaptive:
            return mats[:L], mats[L:2 * L - 1]
        return mats[:L], list(self.feedback)

    def unpack_state(self, y: np.ndarray) -> list[np.ndarray]:
        """The extra state's matrices (flat order) of flat state(s) ``y``; [] for rules without."""
        y = np.asarray(y, dtype=float)
        batch = y.shape[:-1]
        n = sum(a * b for a, b in self.extra_shapes)
        mats, i = [], y.shape[-1] - n
        for a, b in self.extra_shapes:
            mats.append(y[..., i:i + a * b].reshape(batch + (a, b)))
            i += a * b
        return mats

    # -- dynamics -------------------------------------------------------------
    def product(self, weights) -> np.ndarray:
        return forward_products(weights, self.layers[0])[-1]

    def velocity(self, weights, feedback=None, state=None):
        """(dA/dt, dC/dt) at one state or a batch of states (leading axes); a rule with extra
        state takes its values ``state`` (flat) and gives (dA/dt, dC/dt, dX/dt)."""
        fb = list(feedback) if feedback is not None else list(self.feedback)
        F = forward_products(weights, self.layers[0])
        E = self.stats.error(F[-1])
        return averaged_velocity(self.rule, weights, fb, E, F, state)

    def __getstate__(self):
        # The compiled field (generated code) is rebuilt where the system is unpickled, so a
        # system travels to worker processes (integrate_batch(..., executor=...)).
        return {k: v for k, v in self.__dict__.items() if k not in ("_compiled", "_parameters", "_traced")}

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """The vector field on flat state(s): shape (n_state,) or (batch, n_state)."""
        if type(y) is np.ndarray and y.ndim == 1 and y.dtype == np.float64:
            # one state (scipy's integrators): the rule's operations traced once into
            # straight-line numpy (linrbp.core._traced), the same values bit for bit
            fn, n = self._single_state_field()
            if fn is not None and y.size == n:
                return fn(y)
        return self.generic_call(y)

    def _single_state_field(self):
        cached = self.__dict__.get("_traced")
        if cached is None:
            from ._traced import trace_field

            cached = (trace_field(self), self.n_state)
            object.__setattr__(self, "_traced", cached)
        return cached

    def generic_call(self, y: np.ndarray) -> np.ndarray:
        """The field (``__call__``) through :meth:`velocity`, without the traced one-state path."""
        weights, fb = self.unpack(y)
        if self.rule.state:
            dA, dC, dX = self.velocity(weights, fb, self.unpack_state(y))
        else:
            (dA, dC), dX = self.velocity(weights, fb), []
        mats = dA + (dC if self.rule.adaptive else []) + dX
        batch = np.shape(y)[:-1]
        if not batch and all(np.ndim(M) == 2 for M in mats):
            # one state (scipy's integrate): no broadcasting needed (measured: np.broadcast_to
            # was a fifth of a DOP853 step's time on A[5,5,3,5,4])
            return np.concatenate([np.ravel(M) for M in mats])
        return np.concatenate(
            [np.broadcast_to(M, batch + M.shape[-2:]).reshape(batch + (-1,)) for M in mats], axis=-1
        )

    def transposed_field(self, yt: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The same field on component-major states: ``yt`` (n_state, b) -> (n_state, b).

        The batched integrator's hot path. For small systems (n_state <= 64) it runs
        straight-line numpy code generated once per system by running ``velocity`` on
        sympy matrices (so still the rule of ``linrbp.core._rules``, with S_II, S_TI and fixed
        feedback as parameters), one vectorised operation per common subexpression; larger
        systems go through ``__call__``.
        """
        yt = np.asarray(yt, dtype=float)
        if out is None:
            out = np.empty_like(yt)
        self.transposed_kernel()(yt, out)
        return out

    def transposed_kernel(self):
        """``kernel(yt, out)``: :meth:`transposed_field` without checks, for inner loops."""
        fn = self._compiled_field()
        if fn is None:
            def kernel(yt, out):
                out[...] = self(yt.T).T
                return out
            return kernel
        return functools.partial(fn, p=self._field_parameters())

    def _compiled_field(self):
        cached = self.__dict__.get("_compiled")
        if cached is None:
            with _COMPILE_LOCK:
                cached = self.__dict__.get("_compiled")
                if cached is None:
                    fn = _compile_field(self) if self.n_state <= COMPILE_MAX_STATE else None
                    cached = (fn,)
                    object.__setattr__(self, "_compiled", cached)
        return cached[0]

    def _field_parameters(self) -> tuple:
        cached = self.__dict__.get("_parameters")
        if cached is None:
            mats = [self.stats.sigma_ii, self.stats.sigma_ti] + list(self.feedback)
            cached = tuple(float(x) for M in mats for x in np.asarray(M, dtype=float).ravel())
            values = self.rule.parameter_values
            cached += tuple(float(values[n]) for n in _numeric_parameter_names(self.rule))
            object.__setattr__(self, "_parameters", cached)
        return cached

    def excess_loss(self, y: np.ndarray) -> np.ndarray:
        weights, _ = self.unpack(y)
        return self.stats.excess_loss(self.product(weights))


# Largest state for which the field is compiled to straight-line code (A[5,4,3] ARBP has 44).
COMPILE_MAX_STATE = 64
_COMPILE_LOCK = threading.Lock()


def _compile_field(system: "LinearSystem"):
    """Generate ``fn(yt, out, params)`` evaluating ``system``'s field on (n_state, b) arrays.

    The expressions come from :meth:`LinearSystem.velocity` run on sympy symbol matrices:
    state entries y_i, and parameters p_j = (S_II, S_TI, fixed feedback) row-major, so the
    code holds no rounded constants. Common subexpressions are computed once.
    """
    import sympy

    def symbol_matrices(prefix, shapes, start=0):
        mats, i = [], start
        for a, b in shapes:
            mats.append(sympy.Matrix(a, b, [sympy.Symbol(f"{prefix}{k}") for k in range(i, i + a * b)]))
            i += a * b
        return mats, i

    state, _ = symbol_matrices("y", system.state_shapes)
    n0, nL = system.layers[0], system.layers[-1]
    fixed_fb = [] if system.rule.adaptive else [np.shape(C) for C in system.feedback]
    (sii, sti, *fb_fixed), n_par = symbol_matrices("p", [(n0, n0), (nL, n0)] + fixed_fb)
    L = system.depth
    weights = state[:L]
    feedback = state[L:2 * L - 1] if system.rule.adaptive else fb_fixed
    extra = state[len(state) - len(system.extra_shapes):] if system.rule.state else None
    # the rule's numeric parameters (lambda, kappa, ...) are parameters p_j too, not constants
    names = _numeric_parameter_names(system.rule)
    rule = system.rule.with_parameters(**{n: sympy.Symbol(f"p{n_par + k}") for k, n in enumerate(names)}) \
        if names else system.rule
    n_par += len(names)
    twin = dataclasses.replace(system, rule=rule, stats=DataStats(sii, sti), feedback=tuple(fb_fixed))
    dA, dC, *dX = twin.velocity(weights, feedback, extra)
    exprs = [e for M in list(dA) + list(dC) + [M for X in dX for M in X] for e in M]
    temps, reduced = sympy.cse(exprs, symbols=sympy.numbered_symbols("t"))
    code = _field_printer().doprint
    # The same statements in scalar form, one trajectory at a time (for compiled backends).
    outputs = []
    for e in reduced:
        op = {sympy.Mul: "*", sympy.Add: "+"}.get(type(e))
        if op and len(e.args) >= 2:
            outputs.append(f"({code(e.args[0])}) {op} ({code(e.func(*e.args[1:]))})")
        else:
            outputs.append(f"{code(e)}")
    statements = {"n_state": system.n_state, "n_par": None,
                  "temps": [(str(sym), code(e)) for sym, e in temps], "outputs": outputs}
    lines = ["def field(yt, out, p):"]
    lines += [f"    y{i} = yt[{i}]" for i in range(system.n_state)]
    lines += [f"    p{j} = p[{j}]" for j in range(n_par)]
    lines += [f"    {sym} = {code(e)}" for sym, e in temps]
    for i, e in enumerate(reduced):
        # The last operation writes straight into out[i] (no temporary, no copy).
        ufunc = {sympy.Mul: "multiply", sympy.Add: "add"}.get(type(e))
        if ufunc and len(e.args) >= 2:
            first, rest = e.args[0], e.func(*e.args[1:])
            lines.append(f"    np.{ufunc}({code(first)}, {code(rest)}, out=out[{i}])")
        else:
            lines.append(f"    out[{i}] = {code(e)}")
    lines += ["    return out"]
    namespace: dict = {"np": np}
    exec(compile("\n".join(lines), f"<linrbp field {system.layers} {system.rule.name}>", "exec"), namespace)
    fn = namespace["field"]
    fn.source = "\n".join(lines)
    statements["n_par"] = n_par
    fn.statements = statements
    return fn


def _numeric_parameter_names(rule) -> list[str]:
    """The rule's parameters that enter the generated field as p_j: those set to nonzero
    numbers (a zero stays an exact 0, so e.g. a rule without weight decay has no decay term)."""
    return [n for n, v in rule.parameter_values.items()
            if not getattr(v, "free_symbols", None) and v != 0]


def _field_printer():
    """sympy's Python printer, plus np.sign for the piecewise rules and exact doubles for
    irrational constants (the polynomial fields print exactly as with ``sympy.pycode``)."""
    from sympy.printing.pycode import PythonCodePrinter

    class FieldPrinter(PythonCodePrinter):
        def _print_sign(self, e):
            return f"np.sign({self._print(e.args[0])})"

        def _print_Float(self, e):
            return repr(float(e))

        def _print_Pow(self, e, rational=False):
            if e.is_number:
                return repr(float(e))
            return super()._print_Pow(e, rational)

    return FieldPrinter()


def check_layers(layers) -> tuple[int, ...]:
    if not isinstance(layers, (list, tuple)) or len(layers) < 2:
        raise InputError("layers: expected a list [N0, ..., NL] of at least two sizes")
    out = []
    for n in layers:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"layers: sizes must be positive integers, got {n!r}")
        out.append(int(n))
    return tuple(out)
