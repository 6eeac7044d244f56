"""Averaged ODEs derived from the per-example rule (docs/theory.md section 0).

Every system here is built the same way: symbolic weights and a symbolic example (I, T)
go through :func:`linrbp.core._rules.backward_signals` and :func:`linrbp.core._rules.updates` (the one
statement of each rule), and :func:`expectation` replaces the data monomials by moments.
Nothing below restates a learning rule.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import sympy as sp

from ..core._errors import InputError
from ..core._rules import (backward_signals, check_rule, drifts, feedback_shapes, get_rule, state_updates,
                           updates)
from ..core._state import state_labels, state_shapes
from ._moments import expectation

__all__ = ["OdeSystem", "derive_ode", "scalar_chain_ode", "wide_ode", "nonlinear_ode",
           "ALPHA", "BETA", "GAMMA", "DELTA", "MU"]

ALPHA, BETA, GAMMA, DELTA = sp.symbols("alpha beta gamma delta", real=True)
MU = sp.Symbol("mu", positive=True)


@dataclass
class OdeSystem:
    """An averaged ODE d(state)/dt = field, derived from a rule.

    ``states``/``field``: flat, in :class:`linrbp.LinearSystem`'s order (A_1..A_L row-major,
    then C_1..C_{L-1} for adaptive rules, then the rule's extra state). ``weights``/``feedback``/
    ``extra``: the symbolic matrices; ``dA``/``dC``/``dX``: the derived matrix fields; ``parameters``: moment symbols and fixed
    feedback; ``product``: the symbolic network product P (a sympy Matrix).
    """

    name: str
    rule: str
    states: list
    field: list
    weights: list
    feedback: list
    dA: list
    dC: list
    parameters: list
    product: sp.Matrix
    moments: dict = field(default_factory=dict)
    extra: list = field(default_factory=list)
    dX: list = field(default_factory=list)

    @property
    def rhs(self) -> dict:
        return dict(zip(self.states, self.field))

    def along_flow(self, expr) -> sp.Expr:
        """d(expr)/dt along the flow: sum_s d(expr)/ds * s'."""
        expr = sp.sympify(expr)
        return sp.Add(*[sp.diff(expr, s) * f for s, f in zip(self.states, self.field)
                        if expr.has(s)])

    def jacobian(self) -> sp.Matrix:
        return sp.Matrix(self.field).jacobian(self.states)

    def lambdify(self):
        """``f(state, *parameters)``, the numpy vector field (numeric evaluation of the derivation)."""
        return sp.lambdify([self.states] + list(self.parameters), self.field, "numpy")


def _matrix_symbols(prefix: str, rows: int, cols: int, **assume) -> sp.Matrix:
    if rows == 1 and cols == 1:
        return sp.Matrix([[sp.Symbol(prefix, **assume)]])
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{prefix}_{i + 1}{j + 1}", **assume))


def _check_rule_and_layers(layers, rule):
    from ..core._field import check_layers

    layers = check_layers(list(layers) if isinstance(layers, tuple) else layers)
    return layers, exact_rule(check_rule(rule, layers))


def exact_rule(r):
    """The rule with its numeric parameters as exact rationals (0.1 -> 1/10, as written)."""
    vals = {n: sp.Rational(repr(v)) for n, v in r.parameter_values.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return r.with_parameters(**vals) if vals else r


def _state_symbols(r, layers) -> list:
    """Symbol matrices of the rule's extra state: g1 (a scalar), or g1_11, ... (matrices)."""
    L = len(layers) - 1
    return [_matrix_symbols(label, a, b, real=True)
            for label, (a, b) in zip(state_labels(r, L), state_shapes(r, layers))]


def _finish(name, r, weights, feedback, activities, delta_top, data, moment, derivatives=None,
            moments=None, params=()):
    layers = [activities[0].shape[0]] + [W.shape[0] for W in weights]
    state = _state_symbols(r, layers) if r.state else None
    deltas = backward_signals(r, weights, feedback, delta_top, derivatives, state=state)
    dA_ex, dC_ex = updates(r, deltas, activities)

    def average(M, like):
        return sp.zeros(*like.shape) if M is None else M.applyfunc(lambda x: expectation(x, data, moment) if x != 0 else sp.S.Zero)

    dA = [average(M, W) for M, W in zip(dA_ex, weights)]
    dC = [average(M, C) for M, C in zip(dC_ex, feedback)]
    # the rule's data-independent terms (weight decay, weight mirrors): E[W_h] = W_h
    W, D = drifts(r, weights, feedback, state)
    dA = [M if w is None else (M + w).applyfunc(sp.expand) for M, w in zip(dA, W)]
    dC = [M if d is None else (M + d).applyfunc(sp.expand) for M, d in zip(dC, D)]
    states = [s for W in weights for s in W] + ([s for C in feedback for s in C] if r.adaptive else [])
    fld = [x for M in dA for x in M] + ([x for M in dC for x in M] if r.adaptive else [])
    if state:
        # learning terms are linear in the data terms: their expectation is termwise
        def only(part):
            keep = [dataclasses.replace(v, **{k: None for k in ("learning", "drift") if k != part})
                    for v in r.state]
            return state_updates(dataclasses.replace(r, state=tuple(keep)), weights, feedback, state,
                                 deltas, activities)

        dX = [(average(M, X) + Dr).applyfunc(sp.expand)
              for M, Dr, X in zip(only("learning"), only("drift"), state)]
        states += [x for X in state for x in X]
        fld += [x for M in dX for x in M]
    fixed_fb = [] if r.adaptive else [s for C in feedback for s in C]
    rule_params = sorted({s for v in r.parameter_values.values() for s in getattr(v, "free_symbols", ())},
                         key=str)
    return OdeSystem(name, r.name, states, fld, list(weights), list(feedback), dA, dC,
                     list(params) + fixed_fb + rule_params, activities[-1], moments or {},
                     list(state or []), dX if state else [])


def _derive_ode(layers: Sequence[int], rule: str = "srbp") -> OdeSystem:
    """The averaged ODE of A[N0..NL] under ``rule``, derived with a symbolic example.

    ``rule``: a registered name or a :class:`linrbp.Rule` (any rule stated with the public
    API); its parameters enter as their values, or as symbols with ``rule.symbolic()``
    (e.g. ``derive_ode([2, 3, 2], get_rule("kolen-pollack").symbolic())`` has lambda).

    Input I = (i_1..i_N0), target T = (t_1..t_NL); moments S_II[j,k] = E[i_j i_k] (symmetric
    symbols sII_jk, j <= k) and S_TI[j,k] = E[t_j i_k] (sTI_jk). Weights A_h have entries
    a{h}_ij, feedback C_h entries c{h}_ij (scalars drop the index).

    Parameters
    ----------
    layers : sequence of int
        :math:`[N_0, \\dots, N_L]`.
    rule : str or linrbp.Rule, optional
        The learning rule (default ``"srbp"``).

    Returns
    -------
    OdeSystem
        ``states`` (the weight symbols, then learned feedback), ``parameters`` (moments and
        fixed feedback), ``field`` (the right-hand sides, sympy), ``dA``, ``dC``.

    Raises
    ------
    InputError
        (a ValueError) for an unknown rule or bad layer sizes.

    Examples
    --------
    The chain :math:`A[1,1,1]` under RBP, :math:`\\dot a_1 = c_1 e`, :math:`\\dot a_2 = a_1 e`
    with :math:`e = s_{TI} - a_1 a_2 s_{II}`:

    >>> import linrbp.symbolic
    >>> ode = linrbp.symbolic.derive_ode([1, 1, 1], "rbp")
    >>> ode.states, ode.parameters
    ([a1, a2], [sII_11, sTI_11, c1])
    >>> [f.factor() for f in ode.field]
    [-c1*(a1*a2*sII_11 - sTI_11), -a1*(a1*a2*sII_11 - sTI_11)]
    """
    layers, r = _check_rule_and_layers(layers, rule)
    L = len(layers) - 1
    I = sp.Matrix([sp.Symbol(f"i_{k + 1}") for k in range(layers[0])])
    T = sp.Matrix([sp.Symbol(f"t_{k + 1}") for k in range(layers[-1])])
    n0, nl = layers[0], layers[-1]
    S_II = sp.Matrix(n0, n0, lambda j, k: sp.Symbol(f"sII_{min(j, k) + 1}{max(j, k) + 1}", real=True))
    S_TI = sp.Matrix(nl, n0, lambda j, k: sp.Symbol(f"sTI_{j + 1}{k + 1}", real=True))
    index = {s: ("i", k) for k, s in enumerate(I)} | {s: ("t", k) for k, s in enumerate(T)}

    def moment(exps):
        items = []
        for s, e in exps.items():
            if e not in (1, 2):
                return None
            items += [index[s]] * int(e)
        kinds = sorted(items)
        if len(kinds) != 2:
            return None
        (k1, j1), (k2, j2) = kinds
        if k1 == "i" and k2 == "i":
            return S_II[j1, j2]
        if k1 == "i" and k2 == "t":
            return S_TI[j2, j1]
        return None

    weights = [_matrix_symbols(f"a{h}" if L > 1 else "a", layers[h], layers[h - 1], real=True)
               for h in range(1, L + 1)]
    feedback = [_matrix_symbols(f"c{h}", a, b, real=True)
                for h, (a, b) in enumerate(feedback_shapes(layers, r), start=1)]
    acts = [I]
    for W in weights:
        acts.append(W * acts[-1])
    params = sorted(set(S_II), key=str) + list(S_TI)
    return _finish(f"A{list(layers)}", r, weights, feedback, acts, T - acts[-1], list(I) + list(T),
                   moment, moments={"S_II": S_II, "S_TI": S_TI}, params=params)


def _scalar_moment(I, T):
    def moment(exps):
        return {(1, 1): ALPHA, (0, 2): BETA}.get((exps.get(T, 0), exps.get(I, 0)))
    return moment


def _feedback_prefix(r) -> str:
    # docs/theory.md: SRBP feedback c_h; RBP backward weights r_h (then c_h = r_h ... r_{L-1}).
    return "r" if r.source == "next" else "c"


def _scalar_chain_ode(depth: int, rule: str = "srbp") -> OdeSystem:
    """A[1,...,1] of depth L: a_h' = B_h e prod_{k<h} a_k with e = alpha - beta P, derived."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise InputError(f"depth: must be a positive integer, got {depth!r}")
    r = exact_rule(check_rule(rule, [1] * (depth + 1)))
    I, T = sp.symbols("I T", real=True)
    a = [sp.Symbol(f"a{h}", real=True) for h in range(1, depth + 1)]
    fb = [sp.Symbol(f"{_feedback_prefix(r)}{h}", real=True) for h in range(1, depth)] \
        if r.uses_feedback else []
    weights = [sp.Matrix([[x]]) for x in a]
    feedback = [sp.Matrix([[x]]) for x in fb]
    acts = [sp.Matrix([[I]])]
    for W in weights:
        acts.append(W * acts[-1])
    return _finish(f"chain{depth}", r, weights, feedback, acts, sp.Matrix([[T]]) - acts[-1],
                   [I, T], _scalar_moment(I, T), params=[ALPHA, BETA])


def _wide_ode(width: int, rule: str = "srbp") -> OdeSystem:
    """A[1,N,1]: lower weights a_i, upper b_i, feedback c_i; a_i' = c_i e, b_i' = a_i e (derived)."""
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise InputError(f"width: must be a positive integer, got {width!r}")
    r = exact_rule(check_rule(rule, [1, width, 1]))
    I, T = sp.symbols("I T", real=True)
    A1 = sp.Matrix(width, 1, lambda i, j: sp.Symbol(f"a{i + 1}", real=True))
    A2 = sp.Matrix(1, width, lambda i, j: sp.Symbol(f"b{j + 1}", real=True))
    C1 = [sp.Matrix(width, 1, lambda i, j: sp.Symbol(f"c{i + 1}", real=True))] if r.uses_feedback else []
    acts = [sp.Matrix([[I]])]
    acts.append(A1 * acts[-1])
    acts.append(A2 * acts[-1])
    return _finish(f"wide1{width}1", r, [A1, A2], C1, acts, sp.Matrix([[T]]) - acts[-1],
                   [I, T], _scalar_moment(I, T), params=[ALPHA, BETA])


def _nonlinear_ode(derivative: bool = True, rule: str = "srbp", power=MU) -> OdeSystem:
    """A[1,1,1] with hidden output (a1 I)^mu and a linear output (docs/theory.md section 7), derived.

    With ``derivative`` the hidden delta is multiplied by f'(S_1) = mu (a1 I)^(mu-1).
    Moments: alpha = E[T I^mu], beta = E[I^(2mu)], gamma = E[T I], delta = E[I^(mu+1)].
    Positive data and weights are assumed (powers are split as (a1 I)^mu = a1^mu I^mu).
    """
    r = exact_rule(check_rule(rule, [1, 1, 1]))
    mu = sp.sympify(power)
    if not (mu.is_positive or mu.is_Symbol):
        raise InputError(f"power: must be positive, got {power!r}")
    I, T = sp.symbols("I T", positive=True)
    a1, a2 = sp.symbols("a1 a2", positive=True)
    fb = [sp.Matrix([[sp.Symbol("c1", real=True)]])] if r.uses_feedback else []
    S1 = a1 * I
    acts = [sp.Matrix([[I]]), sp.Matrix([[S1 ** mu]])]
    acts.append(sp.Matrix([[a2]]) * acts[-1])
    deriv = [sp.Matrix([[mu * S1 ** (mu - 1)]])] if derivative else None

    def moment(exps):
        key = (sp.expand(exps.get(T, 0)), sp.expand(exps.get(I, 0)))
        table = {(1, sp.expand(mu)): ALPHA, (0, sp.expand(2 * mu)): BETA, (1, 1): GAMMA,
                 (0, sp.expand(mu + 1)): DELTA}
        return table.get(key)

    params = [ALPHA, BETA] + ([GAMMA, DELTA] if not derivative else [])
    sysm = _finish(f"nonlinear{'' if derivative else '-nofprime'}", r, [sp.Matrix([[a1]]), sp.Matrix([[a2]])],
                   fb, acts, sp.Matrix([[T]]) - acts[-1], [I, T], moment, deriv, params=params)
    sysm.field = [sp.powsimp(sp.factor_terms(f)) for f in sysm.field]
    return sysm


# Derivations are pure functions of their arguments; the cache hands out copies so a caller
# that edits a system cannot change what the next caller gets.
def _cached(fn):
    cached = lru_cache(maxsize=64)(fn)

    def wrapper(*args, **kwargs):
        args = tuple(tuple(a) if isinstance(a, list) else a for a in args)
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        try:
            return copy.deepcopy(cached(*args, **kwargs))
        except TypeError:  # unhashable argument: derive without the cache
            return fn(*args, **kwargs)

    wrapper.__name__, wrapper.__doc__ = fn.__name__.lstrip("_"), fn.__doc__
    return wrapper


derive_ode = _cached(_derive_ode)
scalar_chain_ode = _cached(_scalar_chain_ode)
wide_ode = _cached(_wide_ode)
nonlinear_ode = _cached(_nonlinear_ode)
