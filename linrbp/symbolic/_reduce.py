"""Reduction of the scalar systems to one polynomial ODE a1' = Q(a1) (docs/theory.md sections 2-4, 7).

Chain of depth L (SRBP form, c_L = 1; RBP through c_h = r_h ... r_{L-1}): the invariants
K_h = a_{h+1} - c_{h+1} a_h^2 / (2 c_h) give a_{h+1} = rho_h a_h^2 + K_h with
rho_h = c_{h+1} / (2 c_h), so a_h is a polynomial in a1 of degree 2^(h-1), and substituting
into the derived a1' gives Q of degree 2^L - 1.

Speed: the substitution is done in a sparse polynomial ring over ZZ/QQ with generators
a1, K_h and rho_h (not c_h and 1/c_h, which would not cancel), multiplying the a_h from the top
(largest first). Depth 7 (25k terms) takes a couple of seconds, plain ``expand`` minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp
from sympy.polys.domains import QQ, RR, ZZ
from sympy.polys.rings import ring

from ..core._errors import InputError
from ..core._rules import get_rule
from ._derive import ALPHA, BETA, MU, nonlinear_ode, scalar_chain_ode, wide_ode

__all__ = ["ChainReduction", "chain_reduction", "chain_feedback", "Reduction",
           "wide_reduction", "nonlinear_reduction"]


def chain_feedback(depth: int, rule: str) -> list[sp.Expr]:
    r"""The feedback :math:`c_1, \dots, c_L` of the chain in SRBP form, :math:`c_L = 1` (docs/theory.md section 3).

    SRBP's feedback is :math:`c_h` itself; RBP with backward weights :math:`r_h` is the same
    system with :math:`c_h = r_h \cdots r_{L-1}`.

    Parameters
    ----------
    depth : int
        :math:`L`.
    rule : str
        ``"srbp"`` or ``"rbp"`` (the rules with fixed feedback).

    Returns
    -------
    list of sympy expressions
        :math:`c_1, \dots, c_{L-1}, 1`.

    Raises
    ------
    InputError
        (a ValueError) for another rule.

    Examples
    --------
    >>> from linrbp.symbolic import chain_feedback
    >>> chain_feedback(3, "srbp"), chain_feedback(3, "rbp")
    ([c1, c2, 1], [r1*r2, r2, 1])
    """
    r = get_rule(rule)
    if r.name not in ("srbp", "rbp"):
        raise InputError(f"rule: the chain reduction needs fixed feedback (srbp or rbp), got {r.name}")
    if r.name == "srbp":
        c = [sp.Symbol(f"c{h}", real=True) for h in range(1, depth)]
    else:
        rs = [sp.Symbol(f"r{h}", real=True) for h in range(1, depth)]
        c = [sp.Mul(*rs[h:]) for h in range(depth - 1)]
    return c + [sp.Integer(1)]


# Fully symbolic Q has 25k terms at depth 7 and ~10^6 at depth 8; with every parameter
# numeric Q is univariate: depth 10 (degree 1023) takes about a second.
MAX_SYMBOLIC_DEPTH = 7
MAX_NUMERIC_DEPTH = 10


def _check_depth(depth, all_numeric=False):
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise InputError(f"depth: must be a positive integer, got {depth!r}")
    cap = MAX_NUMERIC_DEPTH if all_numeric else MAX_SYMBOLIC_DEPTH
    if depth > cap:
        raise InputError(f"depth: at most {cap} {'with numeric' if all_numeric else 'fully symbolic, or with all numeric'}"
                         f" coefficients (Q has degree 2^L - 1 = {2 ** depth - 1}), got {depth}")


def _numeric_values(numeric, allowed) -> dict:
    if numeric is None:
        return {}
    if not isinstance(numeric, dict):
        raise InputError("numeric: expected a dict of parameter name -> number")
    out = {}
    for k, v in numeric.items():
        name = str(k)
        if name not in allowed:
            raise InputError(f"numeric: unknown parameter {name!r} (known: {', '.join(allowed)})")
        if isinstance(v, bool) or not isinstance(v, (int, float, Fraction, sp.Rational)):
            raise InputError(f"numeric: {name} must be a number, got {v!r}")
        if isinstance(v, float) and not math.isfinite(v):
            raise InputError(f"numeric: {name} is not finite")
        out[name] = v
    return out


@dataclass
class Reduction:
    r"""A scalar system reduced to one ODE :math:`\dot a_1 = Q(a_1)` with the invariants (docs/theory.md sections 4 and 7).

    What :func:`wide_reduction` and :func:`nonlinear_reduction` return.

    Parameters
    ----------
    system : OdeSystem
        The derived system that was reduced.
    Q : sympy expression
        :math:`Q(a_1)`.
    variable : sympy.Symbol
        :math:`a_1`.
    invariants : dict
        Each invariant's symbol (:math:`K`, :math:`K_i`, :math:`K'_i`) -> its expression in the
        states.
    substitution : dict
        Each eliminated state -> its expression in :math:`a_1` and the invariants.
    degree : int, sympy expression or None
        The degree of :math:`Q` (a sympy expression for a symbolic :math:`\mu`, None when
        :math:`Q` has non-integer powers).
    leading_coefficient : sympy expression
        The coefficient of the top power.
    powers : tuple or None, optional
        When :math:`Q` is not a polynomial (a numeric non-integer :math:`\mu`): the exponents of
        :math:`a_1` in its terms, lowest first.

    Examples
    --------
    >>> from linrbp.symbolic import wide_reduction
    >>> red = wide_reduction(2)
    >>> red.variable, red.degree, red.leading_coefficient
    (a1, 3, -beta*(c1**2 + c2**2)/(2*c1**2))
    """

    system: Any
    Q: sp.Expr
    variable: sp.Symbol
    invariants: dict
    substitution: dict
    degree: Any
    leading_coefficient: sp.Expr
    # When Q is not a polynomial in the variable (a non-integer power mu): the exponents of
    # the variable in Q's terms, lowest first; ``degree`` is then None.
    powers: tuple | None = None


@dataclass
class ChainReduction:
    r""":math:`\dot a_1 = Q(a_1)` of the depth-:math:`L` chain (docs/theory.md section 3), what :func:`chain_reduction` returns.

    :math:`Q` is held as sparse ring polynomials (``ring_terms``: :math:`Q = \sum` outer
    :math:`\times` poly); the sympy expression ``Q``, ``coefficients`` (``{k: coefficient of
    a1^k}``) and ``monomials`` (``[(k, coefficient, {symbol: exponent})]``) are built on first use
    (``Q`` takes seconds at depth 6, minutes at 7); ``format(latex=False)`` prints :math:`Q` fast
    at any depth, ``n_terms`` counts its terms.

    Parameters
    ----------
    depth : int
        :math:`L`.
    rule : str
        ``"srbp"`` or ``"rbp"``.
    system : OdeSystem
        The derived chain (:func:`scalar_chain_ode`).
    invariants : dict
        :math:`K_h` -> :math:`a_{h+1} - c_{h+1} a_h^2/(2 c_h)`.
    feedback : list of sympy expressions
        :math:`c_1, \dots, c_L` in SRBP form (:func:`chain_feedback`).
    a_polys : list
        :math:`a_1, \dots, a_L` as ring polynomials in :math:`a_1`.
    ring_terms : list
        ``(outer sympy factor, ring polynomial)`` pairs that sum to :math:`Q`.
    degree : int
        :math:`2^L - 1`.
    leading_coefficient : sympy expression
        Negative for every nonzero feedback.
    numeric : dict, optional
        The parameters fixed to numbers.

    Examples
    --------
    >>> from linrbp.symbolic import chain_reduction
    >>> red = chain_reduction(2)
    >>> red.degree, red.leading_coefficient, red.format()
    (3, -beta/2, '-beta/2*a1**3 - K1*beta*c1*a1 + alpha*c1')
    """

    depth: int
    rule: str
    system: Any
    invariants: dict
    feedback: list
    a_polys: list
    ring_terms: list
    degree: int
    leading_coefficient: sp.Expr
    numeric: dict = field(default_factory=dict)
    _convert: Any = None

    variable = sp.Symbol("a1", real=True)

    @cached_property
    def monomials(self) -> list[tuple[int, Any, dict]]:
        """The terms of Q, a list of ``(k, coefficient, {symbol: exponent})`` (coefficient a rational
        or a float): Q is the sum of coefficient * prod(symbol^exponent) * a1^k."""
        out = []
        for outer, poly in self.ring_terms:
            out.extend(_terms(self._convert, _powers(outer), poly.terms()))
        out.sort(key=lambda t: -t[0])
        return out

    @cached_property
    def coefficients(self) -> dict[int, sp.Expr]:
        """The coefficients of Q, ``{k: coefficient of a1^k}`` (sympy; slow to build beyond depth 6)."""
        out: dict[int, list] = {}
        for k, const, pows in self.monomials:
            out.setdefault(k, []).append(sp.sympify(const) * sp.Mul(*[s ** p for s, p in pows.items()]))
        return {k: sp.Add(*v) for k, v in out.items()}

    @cached_property
    def Q(self) -> sp.Expr:
        """The sympy expression Q(a1), built lazily (seconds at depth 6, minutes at 7)."""
        return sp.Add(*[c * self.variable ** k for k, c in self.coefficients.items()])

    @property
    def n_terms(self) -> int:
        return sum(len(p) for _, p in self.ring_terms)

    def format(self, latex: bool = False) -> str:
        """Q(a1) as text or LaTeX, straight from the ring (fast at any depth)."""
        return format_polynomial(self.monomials, "a_1" if latex else "a1", latex)


def _powers(expr) -> tuple[Any, dict]:
    """expr = const * prod s^p (a monomial) -> (const, {s: p})."""
    const, rest = sp.sympify(expr).as_coeff_Mul()
    pows = {}
    for f in sp.Mul.make_args(rest):
        if f == 1:
            continue
        b, e = f.as_base_exp()
        if not (b.is_Symbol and e.is_Integer):
            raise ValueError(f"not a monomial: {expr}")
        pows[b] = pows.get(b, 0) + int(e)
    c = Fraction(int(const.p), int(const.q)) if const.is_Rational else float(const)
    return c, pows


_NAMES: dict = {}


def _fmt_power(s, p, latex):
    name = _NAMES.get((s, latex))
    if name is None:
        name = _NAMES[(s, latex)] = sp.latex(s) if latex else str(s)
    if p == 1:
        return name
    return f"{name}^{{{p}}}" if latex else f"{name}**{p}"


def format_polynomial(monomials, var: str, latex: bool = False) -> str:
    r"""Text or LaTeX of a polynomial given by its monomials, collected by powers of one variable.

    Parameters
    ----------
    monomials : iterable of tuple
        ``(k, coefficient, {symbol: exponent})``: the term coefficient
        :math:`\times \prod s^{p} \times \mathrm{var}^k` (a coefficient is a
        :class:`fractions.Fraction`, printed exactly, or a float), as
        :attr:`ChainReduction.monomials` lists them.
    var : str
        The name printed for the variable (``"a1"``, or ``"a_1"`` for LaTeX).
    latex : bool, optional
        LaTeX (``\frac``, ``^{k}``) instead of Python-like text (default False).

    Returns
    -------
    str
        The polynomial, highest power first; ``"0"`` for no terms.

    Examples
    --------
    >>> from fractions import Fraction
    >>> import sympy as sp
    >>> from linrbp.symbolic import format_polynomial
    >>> alpha, beta, c1 = sp.symbols("alpha beta c1")
    >>> terms = [(3, Fraction(-1, 2), {beta: 1}), (0, Fraction(1), {alpha: 1, c1: 1})]
    >>> format_polynomial(terms, "a1"), format_polynomial(terms, "a_1", latex=True)
    ('-beta/2*a1**3 + alpha*c1', '-\\frac{\\beta}{2} a_1^{3} + \\alpha c_{1}')
    """
    groups: dict[int, list] = {}
    for k, const, pows in monomials:
        groups.setdefault(k, []).append((const, pows))
    parts = []
    for k in sorted(groups, reverse=True):
        terms = []
        for const, pows in groups[k]:
            items = sorted(pows.items(), key=lambda t: t[0].name)
            num = [_fmt_power(s, p, latex) for s, p in items if p > 0]
            den = [_fmt_power(s, -p, latex) for s, p in items if p < 0]
            sign = "-" if const < 0 else "+"
            c = abs(const)
            if isinstance(c, Fraction):
                cn, cd = c.numerator, c.denominator
                if cn != 1 or not num:
                    num.insert(0, str(cn))
                if cd != 1:
                    den.insert(0, str(cd))
            else:
                num.insert(0, repr(float(c)))
            mul = " " if latex else "*"
            n = mul.join(num) or "1"
            if den:
                d = mul.join(den)
                body = f"\\frac{{{n}}}{{{d}}}" if latex else f"{n}/({d})" if len(den) > 1 else f"{n}/{d}"
            else:
                body = n
            terms.append((sign, body))
        inner = " ".join(f"{s} {b}" for s, b in terms)
        inner = inner[2:] if inner.startswith("+ ") else "-" + inner[2:]
        if k == 0:
            parts.append(f"({inner})" if len(terms) > 1 else inner)
        else:
            v = var if k == 1 else (f"{var}^{{{k}}}" if latex else f"{var}**{k}")
            coef = f"({inner})" if len(terms) > 1 else inner
            mul = " " if latex else "*"
            parts.append(v if coef == "1" else ("-" + v if coef == "-1" else f"{coef}{mul}{v}"))
    out = " + ".join(parts) if parts else "0"
    return out.replace("+ -", "- ")


class _Converter:
    """Ring coefficient -> Fraction/float and generator -> (const, {symbol: exponent})."""

    def __init__(self, domain, gen_exprs):
        self.domain = domain
        self.gens = [_powers(g) for g in gen_exprs]

    def const(self, coeff):
        if self.domain is RR:
            return float(coeff)
        if self.domain is ZZ:
            return Fraction(int(coeff))
        return Fraction(int(coeff.numerator), int(coeff.denominator))

    def ratio(self, coeff) -> tuple:
        """(numerator, denominator) ints, or (float, 1) over RR."""
        if self.domain is RR:
            return float(coeff), 1
        if self.domain is ZZ:
            return int(coeff), 1
        return int(coeff.numerator), int(coeff.denominator)


def chain_reduction(depth: int, rule: str = "srbp", numeric: dict | None = None) -> ChainReduction:
    r"""Reduce the depth-:math:`L` chain to one polynomial ODE :math:`\dot a_1 = Q(a_1)` (docs/theory.md section 3).

    The invariants :math:`K_h` give :math:`a_{h+1} = \rho_h a_h^2 + K_h` with
    :math:`\rho_h = c_{h+1}/(2 c_h)`, so :math:`a_h` is a polynomial in :math:`a_1` of degree
    :math:`2^{h-1}` and :math:`Q` has degree :math:`2^L - 1` with a negative leading coefficient.
    The substitution runs in a sparse polynomial ring over ZZ/QQ (a couple of seconds at depth
    7, 25k terms).

    Parameters
    ----------
    depth : int
        :math:`L \ge 1`; at most 7 fully symbolic, 10 with every parameter numeric.
    rule : str, optional
        ``"srbp"`` (default) or ``"rbp"``.
    numeric : dict, optional
        Fixes some of ``alpha``, ``beta``, ``c1..c{L-1}`` (srbp) or ``r1..r{L-1}`` (rbp) and
        ``K1..K{L-1}`` to numbers: int and :class:`fractions.Fraction` stay exact, any float
        makes the ring real-valued.

    Returns
    -------
    ChainReduction
        ``degree``, ``leading_coefficient``, ``format()``, and ``Q``/``coefficients`` on demand.

    Raises
    ------
    InputError
        (a ValueError) for a bad depth, an unknown or non-numeric entry of ``numeric``, a
        feedback value 0, or a rule other than srbp/rbp.

    Examples
    --------
    >>> from linrbp.symbolic import chain_reduction
    >>> chain_reduction(3).leading_coefficient
    -beta*c2**2/(16*c1**2)
    >>> chain_reduction(2, numeric={"alpha": 1, "beta": 1, "c1": 2, "K1": 0}).format()
    '-1/2*a1**3 + 2'
    """
    _check_depth(depth, isinstance(numeric, dict) and isinstance(depth, int) and len(numeric) >= 2 * depth)
    r = get_rule(rule)
    system = scalar_chain_ode(depth, r.name)
    c = chain_feedback(depth, r.name)
    fb_names = [str(s) for s in system.parameters if s not in (ALPHA, BETA)]
    K = [sp.Symbol(f"K{h}", real=True) for h in range(1, depth)]
    num = _numeric_values(numeric, ["alpha", "beta"] + fb_names + [str(k) for k in K])
    subs = {sp.Symbol(n, real=True): sp.nsimplify(v) if not isinstance(v, float) else sp.Float(v)
            for n, v in num.items()}
    a = system.states
    invariants = {K[h]: a[h + 1] - c[h + 1] * a[h] ** 2 / (2 * c[h]) for h in range(depth - 1)}
    rho = [sp.cancel(c[h + 1] / (2 * c[h])) for h in range(depth - 1)]
    rho_num = [x.subs(subs) for x in rho]
    for h, x in enumerate(rho_num):
        if x.is_number and x == sp.zoo or x.has(sp.zoo, sp.oo, sp.nan):
            raise InputError(f"numeric: feedback c{h + 1} = 0 makes the chain reduction undefined")

    # ring generators: a1, symbolic K_h, symbolic rho_h
    gens, gen_expr = ["a1"], [a[0]]
    for h in range(depth - 1):
        if K[h] not in subs:
            gens.append(f"K{h + 1}")
            gen_expr.append(K[h])
    for h in range(depth - 1):
        if not rho_num[h].is_number:
            gens.append(f"rho{h + 1}")
            gen_expr.append(rho_num[h])
    domain = RR if any(isinstance(v, float) for v in num.values()) else (QQ if num else ZZ)
    R, *g = ring(",".join(gens), domain)
    by_name = dict(zip(gens, g))

    def const(x):
        return R(domain.convert(x) if domain is RR else QQ(int(sp.fraction(x)[0]), int(sp.fraction(x)[1])))

    polys = [by_name["a1"]]
    for h in range(depth - 1):
        rh = by_name.get(f"rho{h + 1}") or const(rho_num[h])
        kh = by_name.get(f"K{h + 1}") or const(subs[K[h]])
        polys.append(rh * polys[-1] ** 2 + kh)

    # Q = a1' of the derived field with a_2..a_L replaced by their polynomials in a1.
    f1 = sp.Poly(system.field[0], *a)
    ring_terms = []
    for mon, coeff in f1.terms():
        p = R(1)
        for h in range(depth - 1, -1, -1):
            if mon[h]:
                p = p * polys[h] ** mon[h]
        ring_terms.append((coeff.subs(subs), p))

    to_expr = _Converter(domain, gen_expr[1:])

    degree = max(p.degree(0) for _, p in ring_terms)
    red = ChainReduction(depth, r.name, system, invariants, c, polys, ring_terms, degree,
                         sp.Integer(0), num, to_expr)
    lead = [(k, const, pows) for k, const, pows in _leading_monomials(red)]
    red.leading_coefficient = sp.factor(sp.Add(*[sp.sympify(const) * sp.Mul(*[s ** p for s, p in pows.items()])
                                                 for _, const, pows in lead]))
    return red


def _terms(conv, outer, terms):
    """Ring terms -> (a1 power, constant, {symbol: exponent}), exponents combined with numpy."""
    if not terms:
        return []
    syms = sorted(set(outer[1]).union(*[g[1] for g in conv.gens]), key=lambda s: s.name)
    col = {s: j for j, s in enumerate(syms)}
    G = np.zeros((len(conv.gens), len(syms)), dtype=np.int64)
    for i, (_, pows) in enumerate(conv.gens):
        for s, p in pows.items():
            G[i, col[s]] = p
    o = np.zeros(len(syms), dtype=np.int64)
    for s, p in outer[1].items():
        o[col[s]] = p
    M = np.array([mon for mon, _ in terms], dtype=np.int64)
    E = M[:, 1:] @ G + o if len(conv.gens) else np.tile(o, (len(terms), 1))
    exact = conv.domain is not RR and not isinstance(outer[0], float) and \
        all(not isinstance(g[0], float) for g in conv.gens)
    gconst = [(i, g[0]) for i, g in enumerate(conv.gens) if g[0] != 1]
    out = []
    for (mon, coeff), row in zip(terms, E.tolist()):
        n, d = conv.ratio(coeff)
        if exact:  # integer arithmetic, one Fraction per term
            n *= outer[0].numerator
            d *= outer[0].denominator
            for i, gc in gconst:
                e = mon[i + 1]
                if e:
                    n *= gc.numerator ** e
                    d *= gc.denominator ** e
            const = Fraction(n, d)
        else:
            const = float(outer[0]) * n / d
            for i, gc in gconst:
                if mon[i + 1]:
                    const *= float(gc) ** mon[i + 1]
        out.append((mon[0], const, {s: p for s, p in zip(syms, row) if p}))
    return out


def _leading_monomials(red):
    return [t for outer, poly in red.ring_terms if poly.degree(0) == red.degree
            for t in _terms(red._convert, _powers(outer),
                            [(m, c) for m, c in poly.terms() if m[0] == red.degree])]


def _finish(system, var, subst, invariants):
    f = sp.expand(sp.powsimp(system.rhs[var].subs(subst), force=True))
    poly_ok = f.is_polynomial(var)
    if poly_ok:
        P = sp.Poly(f, var)
        deg, lc = P.degree(), sp.factor(P.LC())
        f = sp.collect(f, var)
    else:
        deg, lc = None, None
    return Reduction(system, f, var, invariants, subst, deg, lc)


def wide_reduction(width: int) -> Reduction:
    r"""Reduce :math:`A[1,N,1]` to one cubic ODE :math:`\dot a_1 = Q(a_1)` (docs/theory.md section 4).

    Substitutes :math:`a_i = K'_i + (c_i/c_1)\, a_1` and :math:`b_i = a_i^2/(2 c_i) + K_i`; the
    leading coefficient is :math:`-\beta \sum_i c_i^2/(2 c_1^2) < 0`.

    Parameters
    ----------
    width : int
        :math:`N \ge 1`.

    Returns
    -------
    Reduction
        :math:`Q` collected in :math:`a_1`, the invariants and the substitution.

    Raises
    ------
    InputError
        (a ValueError) for a width that is not a positive integer.

    Examples
    --------
    >>> from linrbp.symbolic import wide_reduction
    >>> red = wide_reduction(1)
    >>> red.Q, red.degree
    (-K1*a1*beta*c1 - a1**3*beta/2 + alpha*c1, 3)
    """
    system = wide_ode(width, "srbp")
    a = system.states[:width]
    b = system.states[width:2 * width]
    c = system.parameters[2:]
    K = [sp.Symbol(f"K{i + 1}", real=True) for i in range(width)]
    Kp = [sp.Symbol(f"K'{i + 1}", real=True) for i in range(width)]  # the name derive lists
    inv = {K[i]: b[i] - a[i] ** 2 / (2 * c[i]) for i in range(width)}
    inv.update({Kp[i]: a[i] - c[i] / c[0] * a[0] for i in range(1, width)})
    subst = {}
    for i in range(width):
        ai = a[0] if i == 0 else Kp[i] + c[i] / c[0] * a[0]
        if i:
            subst[a[i]] = ai
        subst[b[i]] = ai ** 2 / (2 * c[i]) + K[i]
    red = _finish(system, a[0], subst, inv)
    red.Q = sp.collect(sp.expand(red.Q), a[0], sp.factor)
    return red


def nonlinear_reduction(power=MU) -> Reduction:
    r"""Reduce the non-linear chain with :math:`f'` to :math:`\dot a_1 = Q(a_1)` on the invariant :math:`a_2 = a_1^2/(2 c_1 \mu) + K` (docs/theory.md section 7).

    Parameters
    ----------
    power : sympy expression, int or float, optional
        :math:`\mu > 0` (default the symbol ``MU``).

    Returns
    -------
    Reduction
        ``degree`` :math:`2\mu + 1` (a sympy expression for a symbolic :math:`\mu`), None with
        ``powers`` listing the exponents for a numeric non-integer :math:`\mu`;
        ``leading_coefficient`` :math:`-\beta/2`.

    Raises
    ------
    InputError
        (a ValueError) for a power that is not positive.

    Examples
    --------
    >>> import sympy as sp
    >>> from linrbp.symbolic import nonlinear_reduction
    >>> red = nonlinear_reduction(2)
    >>> red.Q, red.degree, red.leading_coefficient
    (-2*K*a1**3*beta*c1 - a1**5*beta/2 + 2*a1*alpha*c1, 5, -beta/2)
    >>> nonlinear_reduction(sp.Rational(1, 2)).powers
    (-1/2, 0, 2)
    """
    system = nonlinear_ode(True, "srbp", power)
    a1, a2 = system.states
    c1 = system.parameters[-1]
    mu = sp.sympify(power)
    K = sp.Symbol("K", real=True)
    inv = {K: a2 - a1 ** 2 / (2 * c1 * mu)}
    red = _finish(system, a1, {a2: a1 ** 2 / (2 * c1 * mu) + K}, inv)
    if red.degree is None and mu.free_symbols:
        # symbolic mu: Q = c1 mu a1^(mu-1) (alpha - beta a1^mu a2(a1)), top term -beta/2 a1^(2 mu + 1)
        red.Q = sp.factor_terms(sp.powsimp(red.Q, force=True))
        red.degree = sp.expand(2 * mu + 1)
        red.leading_coefficient = -BETA / 2
    elif red.degree is None:
        # a numeric non-integer mu (e.g. 1/2): Q has fractional powers of a1, no degree
        red.powers = _exponents(red.Q, a1)
        top = red.powers[-1]
        red.leading_coefficient = sp.factor(sum(
            (t / a1 ** top for t in sp.Add.make_args(sp.expand(sp.powsimp(red.Q, force=True)))
             if sp.nsimplify(t.as_powers_dict().get(a1, 0)) == top), sp.Integer(0)))
    return red


def _exponents(expr, var) -> tuple:
    """The exponents of ``var`` in the terms of ``expr`` (expanded), lowest first."""
    terms = sp.Add.make_args(sp.expand(sp.powsimp(expr, force=True)))
    return tuple(sorted({sp.nsimplify(t.as_powers_dict().get(var, 0)) for t in terms}, key=float))
