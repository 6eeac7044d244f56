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
    """E[expr] over the data symbols ``data``.

    ``moment(exponents)`` names the moment of the data monomial prod_s s**exponents[s]
    (``exponents`` omits symbols with exponent 0); it returns None for an unnamed monomial,
    which raises ValueError. Powers of products, (a1 I)**mu, are split assuming positive
    data and weights (the domain of the power non-linearity).
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
