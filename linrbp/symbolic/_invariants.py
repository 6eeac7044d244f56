"""Polynomial first integrals found, not given: the exact space of conserved polynomials.

For a derived averaged ODE x' = f(x) (:class:`~linrbp.symbolic.OdeSystem`, or an instance file)
a polynomial I(x) of total degree at most d is conserved iff dI/dt = grad(I) . f vanishes
identically. Writing I = sum_m u_m m(x) over the monomials m of degree 1..d (constants are
not invariants), dI/dt = sum_m u_m (grad m . f) is linear in the unknowns u, so the conserved
polynomials are the nullspace of one sparse matrix: one row per monomial of grad(m) . f, one
column per candidate monomial m. The coefficients live in the field of the system's constants:
the rationals Q for an instance file (every number taken as the decimal it is written as) or
Q(parameters) (rational functions of alpha, beta, c1, ...) for a symbolic system. For a
symbolic system the answer is therefore the generic one: at special parameter values (c1 = 0,
say) more polynomials may be conserved.

Fields with symbolic powers (the non-linear A[1,1,1], terms a1^mu) are handled by treating
every distinct power product as its own basis function, which is exact for generic mu.

Before the exact nullspace a cheap pass removes every column that is forced to zero by a row
with a single live entry; what is left is solved exactly with sympy's sparse DomainMatrix.
The basis returned is the reduced row echelon form of the space with the monomials in graded
order (degree 1 first): each member has a leading monomial with coefficient 1 that no other
member contains, so no member is a combination of the others.

Every invariant is then verified twice: exactly (grad(I) . f computed with sympy's polynomial
arithmetic is the zero polynomial) and independently (its relative drift along numerically
integrated trajectories, with the instance's own numpy field for instance files, stays below
:data:`DRIFT_TOL`).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp
from sympy.polys.domains import QQ

from ..core._errors import InputError
from ._polyfield import (_build_columns, _field_terms, _is_int_exponent, _leading, _monomials,
                         _nullspace, _prune, _terms_of, _to_domain, sign_arguments)

__all__ = ["find_invariants", "Invariant", "InvariantBasis", "MAX_DEGREE", "DRIFT_TOL",
           "canonical_names", "instance_system", "find_invariants_piecewise", "sign_arguments",
           "orthant_system", "sign_patterns", "MAX_SIGN_PATTERNS"]

MAX_DEGREE = 4
DRIFT_TOL = 1e-9
DRIFT_TIME = 1.0           # each drift trajectory runs over [0, DRIFT_TIME]
DRIFT_RTOL = 1e-12         # DOP853 tolerances of the drift trajectories
DRIFT_ATOL = 1e-12


@dataclass
class Invariant:
    r"""One conserved polynomial of a derived ODE (an element of an :class:`InvariantBasis`'s ``invariants``).

    ``verified`` is True when it is ``exact`` and its ``drift`` is at most ``DRIFT_TOL`` (1e-9);
    ``to_dict()`` is its JSON form.

    Parameters
    ----------
    expression : sympy expression
        The polynomial :math:`I(x)`, in the canonical state names (``A{h}_{i}_{j}``,
        ``C{h}_{i}_{j}``, 0-based indices).
    degree : int
        Its total degree.
    exact : bool
        Whether :math:`\nabla I \cdot f` is exactly the zero polynomial.
    drift : float
        Its worst relative drift along integrated trajectories: the maximum over times of
        :math:`|I(x(t)) - I(x(0))|`, divided by the largest sum of the absolute values of its
        terms (dimensionless; nan when not checked).
    terms : dict, optional
        Exponent tuple -> coefficient (the same polynomial, for exact membership tests).

    Examples
    --------
    >>> from linrbp.symbolic import find_invariants, scalar_chain_ode
    >>> inv = find_invariants(scalar_chain_ode(2, "srbp"), degree=2).invariants[0]
    >>> inv.expression, inv.degree, inv.exact, inv.verified
    (-A1_0_0**2/(2*c1) + A2_0_0, 2, True, True)
    """

    expression: sp.Expr
    degree: int
    exact: bool
    drift: float
    terms: dict = field(default_factory=dict, repr=False)   # exponent tuple -> coefficient

    @property
    def verified(self) -> bool:
        return bool(self.exact and math.isfinite(self.drift) and self.drift <= DRIFT_TOL)

    def to_dict(self) -> dict:
        return {"expression": sp.sstr(self.expression), "degree": self.degree,
                "verified": self.verified, "exact": self.exact, "drift": self.drift}


@dataclass
class InvariantBasis:
    """The space of polynomial first integrals of degree at most ``degree``: a reduced basis (what :func:`find_invariants` returns).

    ``dimension`` is the dimension of the space, ``expressions`` the basis as sympy expressions,
    ``verified`` whether every invariant is, ``contains(expr)`` tests exactly whether an
    expression in the state symbols ``symbols`` (constants dropped) lies in the space, and ``to_dict()`` is
    the JSON form ``linrbp invariants --json`` writes.

    Parameters
    ----------
    system : str
        The system's name.
    rule : str
        The rule's name.
    degree : int
        The largest total degree searched.
    invariants : list of Invariant
        The reduced basis.
    variables : list of str
        The state names, in the order of the field.
    parameters : list of str
        The symbolic constants the coefficients depend on (empty for an instance).
    seconds : float
        Wall time of the whole search, in seconds (derivation, nullspace, both verifications).
    timings : dict
        The parts of ``seconds`` and the candidate counts.
    drift : dict
        The numeric check: seed, time span, tolerance, parameter values and trajectories used.
    exact_coefficients : str
        ``"rational"`` or ``"rational functions of the parameters"``.
    symbols : list, optional
        The state symbols, with their assumptions (real); ``contains`` reads expressions in these.

    Examples
    --------
    Under BP, :math:`a_1^2 - a_2^2` is conserved on :math:`A[1,1,1]` (docs/theory.md section 2):

    >>> import linrbp
    >>> from linrbp.symbolic import find_invariants
    >>> inst = linrbp.parse_instance({"layers": [1, 1, 1], "rule": "bp", "sigma_ii": [[2.0]],
    ...     "sigma_ti": [[1.5]], "weights": [[[0.3]], [[-0.5]]]})
    >>> basis = find_invariants(inst, degree=2)
    >>> basis.dimension, basis.expressions, basis.exact_coefficients, basis.verified
    (1, [A1_0_0**2 - A2_0_0**2], 'rational', True)
    >>> a1, a2 = basis.symbols
    >>> basis.contains(3 * a2 ** 2 - 3 * a1 ** 2 + 7), basis.contains(a1 * a2)
    (True, False)
    """

    system: str
    rule: str
    degree: int
    invariants: list
    variables: list
    parameters: list
    seconds: float
    timings: dict
    drift: dict
    exact_coefficients: str    # "rational" or "rational functions of the parameters"
    symbols: list = field(default_factory=list, repr=False)

    @property
    def dimension(self) -> int:
        return len(self.invariants)

    @property
    def expressions(self) -> list:
        return [inv.expression for inv in self.invariants]

    @property
    def verified(self) -> bool:
        return all(inv.verified for inv in self.invariants)

    def contains(self, expr) -> bool:
        """Exact: ``expr`` (in the canonical names) is a combination of the basis (constants
        dropped). Reduces ``expr`` by the basis' leading monomials and tests for zero."""
        syms = self.symbols
        rest = _terms_of(self._parse(expr), syms)
        rest.pop((0,) * len(syms), None)
        for inv in self.invariants:
            lead = _leading(inv.terms)
            c = rest.get(lead)
            if c is None:
                continue
            for k, v in inv.terms.items():
                rest[k] = rest.get(k, 0) - c * v
        return all(sp.cancel(sp.together(v)) == 0 for v in rest.values())

    def _parse(self, expr):
        """``expr`` (sympy expression or string) in the basis' own symbols: a string's names are
        the state variables (real, as the basis has them) and the parameters; any other name
        is refused. (Read with plain sympify, a string's symbols lacked the state symbols'
        assumptions, so every term looked constant and was dropped: contains() said True for
        anything.)"""
        params = {str(x): x for inv in self.invariants for v in inv.terms.values()
                  for x in sp.sympify(v).free_symbols}
        for name in self.parameters:
            params.setdefault(name, sp.Symbol(name))
        known = {**params, **{str(x): x for x in self.symbols}}
        if isinstance(expr, str):
            try:
                expr = sp.parse_expr(expr, local_dict=dict(known))
            except (SyntaxError, TypeError, ValueError, sp.SympifyError) as exc:
                raise InputError(f"expr: not an expression ({type(exc).__name__}): {expr!r}") from None
        else:
            try:
                expr = sp.sympify(expr, strict=True)
            except (sp.SympifyError, TypeError, ValueError):
                expr = None
            if not isinstance(expr, sp.Expr):
                raise InputError(f"expr: expected a sympy expression or a string, got {type(expr).__name__}")
        unknown = sorted(str(x) for x in expr.free_symbols if known.get(str(x)) != x)
        if unknown:
            raise InputError(f"expr: unknown symbol(s) {', '.join(unknown)}; the basis' variables are "
                             f"{', '.join(self.variables)} and its parameters {', '.join(self.parameters) or 'none'}")
        return expr

    def to_dict(self) -> dict:
        return {"system": self.system, "rule": self.rule, "degree": self.degree,
                "dimension": self.dimension,
                "invariants": [inv.to_dict() for inv in self.invariants],
                "variables": list(self.variables), "seconds": self.seconds,
                "parameters": list(self.parameters), "coefficients": self.exact_coefficients,
                "timings": self.timings, "drift_check": self.drift}


# ---------------------------------------------------------------------------------------------
# Naming and the instance route


def canonical_names(system) -> dict:
    """{state symbol: canonical symbol}: A{h}_{i}_{j} for weight A_h[i, j] (h from 1, i and j
    from 0) and C{h}_{i}_{j} for learned feedback C_h[i, j]; other states keep their names."""
    states = set(system.states)
    out = {}
    for prefix, mats in (("A", system.weights), ("C", system.feedback)):
        for h, M in enumerate(mats, start=1):
            for i in range(M.rows):
                for j in range(M.cols):
                    s = M[i, j]
                    if s in states:
                        out[s] = sp.Symbol(f"{prefix}{h}_{i}_{j}", real=True)
    for s in system.states:
        out.setdefault(s, s)
    return out


def _exact_rational(x) -> Fraction:
    """A JSON number as the decimal it is written as (its shortest repr), exactly."""
    x = float(x)
    if not math.isfinite(x):
        raise InputError(f"instance: value {x!r} is not finite")
    return Fraction(repr(x))


def instance_system(instance):
    """(OdeSystem derived for the instance's layers and rule, {constant symbol: Fraction})."""
    from ._derive import derive_ode

    ls = instance.system
    system = derive_ode(list(ls.layers), ls.rule)   # the Rule itself: its parameters too
    values: dict = {}
    S_II, S_TI = system.moments["S_II"], system.moments["S_TI"]
    sii, sti = np.asarray(ls.stats.sigma_ii), np.asarray(ls.stats.sigma_ti)
    for i in range(S_II.rows):
        for j in range(i, S_II.cols):
            values[S_II[i, j]] = _exact_rational(sii[i, j])
    for i in range(S_TI.rows):
        for j in range(S_TI.cols):
            values[S_TI[i, j]] = _exact_rational(sti[i, j])
    states = set(system.states)
    for C, V in zip(system.feedback, instance.feedback):
        V = np.asarray(V)
        for i in range(C.rows):
            for j in range(C.cols):
                if C[i, j] not in states:
                    values[C[i, j]] = _exact_rational(V[i, j])
    return system, values


# ---------------------------------------------------------------------------------------------
# Piecewise-polynomial fields (rules built on sign): one polynomial system per sign pattern

MAX_SIGN_PATTERNS = 16


def orthant_system(system, pattern):
    """A copy of ``system`` whose field has sign(x_k) replaced by ``pattern[k]`` (+1 or -1): the
    polynomial system of one orthant of the sign arguments."""
    import copy

    args = sign_arguments(system)
    sub = {sp.sign(a): sp.Integer(v) for a, v in zip(args, pattern)}
    out = copy.copy(system)
    out.field = [sp.expand(sp.sympify(f).xreplace(sub)) for f in system.field]
    return out


def sign_patterns(system) -> list[tuple[int, ...]]:
    """Every sign pattern of the arguments ((+1, ..., +1) first); [] when there are more than
    MAX_SIGN_PATTERNS of them."""
    import itertools

    k = len(sign_arguments(system))
    if 2 ** k > MAX_SIGN_PATTERNS:
        return []
    return list(itertools.product((1, -1), repeat=k))


def piecewise_note(system, what: str) -> str:
    """One line: the field is piecewise polynomial and ``what`` was not done."""
    args = sign_arguments(system)
    names = canonical_names(system)
    shown = ", ".join(f"sign({sp.sympify(a).xreplace(names)})" for a in args[:4]) + (", ..." if len(args) > 4 else "")
    return (f"the field of {system.name} under {system.rule} is piecewise polynomial ({len(args)} sign "
            f"arguments: {shown}; {2 ** len(args)} sign patterns, more than {MAX_SIGN_PATTERNS}): "
            f"{what} not done")


def find_invariants_piecewise(system, degree: int = 2, seed: int = 0) -> dict:
    """Polynomial first integrals per sign pattern of a piecewise-polynomial field.

    ``system``: as :func:`find_invariants` (an instance's data and fixed feedback are substituted
    exactly). Each pattern's invariants hold while the flow stays in that orthant (their drift
    is checked on that orthant's polynomial field).

    Parameters
    ----------
    system : OdeSystem, Instance or path
        As :func:`find_invariants`.
    degree : int, default 2
        Largest total degree, 1..4.
    seed : int, default 0
        Seed of the drift checks' draws.

    Returns
    -------
    dict
        ``{"arguments": [...], "patterns": [{"pattern": (+1, ...), "basis": InvariantBasis}, ...]}``,
        or ``{"arguments": [...], "note": one line}`` when there are more than
        MAX_SIGN_PATTERNS (16) patterns.

    Raises
    ------
    InputError
        As :func:`find_invariants`.

    Examples
    --------
    >>> from linrbp.symbolic import scalar_chain_ode, find_invariants_piecewise
    >>> pw = find_invariants_piecewise(scalar_chain_ode(2, "sign-symmetry"), 2)
    >>> pw["arguments"], [p["pattern"] for p in pw["patterns"]]
    (['A2_0_0'], [(1,), (-1,)])
    """
    from ..instances._instance import Instance, load_instance

    if isinstance(system, (str, os.PathLike)):
        system = load_instance(system)
    vals = {}
    if isinstance(system, Instance):
        system, vals = instance_system(system)
    args = sign_arguments(system)
    names = canonical_names(system)
    out = {"arguments": [str(sp.sympify(a).xreplace(names)) for a in args]}
    patterns = sign_patterns(system)
    if not patterns:
        out["note"] = piecewise_note(system, "polynomial first integrals per sign pattern:")
        return out
    values = {str(k): v for k, v in vals.items()}
    out["patterns"] = [{"pattern": pat, "basis": find_invariants(orthant_system(system, pat), degree,
                                                                  values=values, seed=seed)}
                       for pat in patterns]
    return out


# ---------------------------------------------------------------------------------------------
# Verification


def _exact_check(system, fterms, vec_terms, K, symbolic, packed, canon_expr, names):
    """grad(I) . f is zero: sympy ring arithmetic (integer powers), else sympy expressions."""
    if packed is not None:
        R = sp.ring([str(s) for s in system.states], K)[0] if system.states else None
        F = [R.from_dict(dict(ft)) if ft else R.zero for ft in fterms]
        out = []
        for terms in vec_terms:
            I = R.from_dict(dict(terms))
            d = R.zero
            used = {i for k in terms for i, e in enumerate(k) if e}
            for i in sorted(used):
                di = I.diff(R.gens[i])
                if di:
                    d += di * F[i]
            out.append(d == 0)
        return out
    from ._analysis import is_zero
    inv = {v: k for k, v in names.items()}
    return [is_zero(system.along_flow(e.xreplace(inv))) for e in canon_expr]


def _numeric_parameters(params, rng):
    return {p: float(rng.uniform(0.5, 1.5)) for p in params}


def _drift_check(system, fterms, vec_terms, numeric, starts, f_numeric, positive):
    """Worst relative drift of each invariant along trajectories of the numeric field."""
    from scipy.integrate import solve_ivp

    coefs = [(np.array(list(terms), dtype=float), np.array(list(terms.values()), dtype=float))
             for terms in vec_terms]
    worst = np.zeros(len(vec_terms))
    used = []
    for y0 in starts:
        def blowup(t, y):
            return 1e4 - np.max(np.abs(y))
        blowup.terminal = True
        sol = solve_ivp(lambda t, y: f_numeric(y), (0.0, DRIFT_TIME), y0, method="DOP853",
                        rtol=DRIFT_RTOL, atol=DRIFT_ATOL, t_eval=np.linspace(0.0, DRIFT_TIME, 11),
                        events=blowup)
        Y = sol.y.T
        used.append({"start": [float(x) for x in y0], "t_end": float(sol.t[-1]) if len(sol.t) else 0.0})
        if len(Y) < 2:
            continue
        for k, (exps, cs) in enumerate(coefs):
            with np.errstate(all="ignore"):   # invariants have non-negative integer powers
                mono = np.prod(Y[:, None, :] ** exps[None, :, :], axis=2)
            vals = mono @ cs
            scale = np.max(np.abs(mono * cs).sum(axis=1))
            d = np.max(np.abs(vals - vals[0])) / scale if scale > 0 else 0.0
            worst[k] = max(worst[k], d if np.isfinite(d) else np.inf)
    return worst, used


# ---------------------------------------------------------------------------------------------


def _check_degree(degree):
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)):
        raise InputError(f"degree: must be an integer from 1 to {MAX_DEGREE}, got {degree!r}")
    degree = int(degree)
    if degree < 1 or degree > MAX_DEGREE:
        raise InputError(f"degree: must be from 1 to {MAX_DEGREE}, got {degree}")
    return degree


def find_invariants(system, degree: int = 2, *, seed: int = 0, values: dict | None = None,
                    verify: bool = True) -> InvariantBasis:
    r"""Every polynomial first integral of total degree at most ``degree`` of a derived ODE, exact and verified.

    Solves :math:`\nabla I \cdot f = 0` for the coefficients of :math:`I` over :math:`\mathbb{Q}`
    (instances) or the rational functions of the parameters (symbolic systems), then checks each
    basis element twice: exactly (:math:`\nabla I \cdot f` is the zero polynomial) and
    numerically (its relative drift along two trajectories over :math:`t \in [0, 1]` integrated
    with DOP853 at rtol 1e-12: the instance's start and a perturbed one, or two seeded random
    starts and seeded parameter values in :math:`[0.5, 1.5]` for a symbolic system). The
    invariants page (docs/invariants.md) and ``linrbp invariants`` use it.

    Parameters
    ----------
    system : OdeSystem, Instance or str
        A derived system (:func:`derive_ode`, :func:`scalar_chain_ode`, :func:`wide_ode`,
        :func:`nonlinear_ode`; any registered rule), an :class:`~linrbp.Instance`, or the path
        of an instance file (then the ODE is derived for its layers and rule, and its data and
        fixed feedback are substituted as exact rationals).
    degree : int, optional
        The largest total degree, 1 to 4 (default 2).
    seed : int, optional
        Seeds the starts and parameter values of the numeric check (default 0).
    values : dict, optional
        Fixes symbolic constants of an OdeSystem to numbers (by symbol or name; floats are read
        as the exact rationals they are).
    verify : bool, optional
        Run the exact and numeric checks (default True); without them every invariant has
        ``exact`` False and ``drift`` nan.

    Returns
    -------
    InvariantBasis
        A reduced basis of the space, its ``dimension`` and ``seconds``; each invariant carries
        ``exact`` and ``drift``.

    Raises
    ------
    InputError
        (a ValueError) for a degree outside 1..4, a field that is not polynomial in the state,
        or an unreadable instance.

    Examples
    --------
    :math:`A[1,1,1]` under SRBP conserves :math:`K = a_2 - a_1^2/(2 c_1)` (docs/theory.md
    section 2), and nothing else of degree at most 2; fixing :math:`c_1 = 1/2`:

    >>> from linrbp.symbolic import find_invariants, scalar_chain_ode
    >>> basis = find_invariants(scalar_chain_ode(2, "srbp"), degree=2, values={"c1": 0.5})
    >>> basis.dimension, basis.expressions, basis.parameters
    (1, [-A1_0_0**2 + A2_0_0], ['alpha', 'beta'])
    >>> find_invariants(scalar_chain_ode(2, "srbp"), degree=5)
    Traceback (most recent call last):
    ...
    linrbp.InputError: degree: ...
    """
    from ..instances._instance import Instance, load_instance

    t_start = time.perf_counter()
    degree = _check_degree(degree)
    instance = None
    if isinstance(system, (str, os.PathLike)):
        system = load_instance(system)
    timings: dict = {}
    t0 = time.perf_counter()
    if isinstance(system, Instance):
        instance = system
        system, vals = instance_system(instance)
    else:
        if not hasattr(system, "states") or not hasattr(system, "field"):
            raise InputError(f"find_invariants: expected an OdeSystem, an Instance or an instance "
                             f"file, got {type(system).__name__}")
        vals = {sp.sympify(k) if not isinstance(k, str) else sp.Symbol(k): _exact_rational(v)
                for k, v in (values or {}).items()}
        if values:  # match by name against the system's symbols
            by_name = {str(s): s for f in system.field for s in sp.sympify(f).free_symbols}
            vals = {by_name.get(str(k), k): v for k, v in vals.items()}
    timings["derive"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    states = list(system.states)
    n = len(states)
    fterms = _field_terms(system, vals)
    params = sorted({s for ft in fterms for c in ft.values() if not isinstance(c, Fraction)
                     for s in sp.sympify(c).free_symbols}, key=str)
    exps_all = [e for ft in fterms for k in ft for e in k]
    integer = all(_is_int_exponent(e) for e in exps_all)
    symbolic = bool(params)
    K = QQ.frac_field(*params) if symbolic else QQ
    fterms_K = [{k: _to_domain(c, K, symbolic) for k, c in ft.items()} for ft in fterms]
    if integer:
        fterms_K = [{tuple(int(e) for e in k): c for k, c in ft.items()} for ft in fterms_K]
        maxdeg = max([sum(k) for ft in fterms_K for k in ft] + [0]) + degree
        packed = max(1, maxdeg.bit_length()) + 1
    else:
        packed = None
    monos = _monomials(n, degree)
    cols = _build_columns(fterms_K, monos, packed)
    timings["build"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    live = _prune(cols)
    basis = _nullspace(cols, live, K)
    timings["nullspace"] = time.perf_counter() - t0
    timings["candidates"] = len(monos)
    timings["live_after_pruning"] = len(live)

    names = canonical_names(system)
    csyms = [names[s] for s in states]
    vec_terms = [{monos[j]: v for j, v in vec.items()} for vec in basis]
    exprs = []
    sym_terms = []
    for terms in vec_terms:
        st = {k: (sp.factor(K.to_sympy(v)) if symbolic else K.to_sympy(v)) for k, v in terms.items()}
        sym_terms.append(st)
        exprs.append(sp.Add(*[c * sp.Mul(*[s ** e for s, e in zip(csyms, k)]) for k, c in st.items()]))

    t0 = time.perf_counter()
    if verify and basis:
        exact = _exact_check(system, fterms_K if integer else fterms, vec_terms, K, symbolic,
                             packed, exprs, names)
    else:
        exact = [False] * len(basis) if not verify else []
    timings["exact_check"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    drift_info: dict = {"seed": seed, "time": DRIFT_TIME, "rtol": DRIFT_RTOL, "tolerance": DRIFT_TOL}
    drifts = np.full(len(basis), np.nan)
    if verify and basis:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 14]))
        positive = not integer
        if instance is not None:
            y0 = np.asarray(instance.y0, dtype=float)
            starts = [y0, y0 + 0.1 * rng.standard_normal(y0.shape) * max(1.0, float(np.max(np.abs(y0))))]
            f_num = instance.system
            numeric = {}
        else:
            numeric = _numeric_parameters(params, rng)
            lo, hi = (0.2, 1.0) if positive else (-1.0, 1.0)
            starts = [rng.uniform(lo, hi, n) for _ in range(2)]
            fl = sp.lambdify([states], [sp.sympify(f).subs(numeric).subs(
                {k: float(v) for k, v in vals.items()}) for f in system.field], "numpy")

            def f_num(y, fl=fl):
                return np.asarray(fl(y), dtype=float).reshape(-1)
            drift_info["parameters"] = {str(k): v for k, v in numeric.items()}
        num_terms = [{k: (float(K.to_sympy(v).subs(numeric)) if symbolic else float(K.to_sympy(v)))
                      for k, v in terms.items()} for terms in vec_terms]
        drifts, used = _drift_check(system, fterms, num_terms, numeric, starts, f_num, positive)
        drift_info["trajectories"] = used
    timings["drift_check"] = time.perf_counter() - t0

    invs = [Invariant(e, max(sum(k) for k in st), bool(exact[i]) if verify else False,
                      float(drifts[i]), st)
            for i, (e, st) in enumerate(zip(exprs, sym_terms))]
    coefficients = "rational functions of the parameters" if symbolic else "rational"
    return InvariantBasis(system.name, system.rule, degree, invs, [str(s) for s in csyms],
                          [str(p) for p in params], time.perf_counter() - t_start, timings,
                          drift_info, coefficients, csyms)
