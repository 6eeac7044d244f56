"""Averaged ODEs derived from the per-example rule (docs/theory.md section 0).

Every system here is built the same way: symbolic weights and a symbolic example (I, T)
go through :func:`linrbp.backward_signals` and :func:`linrbp.updates` (the one
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
from ..core._rules import check_rule, feedback_shapes, get_rule
from ..core._rule_run import backward_signals, drifts, state_updates, updates
from ..core._state import state_labels, state_shapes
from ._moments import expectation

__all__ = ["OdeSystem", "derive_ode", "scalar_chain_ode", "wide_ode", "nonlinear_ode",
           "ALPHA", "BETA", "GAMMA", "DELTA", "MU"]

ALPHA, BETA, GAMMA, DELTA = sp.symbols("alpha beta gamma delta", real=True)
MU = sp.Symbol("mu", positive=True)


@dataclass
class OdeSystem:
    r"""An averaged ODE :math:`\dot x = f(x)` derived from a rule (docs/theory.md section 0).

    What :func:`derive_ode`, :func:`scalar_chain_ode`, :func:`wide_ode` and
    :func:`nonlinear_ode` return: the states and the field as sympy expressions, the matrices they
    came from, and the symbolic parameters. ``rhs`` maps each state to its derivative,
    ``along_flow(expr)`` is :func:`flow_derivative`, ``jacobian()`` the sympy Jacobian and
    ``lambdify()`` a numpy function ``f(state, *parameters)``.

    Parameters
    ----------
    name : str
        The system (``"A[1, 2, 1]"``, ``"chain3"``, ``"wide121"``, ``"nonlinear"``).
    rule : str
        The rule's name.
    states : list of sympy.Symbol
        Flat, in :class:`~linrbp.LinearSystem`'s order: :math:`A_1, \dots, A_L` row-major,
        then :math:`C_1, \dots, C_{L-1}` for adaptive rules, then the rule's extra state.
    field : list of sympy expressions
        :math:`\dot x` for each state, in the same order.
    weights : list of sympy.Matrix
        The symbolic :math:`A_1, \dots, A_L`.
    feedback : list of sympy.Matrix
        The symbolic :math:`C_1, \dots, C_{L-1}` (fixed or learned).
    dA : list of sympy.Matrix
        The derived :math:`dA_h/dt`.
    dC : list of sympy.Matrix
        The derived :math:`dC_h/dt` (adaptive rules; else empty).
    parameters : list of sympy.Symbol
        The moment symbols, the fixed feedback and symbolic rule parameters.
    product : sympy.Matrix
        The network's output on the symbolic example (the product :math:`P` times the input).
    moments : dict, optional
        The moment matrices by name (``S_II``, ``S_TI``) of :func:`derive_ode`.
    extra : list of sympy.Matrix, optional
        The symbolic matrices of the rule's extra state.
    dX : list of sympy.Matrix, optional
        Their derived velocities.

    Examples
    --------
    >>> from linrbp.symbolic import scalar_chain_ode
    >>> ode = scalar_chain_ode(2, "srbp")
    >>> ode.name, ode.states, ode.parameters
    ('chain2', [a1, a2], [alpha, beta, c1])
    >>> ode.rhs
    {a1: -a1*a2*beta*c1 + alpha*c1, a2: -a1**2*a2*beta + a1*alpha}
    >>> ode.lambdify()([1.0, 0.5], 2.0, 1.0, 1.0)          # e = 2 - 0.5 = 1.5
    [1.5, 1.5]
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
    r"""The averaged ODE of :math:`A[N_0, \dots, N_L]` under a rule, derived with a symbolic example.

    The rule's one statement (:func:`~linrbp.backward_signals`, :func:`~linrbp.updates`,
    :func:`~linrbp.drifts`) runs on symbolic weights and a symbolic example :math:`(I, T)`, and
    :func:`expectation` replaces the data monomials by the moments (docs/theory.md section 0).
    Input :math:`I = (i_1, \dots, i_{N_0})`, target :math:`T = (t_1, \dots, t_{N_L})`; moments
    :math:`S_{II}[j,k] = \mathbb{E}[i_j i_k]` (symmetric symbols ``sII_jk``, :math:`j \le k`) and
    :math:`S_{TI}[j,k] = \mathbb{E}[t_j i_k]` (``sTI_jk``). Weights :math:`A_h` have entries
    ``a{h}_ij``, feedback :math:`C_h` entries ``c{h}_ij`` (scalars drop the index). Results are
    cached (each call gets its own copy).

    Parameters
    ----------
    layers : sequence of int
        :math:`[N_0, \dots, N_L]`.
    rule : str or Rule, optional
        A registered name or a :class:`~linrbp.Rule` (default ``"srbp"``); its parameters enter as
        their values (exact rationals: 0.1 is 1/10), or as symbols with ``rule.symbolic()``
        (e.g. ``derive_ode([2, 3, 2], get_rule("kolen-pollack").symbolic())`` has
        :math:`\lambda`).

    Returns
    -------
    OdeSystem
        ``states`` (the weight symbols, then learned feedback), ``parameters`` (moments and
        fixed feedback), ``field`` (the right-hand sides, sympy), ``dA``, ``dC``.

    Raises
    ------
    InputError
        (a ValueError) for an unknown rule, bad layer sizes or a rule whose statement does not fit
        the layers.

    Examples
    --------
    The chain :math:`A[1,1,1]` under RBP, :math:`\dot a_1 = c_1 e`, :math:`\dot a_2 = a_1 e`
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
    r"""The chain :math:`A[1, \dots, 1]` of depth :math:`L`, derived: :math:`\dot a_h = B_h\, e \prod_{k<h} a_k` (docs/theory.md section 3).

    With scalar data the moments are :math:`\alpha = \mathbb{E}[T I]` and
    :math:`\beta = \mathbb{E}[I^2]` (``ALPHA``, ``BETA``), and :math:`e = \alpha - \beta P`. The
    feedback symbols are ``c1, c2, ...`` for rules whose signal comes from the top (SRBP: then
    :math:`B_h = c_h`) and ``r1, r2, ...`` (the backward weights) for rules whose signal comes
    from the next layer (RBP: :math:`B_h = r_h \cdots r_{L-1}`).

    Parameters
    ----------
    depth : int
        :math:`L \ge 1`, the number of weights.
    rule : str or Rule, optional
        A registered name or a :class:`~linrbp.Rule` (default ``"srbp"``).

    Returns
    -------
    OdeSystem
        ``states`` :math:`a_1, \dots, a_L` (then learned feedback), ``parameters``
        :math:`\alpha, \beta` and the fixed feedback.

    Raises
    ------
    InputError
        (a ValueError) for a depth that is not a positive integer or an unknown rule.

    Examples
    --------
    >>> import sympy as sp
    >>> from linrbp.symbolic import scalar_chain_ode
    >>> ode = scalar_chain_ode(3, "rbp")
    >>> ode.parameters, [sp.factor(f) for f in ode.field]
    ([alpha, beta, r1, r2], [-r1*r2*(a1*a2*a3*beta - alpha), -a1*r2*(a1*a2*a3*beta - alpha), -a1*a2*(a1*a2*a3*beta - alpha)])
    """
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
    r""":math:`A[1,N,1]`, derived: lower weights :math:`a_i`, upper :math:`b_i`, feedback :math:`c_i`; :math:`\dot a_i = c_i e`, :math:`\dot b_i = a_i e` (docs/theory.md section 4).

    Parameters
    ----------
    width : int
        :math:`N \ge 1`, the hidden width.
    rule : str or Rule, optional
        A registered name or a :class:`~linrbp.Rule` (default ``"srbp"``; RBP and SRBP coincide
        here).

    Returns
    -------
    OdeSystem
        ``states`` :math:`a_1, \dots, a_N, b_1, \dots, b_N` (then learned feedback),
        ``parameters`` :math:`\alpha, \beta, c_1, \dots, c_N`.

    Raises
    ------
    InputError
        (a ValueError) for a width that is not a positive integer or an unknown rule.

    Examples
    --------
    >>> from linrbp.symbolic import wide_ode
    >>> ode = wide_ode(2)
    >>> ode.states, ode.field[0]
    ([a1, a2, b1, b2], -a1*b1*beta*c1 - a2*b2*beta*c1 + alpha*c1)
    """
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
    r""":math:`A[1,1,1]` with hidden output :math:`(a_1 I)^\mu` and a linear output, derived (docs/theory.md section 7).

    With ``derivative`` the hidden signal is multiplied by :math:`f'(S_1) = \mu (a_1 I)^{\mu-1}`.
    Moments: :math:`\alpha = \mathbb{E}[T I^\mu]`, :math:`\beta = \mathbb{E}[I^{2\mu}]`,
    :math:`\gamma = \mathbb{E}[T I]`, :math:`\delta = \mathbb{E}[I^{\mu+1}]`. Positive data and
    weights are assumed (powers are split as :math:`(a_1 I)^\mu = a_1^\mu I^\mu`).

    Parameters
    ----------
    derivative : bool, optional
        With :math:`f'` (default True) or the "no :math:`f'`" variant.
    rule : str or Rule, optional
        A registered name or a :class:`~linrbp.Rule` (default ``"srbp"``).
    power : sympy expression, int or float, optional
        :math:`\mu`, positive (default the symbol ``MU``).

    Returns
    -------
    OdeSystem
        ``states`` :math:`a_1, a_2`, ``parameters`` :math:`\alpha, \beta` (and
        :math:`\gamma, \delta` without :math:`f'`) and :math:`c_1`.

    Raises
    ------
    InputError
        (a ValueError) for a power that is not positive or an unknown rule.

    Examples
    --------
    >>> from linrbp.symbolic import nonlinear_ode
    >>> nonlinear_ode().field
    [a1**(mu - 1)*c1*mu*(-a1**mu*a2*beta + alpha), a1**mu*(-a1**mu*a2*beta + alpha)]
    >>> nonlinear_ode(derivative=False, power=2).field[0]
    c1*(-a1**2*a2*delta + gamma)
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
    wrapper.__wrapped__ = fn  # inspect.signature and the docs show (layers, rule=...), not (*args, **kwargs)
    return wrapper


derive_ode = _cached(_derive_ode)
scalar_chain_ode = _cached(_scalar_chain_ode)
wide_ode = _cached(_wide_ode)
nonlinear_ode = _cached(_nonlinear_ode)
