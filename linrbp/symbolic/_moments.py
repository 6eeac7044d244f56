"""Taking expectations: replace data monomials of a per-example expression by moment symbols.

A per-example update is a sum of terms ``coefficient * (data monomial)``; its expectation is
the same sum with each data monomial replaced by its moment (E[T I] = alpha, E[I^2] = beta,
S_II / S_TI entries, ...). Which monomials have names is the caller's choice; a monomial
without one is an error, never silently dropped.
"""

from __future__ import annotations

from typing import Callable, Sequence

import sympy as sp

__all__ = ["expectation"]


def _data_exponents(term: sp.Expr, data: Sequence[sp.Symbol]):
    """Split ``term`` into (coefficient, {data symbol: exponent})."""
    coeff = sp.Integer(1)
    exps: dict[sp.Symbol, sp.Expr] = {}
    dset = set(data)
    for factor in sp.Mul.make_args(term):
        base, exp = factor.as_base_exp()
        if base in dset:
            exps[base] = sp.expand(exps.get(base, 0) + exp)
        elif factor.free_symbols & dset:
            raise ValueError(f"data enter non-polynomially through {factor}")
        else:
            coeff *= factor
    return coeff, exps


def expectation(expr: sp.Expr, data: Sequence[sp.Symbol],
                moment: Callable[[dict], sp.Expr | None]) -> sp.Expr:
    r"""The expectation of a per-example expression over the data symbols: each data monomial replaced by its moment.

    A per-example update is a sum of terms "coefficient times data monomial"; its expectation is
    the same sum with each monomial replaced by the moment the caller names (docs/theory.md
    section 0: :math:`\mathbb{E}[T I] = \alpha`, :math:`\mathbb{E}[I^2] = \beta`, ...). A monomial
    without a name is an error, never silently dropped. Powers of products,
    :math:`(a_1 I)^\mu`, are split assuming positive data and weights (the domain of the power
    non-linearity).

    Parameters
    ----------
    expr : sympy expression
        The per-example expression, polynomial in the data (or a sum of products of powers).
    data : sequence of sympy.Symbol
        The data symbols (:math:`I`, :math:`T`, ...).
    moment : callable
        ``moment(exponents)`` returns the moment symbol of the data monomial
        :math:`\prod_s s^{\mathrm{exponents}[s]}` (``exponents`` a dict that omits exponent 0), or
        None for a monomial without a name.

    Returns
    -------
    sympy expression
        :math:`\mathbb{E}[\mathrm{expr}]`, expanded.

    Raises
    ------
    ValueError
        For a data monomial that ``moment`` does not name, or data entering non-polynomially.

    Examples
    --------
    >>> import sympy as sp
    >>> from linrbp.symbolic import ALPHA, BETA, expectation
    >>> I, T, a = sp.symbols("I T a")
    >>> moment = lambda e: {(1, 1): ALPHA, (0, 2): BETA}.get((e.get(T, 0), e.get(I, 0)))
    >>> expectation((T - a * I) * I, [I, T], moment)
    -a*beta + alpha
    >>> expectation(T ** 2, [I, T], moment)
    Traceback (most recent call last):
    ...
    ValueError: no moment named for the data monomial T**2
    """
    expr = sp.sympify(expr)
    if expr.is_polynomial(*data):  # linear networks: read the data monomials off a Poly
        out = sp.Integer(0)
        for exps, coeff in sp.Poly(expr, *data).terms():
            out += coeff * _named_moment(moment, {s: e for s, e in zip(data, exps) if e})
        return sp.expand(out)
    expr = sp.expand(sp.expand_power_base(expr, force=True), power_base=False)
    expr = sp.powsimp(expr, combine="exp")
    out = sp.Integer(0)
    for term in sp.Add.make_args(expr):
        if term == 0:
            continue
        coeff, exps = _data_exponents(term, data)
        out += coeff * _named_moment(moment, {s: e for s, e in exps.items() if e != 0})
    return sp.expand(out)


def _named_moment(moment, exps):
    """The moment symbol for the data monomial with exponents ``exps``, or ValueError."""
    m = moment(exps)
    if m is None:
        mono = sp.Mul(*[s ** e for s, e in exps.items()])
        raise ValueError(f"no moment named for the data monomial {mono}")
    return m
