"""Exact facts about a derived scalar system: invariants, fixed points, critical set, Jacobian.

Each function returns sympy expressions; "holds" means the expression simplifies to exactly 0.
"""

from __future__ import annotations

from typing import Sequence

import sympy as sp

from ._derive import ALPHA, BETA, OdeSystem
from ..core._errors import InputError

__all__ = ["fixed_point_summary", "network_product", "is_zero", "flow_derivative", "error_factor", "critical_factor", "fixed_point_jacobian",
           "chain_invariants", "wide_invariants", "is_conserved"]


def is_zero(expr) -> bool:
    """Whether an expression is exactly zero: expand and cancel first, a full simplify only as a fallback.

    The test behind every "holds" of the symbolic layer: an identity is checked by
    ``is_zero(lhs - rhs)``, never by sampling.

    Parameters
    ----------
    expr : sympy expression, sympy.Matrix, int or float
        The expression (a matrix: every entry).

    Returns
    -------
    bool
        True when it simplifies to 0. False means sympy found no simplification to 0, which for
        expressions beyond rational functions (where simplification is undecidable in general)
        is not a proof of non-zero.

    Examples
    --------
    >>> import sympy as sp
    >>> from linrbp.symbolic import is_zero
    >>> x, y = sp.symbols("x y")
    >>> is_zero((x + y) ** 2 - x ** 2 - 2 * x * y - y ** 2), is_zero(x / (x * y) - 1 / y), is_zero(x - y)
    (True, True, False)
    """
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
    r"""The derivative of an expression along the derived flow, :math:`\frac{d}{dt} g = \sum_s \partial_s g\, \dot s`.

    Parameters
    ----------
    system : OdeSystem
        A derived system (:func:`derive_ode`, :func:`scalar_chain_ode`, ...).
    expr : sympy expression
        A function of the system's states (and parameters).

    Returns
    -------
    sympy expression
        :math:`\dot g`, unsimplified.

    Examples
    --------
    Along :math:`A[1,1,1]` under SRBP, :math:`\dot P = e\,(a_1^2 + c_1 a_2)` (docs/theory.md
    section 2):

    >>> import sympy as sp
    >>> from linrbp.symbolic import flow_derivative, scalar_chain_ode
    >>> ode = scalar_chain_ode(2, "srbp")
    >>> a1, a2 = ode.states
    >>> sp.factor(flow_derivative(ode, a1 * a2))
    -(a1**2 + a2*c1)*(a1*a2*beta - alpha)
    """
    return system.along_flow(expr)


def is_conserved(system: OdeSystem, expr) -> bool:
    """Whether an expression is a first integral of the derived flow: its derivative along the field is exactly 0.

    Parameters
    ----------
    system : OdeSystem
        A derived system.
    expr : sympy expression
        A function of the system's states (and parameters).

    Returns
    -------
    bool
        :func:`is_zero` of :func:`flow_derivative`.

    Examples
    --------
    :math:`K = a_2 - a_1^2/(2 c_1)` is conserved along :math:`A[1,1,1]` under SRBP
    (docs/theory.md section 2); :math:`a_1` is not:

    >>> from linrbp.symbolic import is_conserved, scalar_chain_ode
    >>> ode = scalar_chain_ode(2, "srbp")
    >>> a1, a2 = ode.states
    >>> c1 = ode.parameters[2]
    >>> is_conserved(ode, a2 - a1 ** 2 / (2 * c1)), is_conserved(ode, a1)
    (True, False)
    """
    return is_zero(flow_derivative(system, expr))


def error_factor(system: OdeSystem) -> sp.Expr:
    r"""The scalar error :math:`e = \alpha - \beta P` of a scalar system (docs/theory.md section 0).

    Parameters
    ----------
    system : OdeSystem
        A system with scalar input and output and the moments :math:`\alpha, \beta`
        (:func:`scalar_chain_ode`, :func:`wide_ode`).

    Returns
    -------
    sympy expression
        :math:`\alpha - \beta P(a)`.

    Examples
    --------
    >>> from linrbp.symbolic import error_factor, wide_ode
    >>> error_factor(wide_ode(2))
    alpha - beta*(a1*b1 + a2*b2)
    """
    return ALPHA - BETA * system.product[0, 0].subs(_data_to_one(system))


def _data_to_one(system):
    # the product was built on a symbolic example; its data symbols are I (scalar systems)
    return {s: 1 for s in system.product.free_symbols if s.name in ("I",)}


def network_product(system: OdeSystem) -> sp.Expr:
    """The network product :math:`P` as a polynomial in the weights (the example's input set to 1).

    Parameters
    ----------
    system : OdeSystem
        A scalar system (:func:`scalar_chain_ode`, :func:`wide_ode`, :func:`nonlinear_ode`).

    Returns
    -------
    sympy expression
        :math:`P`, expanded.

    Examples
    --------
    >>> from linrbp.symbolic import network_product, scalar_chain_ode, wide_ode
    >>> network_product(scalar_chain_ode(3)), network_product(wide_ode(2))
    (a1*a2*a3, a1*b1 + a2*b2)
    """
    return sp.expand(system.product[0, 0].subs(_data_to_one(system)))


def critical_factor(system: OdeSystem) -> sp.Expr:
    r"""The factor :math:`\dot P / e`: besides :math:`e = 0`, :math:`P` is critical on its zero set.

    Parameters
    ----------
    system : OdeSystem
        A scalar system whose :math:`\dot P` has the factor :math:`e` (:func:`scalar_chain_ode`,
        :func:`wide_ode` under RBP/SRBP/BP).

    Returns
    -------
    sympy expression
        :math:`\dot P / e`, expanded; for the chain, the polynomial whose sign separates stable
        from unstable fixed points (docs/theory.md sections 2 and 3).

    Examples
    --------
    >>> from linrbp.symbolic import critical_factor, scalar_chain_ode
    >>> critical_factor(scalar_chain_ode(2, "srbp"))
    a1**2 + a2*c1
    """
    P = network_product(system)
    Pdot = flow_derivative(system, P)
    q = sp.cancel(Pdot / error_factor(system))
    return sp.expand(q)


def fixed_point_jacobian(system: OdeSystem, weights: Sequence[sp.Symbol] | None = None):
    r"""The Jacobian on the fixed-point set :math:`P = \alpha/\beta`, and its factors.

    When the field is :math:`e\, m` (:math:`e = \alpha - \beta P`, :math:`m` a vector of
    polynomials), the Jacobian at a point of :math:`P = \alpha/\beta` is
    :math:`J = -\beta\, m\, \nabla P^T`: rank 1, eigenvalues 0 (multiplicity :math:`n - 1`) and
    :math:`-\beta\, \nabla P \cdot m = -\beta \times` :func:`critical_factor`.

    Parameters
    ----------
    system : OdeSystem
        A scalar system (:func:`scalar_chain_ode`, :func:`wide_ode`).
    weights : sequence of sympy.Symbol, optional
        The system's states (the default); any other sequence is refused (the Jacobian is
        always taken in the system's own states).

    Returns
    -------
    J : sympy.Matrix
        The Jacobian with :math:`\alpha` replaced by :math:`\beta P` (on the fixed-point set).
    m : sympy.Matrix
        The multiplier :math:`m = \mathrm{field}/e`.
    grad : sympy.Matrix
        :math:`\nabla P`.

    Examples
    --------
    >>> import sympy as sp
    >>> from linrbp.symbolic import fixed_point_jacobian, scalar_chain_ode
    >>> J, m, grad = fixed_point_jacobian(scalar_chain_ode(2, "srbp"))
    >>> beta = sp.Symbol("beta", real=True)
    >>> m.T, grad.T, sp.expand(J + beta * m * grad.T) == sp.zeros(2, 2)
    (Matrix([[c1, a1]]), Matrix([[a2, a1]]), True)
    """
    if weights is not None and list(weights) != list(system.states):
        raise InputError("weights: fixed_point_jacobian differentiates in the system's own states "
                         f"{list(system.states)}; leave weights out (got {list(weights)})")
    e = error_factor(system)
    m = sp.Matrix([sp.cancel(f / e) for f in system.field])
    P = network_product(system)
    J = system.jacobian().subs(ALPHA, BETA * P)
    grad = sp.Matrix([sp.diff(P, s) for s in system.states])
    return sp.expand(J), m, grad


def chain_invariants(system: OdeSystem, feedback: Sequence[sp.Expr]) -> list[sp.Expr]:
    r"""The conserved :math:`K_h = a_{h+1} - c_{h+1} a_h^2/(2 c_h)` of the derived chain, as sympy expressions (docs/theory.md section 3).

    Parameters
    ----------
    system : OdeSystem
        The chain :math:`A[1, \dots, 1]` (:func:`scalar_chain_ode`).
    feedback : sequence of sympy expressions
        :math:`c_1, \dots, c_L` in SRBP form with :math:`c_L = 1` (:func:`chain_feedback`).

    Returns
    -------
    list of sympy expressions
        :math:`K_1, \dots, K_{L-1}`; :func:`is_conserved` confirms each.

    Examples
    --------
    Under RBP the SRBP-form feedback is :math:`c_h = r_h \cdots r_{L-1}`:

    >>> from linrbp.symbolic import chain_feedback, chain_invariants, is_conserved, scalar_chain_ode
    >>> ode = scalar_chain_ode(3, "rbp")
    >>> K = chain_invariants(ode, chain_feedback(3, "rbp"))
    >>> K, [is_conserved(ode, k) for k in K]
    ([-a1**2/(2*r1) + a2, -a2**2/(2*r2) + a3], [True, True])
    """
    a = system.states
    return [a[h + 1] - feedback[h + 1] * a[h] ** 2 / (2 * feedback[h]) for h in range(len(a) - 1)]


def wide_invariants(system: OdeSystem, width: int) -> list[sp.Expr]:
    r"""The conserved quantities of the derived :math:`A[1,N,1]` (docs/theory.md section 4).

    :math:`K_i = b_i - a_i^2/(2 c_i)` and the couplings :math:`K'_i = a_i - (c_i/c_1)\, a_1`.

    Parameters
    ----------
    system : OdeSystem
        :math:`A[1,N,1]` under SRBP or RBP (:func:`wide_ode`).
    width : int
        :math:`N`.

    Returns
    -------
    list of sympy expressions
        :math:`K_1, \dots, K_N`, then :math:`K'_2, \dots, K'_N`.

    Examples
    --------
    >>> from linrbp.symbolic import is_conserved, wide_invariants, wide_ode
    >>> ode = wide_ode(2)
    >>> K = wide_invariants(ode, 2)
    >>> K, all(is_conserved(ode, k) for k in K)
    ([-a1**2/(2*c1) + b1, -a2**2/(2*c2) + b2, -a1*c2/c1 + a2], True)
    """
    a = system.states[:width]
    b = system.states[width:2 * width]
    c = [s for s in system.parameters if s.name.startswith("c")]
    return ([b[i] - a[i] ** 2 / (2 * c[i]) for i in range(width)]
            + [a[i] - c[i] / c[0] * a[0] for i in range(1, width)])


def fixed_point_summary(system: OdeSystem):
    r"""The fixed points, critical set and Jacobian spectrum of a field of the form :math:`e\, m`.

    When every component of the field is :math:`e = \alpha - \beta P` times a polynomial
    :math:`m_i`: the fixed points with :math:`m \ne 0` are :math:`P = \alpha/\beta`,
    :math:`\dot P = e\,(\nabla P \cdot m)`, so the extra critical set is
    :math:`\nabla P \cdot m = 0`, and the Jacobian there, :math:`-\beta\, m \nabla P^T`, has
    eigenvalues 0 (:math:`n - 1` times) and :math:`-\beta\, \nabla P \cdot m`.

    Parameters
    ----------
    system : OdeSystem
        A scalar system (:func:`scalar_chain_ode`, :func:`wide_ode`, :func:`nonlinear_ode`).

    Returns
    -------
    dict or None
        ``fixed`` (the equation :math:`P = \alpha/\beta`), ``critical``
        (:math:`\nabla P \cdot m`, factored), ``eigenvalues`` (sympy expressions) and
        ``multiplier`` (:math:`m`); None when the field is not of that form (e.g. the
        non-linear chain without :math:`f'`).

    Examples
    --------
    >>> from linrbp.symbolic import fixed_point_summary, nonlinear_ode, scalar_chain_ode
    >>> s = fixed_point_summary(scalar_chain_ode(2, "srbp"))
    >>> s["fixed"], s["critical"], s["eigenvalues"]
    (Eq(a1*a2, alpha/beta), a1**2 + a2*c1, [0, -beta*(a1**2 + a2*c1)])
    >>> print(fixed_point_summary(nonlinear_ode(derivative=False)))
    None
    """
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
