"""Exact facts about a derived scalar system: invariants, fixed points, critical set, Jacobian.

Each function returns sympy expressions; "holds" means the expression simplifies to exactly 0.
"""

from __future__ import annotations

from typing import Sequence

import sympy as sp

from ._derive import ALPHA, BETA, OdeSystem

__all__ = ["fixed_point_summary", "network_product", "is_zero", "flow_derivative", "error_factor", "critical_factor", "fixed_point_jacobian",
           "chain_invariants", "wide_invariants", "is_conserved"]


def is_zero(expr) -> bool:
    """Exact: expr simplifies to 0 (expand/cancel first, full simplify only as a fallback)."""
    expr = sp.sympify(expr)
    if isinstance(expr, sp.MatrixBase):
        return all(is_zero(x) for x in expr)
    e = sp.expand(expr)
    if e == 0:
        return True
    e = sp.cancel(sp.together(e))
    if e == 0:
        return True
    return sp.simplify(sp.powsimp(e, force=True)) == 0


def flow_derivative(system: OdeSystem, expr) -> sp.Expr:
    """d(expr)/dt along the derived flow."""
    return system.along_flow(expr)


def is_conserved(system: OdeSystem, expr) -> bool:
    """Whether ``expr`` is a first integral: its derivative along the field simplifies to 0 exactly."""
    return is_zero(flow_derivative(system, expr))


def error_factor(system: OdeSystem) -> sp.Expr:
    """e = alpha - beta P (scalar output)."""
    return ALPHA - BETA * system.product[0, 0].subs(_data_to_one(system))


def _data_to_one(system):
    # the product was built on a symbolic example; its data symbols are I (scalar systems)
    return {s: 1 for s in system.product.free_symbols if s.name in ("I",)}


def network_product(system: OdeSystem) -> sp.Expr:
    """P as a function of the weights (the example's input set to 1)."""
    return sp.expand(system.product[0, 0].subs(_data_to_one(system)))


def critical_factor(system: OdeSystem) -> sp.Expr:
    """P'/e: the extra critical set of P is its zero set (P' = e * this)."""
    P = network_product(system)
    Pdot = flow_derivative(system, P)
    q = sp.cancel(Pdot / error_factor(system))
    return sp.expand(q)


def fixed_point_jacobian(system: OdeSystem, weights: Sequence[sp.Symbol] | None = None):
    """(J, m, grad P) at a point of P = alpha/beta: field = e m, so J = -beta m grad(P)^T there.

    Returns J evaluated with alpha = beta P (the fixed-point set), the multiplier m = field/e and
    grad P; J has rank 1, eigenvalues 0 (multiplicity n-1) and -beta grad(P).m = -beta * critical.
    """
    e = error_factor(system)
    m = sp.Matrix([sp.cancel(f / e) for f in system.field])
    P = network_product(system)
    J = system.jacobian().subs(ALPHA, BETA * P)
    grad = sp.Matrix([sp.diff(P, s) for s in system.states])
    return sp.expand(J), m, grad


def chain_invariants(system: OdeSystem, feedback: Sequence[sp.Expr]) -> list[sp.Expr]:
    """K_h = a_{h+1} - c_{h+1} a_h^2 / (2 c_h), h = 1..L-1 (c_L = 1)."""
    a = system.states
    return [a[h + 1] - feedback[h + 1] * a[h] ** 2 / (2 * feedback[h]) for h in range(len(a) - 1)]


def wide_invariants(system: OdeSystem, width: int) -> list[sp.Expr]:
    """b_i - a_i^2/(2 c_i) and a_i - (c_i/c_1) a_1 (docs/theory.md section 4)."""
    a = system.states[:width]
    b = system.states[width:2 * width]
    c = [s for s in system.parameters if s.name.startswith("c")]
    return ([b[i] - a[i] ** 2 / (2 * c[i]) for i in range(width)]
            + [a[i] - c[i] / c[0] * a[0] for i in range(1, width)])


def fixed_point_summary(system: OdeSystem):
    """When every component of the field is e times a polynomial m (e = alpha - beta P):
    fixed points (with m != 0) are P = alpha/beta, P' = e * (grad P . m) so the extra critical set
    is grad P . m = 0, and the Jacobian there, -beta m grad(P)^T, has eigenvalues 0 (n-1 times)
    and -beta grad(P).m. Returns None when the field is not of that form (e.g. no f')."""
    e = error_factor(system)
    m = []
    for f in system.field:
        q = sp.cancel(sp.together(f / e))
        if sp.fraction(q)[1].has(ALPHA) or not is_zero(f - e * q):
            return None
        m.append(q)
    P = network_product(system)
    crit = sp.factor_terms(sp.expand(sum(sp.diff(P, s) * mi for s, mi in zip(system.states, m))))
    n = len(system.states)
    return {"fixed": sp.Eq(P, ALPHA / BETA), "critical": crit,
            "eigenvalues": [sp.Integer(0)] * (n - 1) + [-BETA * crit], "multiplier": m}
