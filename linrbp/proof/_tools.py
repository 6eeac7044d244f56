"""Tools the proofs share (proofs/<id>.py): matrix bookkeeping on derived systems, symbolic
per-example updates through the rule statement, and a reference integration for numeric steps."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..core._rule_run import backward_signals, updates

__all__ = ["flat", "flow", "error_and_product", "whitened", "integrate_linear", "per_example_updates",
           "product"]


def flat(*mats):
    """All entries of several matrices as one column, to state that they all vanish in one step.

    Parameters
    ----------
    *mats : sympy.Matrix
        The matrices.

    Returns
    -------
    sympy.Matrix
        A column of every entry, matrix by matrix, row-major.

    Examples
    --------
    >>> import sympy as sp
    >>> from linrbp.proof import flat
    >>> flat(sp.Matrix([[1, 2]]), sp.Matrix([3]))
    Matrix([
    [1],
    [2],
    [3]])
    """
    return sp.Matrix([x for M in mats for x in M])


def flow(s, M):
    """The time derivative of every entry of a matrix along a derived system's flow.

    Parameters
    ----------
    s : linrbp.symbolic.OdeSystem
        A derived system (:func:`linrbp.symbolic.derive_ode`).
    M : sympy.Matrix
        A matrix of expressions in the system's state symbols.

    Returns
    -------
    sympy.Matrix
        :math:`dM/dt` entrywise (chain rule through the field).

    Examples
    --------
    Under RBP on A[1,1,1] the conserved quantity :math:`a_2 - a_1^2/(2 c_1)` has zero flow:

    >>> from linrbp.proof import flow
    >>> from linrbp.symbolic import derive_ode
    >>> s = derive_ode([1, 1, 1], "rbp")
    >>> (a1,), (a2,), (c1,) = s.weights[0], s.weights[1], s.feedback[0]
    >>> flow(s, s.weights[1] - s.weights[0].applyfunc(lambda a: a ** 2 / (2 * c1))).applyfunc(lambda e: e.expand())
    Matrix([[0]])
    """
    return M.applyfunc(s.along_flow)


def error_and_product(s):
    r"""The error and the product of a derived system.

    Parameters
    ----------
    s : linrbp.symbolic.OdeSystem
        A derived system (:func:`linrbp.symbolic.derive_ode`).

    Returns
    -------
    E : sympy.Matrix
        :math:`E = \Sigma_{TI} - P \Sigma_{II}` in the system's symbolic moments.
    P : sympy.Matrix
        :math:`P = A_L \cdots A_1`.

    Examples
    --------
    >>> from linrbp.proof import error_and_product
    >>> from linrbp.symbolic import derive_ode
    >>> E, P = error_and_product(derive_ode([1, 1, 1], "rbp"))
    >>> E, P
    (Matrix([[-a1*a2*sII_11 + sTI_11]]), Matrix([[a1*a2]]))
    """
    A = s.weights
    P = A[-1]
    for W in A[-2::-1]:
        P = P * W
    return s.moments["S_TI"] - P * s.moments["S_II"], P


def whitened(s):
    r"""The substitution :math:`\Sigma_{II} = \Sigma_{TI} = I` for a derived system's symbolic moments.

    Parameters
    ----------
    s : linrbp.symbolic.OdeSystem
        A derived system (square :math:`\Sigma_{TI}`: as many outputs as inputs).

    Returns
    -------
    dict
        ``{moment symbol: 0 or 1}``, for ``expr.subs``.

    Examples
    --------
    >>> from linrbp.proof import error_and_product, whitened
    >>> from linrbp.symbolic import derive_ode
    >>> s = derive_ode([1, 1, 1], "rbp")
    >>> whitened(s)
    {sII_11: 1, sTI_11: 1}
    >>> error_and_product(s)[0].subs(whitened(s))
    Matrix([[-a1*a2 + 1]])
    """
    S_II, S_TI = s.moments["S_II"], s.moments["S_TI"]
    sub = {x: (1 if i == j else 0) for (i, j), x in np.ndenumerate(np.array(S_II.tolist(), dtype=object))}
    sub.update({x: (1 if i == j else 0) for (i, j), x in np.ndenumerate(np.array(S_TI.tolist(), dtype=object))})
    return sub


def integrate_linear(layers, rule, sii, sti, weights, feedback, t_max=300.0):
    r"""A reference integration for numeric proof steps: the linear system by scipy's LSODA.

    Independent of the toolkit's integration backends: :func:`scipy.integrate.solve_ivp` with
    rtol 1e-10 and atol 1e-12 on the field of :class:`linrbp.LinearSystem`.

    Parameters
    ----------
    layers : sequence of int
        :math:`N_0, \dots, N_L`.
    rule : str
        A registered rule.
    sii, sti : array_like
        :math:`\Sigma_{II}` (:math:`N_0 \times N_0`) and :math:`\Sigma_{TI}` (:math:`N_L \times N_0`).
    weights : sequence of numpy.ndarray
        :math:`A_1, \dots, A_L` at t = 0.
    feedback : sequence of numpy.ndarray
        :math:`C_1, \dots, C_{L-1}` (empty for BP).
    t_max : float, default 300.0
        Integration time (time of the averaged ODE).

    Returns
    -------
    system : linrbp.LinearSystem
        The system integrated.
    sol : scipy.integrate OdeResult
        solve_ivp's result (``sol.y[:, -1]`` is the state at ``t_max``).

    Examples
    --------
    A[1,1,1] under RBP from (1/2, 1/2) with alpha = beta = c1 = 1 reaches the limit that
    :func:`linrbp.chain111_limit` gives (and :func:`linrbp.certify.certify_chain` encloses):

    >>> import numpy as np
    >>> from linrbp.proof import integrate_linear
    >>> system, sol = integrate_linear([1, 1, 1], "rbp", [[1.0]], [[1.0]],
    ...                                [np.array([[0.5]]), np.array([[0.5]])], [np.array([[1.0]])])
    >>> sol.y[:, -1].round(6)
    array([1.063385, 0.940393])
    """
    from scipy.integrate import solve_ivp

    from ..core._field import LinearSystem
    from ..core._stats import DataStats

    sysm = LinearSystem.create(list(layers), rule, DataStats.from_matrices(sii, sti), feedback)
    y0 = sysm.pack(weights, feedback)
    sol = solve_ivp(lambda t, y: sysm(y), (0, t_max), y0, rtol=1e-10, atol=1e-12, method="LSODA")
    return sysm, sol


def per_example_updates(layers, rule, feedback=None, delta_sign=1, zero_error=False, deriv=True):
    r"""Symbolic per-example updates through the rule's statement.

    Weights :math:`A_h` are matrices of symbols ``a<h>_<i><j>``, the input ``i_<i>``, the output
    error ``d_<i>``, and the derivative factors :math:`f'` of hidden layer h are the symbols
    ``f<h>_<i>``; activities are linear (:math:`O_h = A_h O_{h-1}`).

    Parameters
    ----------
    layers : sequence of int
        :math:`N_0, \dots, N_L`.
    rule : str or linrbp.Rule
        The rule.
    feedback : list of sympy.Matrix, optional
        :math:`C_1, \dots, C_{L-1}` (rules with feedback).
    delta_sign : int, default 1
        Multiplies the output error (-1: the opposite sign convention).
    zero_error : bool, default False
        Output error 0.
    deriv : bool, default True
        Include the symbolic :math:`f'` factors (False: none).

    Returns
    -------
    updates : tuple
        The rule's ``(weight updates, feedback updates)`` (:math:`\delta_h O_{h-1}^T` per layer).
    A : list of sympy.Matrix
        The weight matrices of symbols.

    Examples
    --------
    BP sends the error back through :math:`a_2`, RBP through the feedback c:

    >>> import sympy as sp
    >>> from linrbp.proof import per_example_updates
    >>> (dA, dC), A = per_example_updates([1, 1, 1], "bp")
    >>> dA
    [Matrix([[a2_00*d_0*f1_0*i_0]]), Matrix([[a1_00*d_0*i_0]])]
    >>> (dA, dC), A = per_example_updates([1, 1, 1], "rbp", feedback=[sp.Matrix([[sp.Symbol("c")]])])
    >>> dA[0]
    Matrix([[c*d_0*f1_0*i_0]])
    """
    L = len(layers) - 1
    A = [sp.Matrix(layers[h], layers[h - 1], lambda i, j, h=h: sp.Symbol(f"a{h}_{i}{j}")) for h in range(1, L + 1)]
    O = [sp.Matrix(layers[0], 1, lambda i, j: sp.Symbol(f"i_{i}"))]
    for W in A:
        O.append(W * O[-1])
    d = sp.Matrix(layers[-1], 1, lambda i, j: sp.Symbol(f"d_{i}")) * delta_sign
    if zero_error:
        d = sp.zeros(layers[-1], 1)
    D = [sp.Matrix(layers[h], 1, lambda i, j, h=h: sp.Symbol(f"f{h}_{i}")) for h in range(1, L)] if deriv else None
    deltas = backward_signals(rule, A, feedback or [], d, D)
    return updates(rule, deltas, O), A


def product(xs):
    """The product of a sequence of sympy expressions (or numbers).

    Parameters
    ----------
    xs : iterable
        The factors.

    Returns
    -------
    sympy.Expr
        Their product (1 for none).

    Examples
    --------
    >>> import sympy as sp
    >>> from linrbp.proof import product
    >>> product([sp.Symbol("x"), 2, sp.Symbol("y")]), product([])
    (2*x*y, 1)
    """
    return sp.Mul(*xs)
