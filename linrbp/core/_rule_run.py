"""A rule run on matrices: its backward signals delta_h, its per-example updates, its
data-independent drifts and the averaged velocity of the linear network (docs/theory.md
section 0), all from the one :class:`~linrbp.Rule` statement (:mod:`linrbp.core._rules`), in
the matrix protocol (:mod:`linrbp.core._matrix`)."""

from __future__ import annotations

from typing import Callable, Sequence

from ._matrix import _hadamard, _transpose, _zero_like
from ._rules import Rule, _call, _with_state, get_rule
from ._state import DataTerms, state_velocity

__all__ = ["backward_signals", "updates", "drifts", "add_terms", "averaged_velocity", "state_updates"]


def backward_signals(
    rule: str | Rule,
    weights: Sequence,
    feedback: Sequence,
    delta_top,
    derivatives: Sequence | None = None,
    transform: Callable | None = None,
    state: Sequence | None = None,
) -> list:
    r"""The backward signals :math:`\delta_1, \dots, \delta_L` of one rule (docs/theory.md section 0).

    Starting from :math:`\delta_L`, each hidden layer receives :math:`\delta_h = B_h s_h` with the
    rule's backward matrix :math:`B_h` and source :math:`s_h` (:math:`\delta_{h+1}` or
    :math:`\delta_L`). Works on numpy arrays (with leading batch axes), sympy matrices and torch
    tensors alike.

    Parameters
    ----------
    rule : str or Rule
        A registered rule name or a :class:`Rule`.
    weights : sequence of numpy.ndarray or sympy.Matrix
        :math:`A_1, \dots, A_L`.
    feedback : sequence of numpy.ndarray or sympy.Matrix
        :math:`C_1, \dots, C_{L-1}` (empty for rules without feedback matrices).
    delta_top : numpy.ndarray or sympy.Matrix
        :math:`\delta_L`, one column per example (:math:`T - O`); any matrix linear in the
        error works, e.g. :math:`E(P)` for the averaged field.
    derivatives : sequence of numpy.ndarray or sympy.Matrix, optional
        ``derivatives[h]`` (0-based) multiplies the signal of layer :math:`h+1` elementwise by
        :math:`f'(S_{h+1})` (non-linear networks); omit it for linear networks and the "no
        :math:`f'`" variants. An entry may be None.
    transform : callable, optional
        ``transform(h, signal)`` (0-based ``h``) is applied to the signal arriving at each hidden
        layer, before the derivative and before it is used or sent further down (the trainer's
        hook for quantised error signals and learning-channel dropout).
    state : sequence of numpy.ndarray or sympy.Matrix, optional
        The rule's extra state, flat (:class:`StateVariable`); needed when the rule has one.

    Returns
    -------
    list
        :math:`[\delta_1, \dots, \delta_L]` (0-based list); the hidden entries are None for a
        rule with frozen hidden layers (``trains_hidden=False``).

    Raises
    ------
    InputError
        (a ValueError) for an unknown rule name, or a rule with state called without ``state``.

    Examples
    --------
    RBP on :math:`A[2,3,1]` sends :math:`\delta_2` down through :math:`C_1`; BP through
    :math:`A_2^T`:

    >>> import numpy as np, linrbp
    >>> A = [np.ones((3, 2)), np.array([[1.0, -1.0, 2.0]])]
    >>> C = [np.array([[1.0], [2.0], [3.0]])]
    >>> d1, d2 = linrbp.backward_signals("rbp", A, C, np.array([[0.5]]))
    >>> d1.ravel().tolist(), d2.tolist()
    ([0.5, 1.0, 1.5], [[0.5]])
    >>> linrbp.backward_signals("bp", A, [], np.array([[0.5]]))[0].ravel().tolist()
    [0.5, -0.5, 1.0]
    """
    r = get_rule(rule)
    L = len(weights)
    deltas = [None] * L
    deltas[L - 1] = delta_top
    if not r.trains_hidden:
        return deltas
    A, C, p = [None] + list(weights), [None] + list(feedback), _with_state(r, state, L)
    for h in range(L - 2, -1, -1):
        src = deltas[h + 1] if r.source == "next" else delta_top
        d = r.backward_matrix(h + 1, A, C, p) @ src
        if transform is not None:
            d = transform(h, d)
        if derivatives is not None and derivatives[h] is not None:
            d = _hadamard(d, derivatives[h])
        deltas[h] = d
    return deltas


def updates(rule: str | Rule, deltas: Sequence, activities: Sequence):
    r"""The data terms of one rule's update: :math:`\delta_h O_{h-1}^T` and, when :math:`C_h` learns
    from the error, :math:`O_h s_h^T`.

    Per example (one column) or summed over the columns of a batch; the data-independent terms
    are :func:`drifts`, and :func:`averaged_velocity` adds them.

    Parameters
    ----------
    rule : str or Rule
        A registered rule name or a :class:`Rule`.
    deltas : sequence of numpy.ndarray or sympy.Matrix
        :math:`\delta_1, \dots, \delta_L` (:func:`backward_signals`; None for frozen layers).
    activities : sequence of numpy.ndarray or sympy.Matrix
        :math:`O_0, \dots, O_L` (:math:`O_0` the input), one column per example.

    Returns
    -------
    dA : list
        :math:`\delta_h O_{h-1}^T` for :math:`h = 1, \dots, L` (zeros for frozen layers).
    dC : list
        For adaptive rules, :math:`O_h s_h^T` for :math:`h = 1, \dots, L-1`, with
        :math:`s_h = \delta_{h+1}` (source ``"next"``) or :math:`\delta_L` (``"top"``), or None
        where the rule's feedback does not learn from the error; ``[]`` for non-adaptive rules.

    Raises
    ------
    InputError
        (a ValueError) for an unknown rule name.

    Examples
    --------
    >>> import numpy as np, linrbp
    >>> deltas = [np.array([[1.0], [2.0]]), np.array([[0.5]])]
    >>> acts = [np.array([[1.0], [-1.0]]), np.array([[3.0], [4.0]]), np.array([[0.0]])]
    >>> dA, dC = linrbp.updates("arbp", deltas, acts)
    >>> dA[0].tolist(), dA[1].tolist(), dC[0].tolist()
    ([[1.0, -1.0], [2.0, -2.0]], [[1.5, 2.0]], [[1.5], [2.0]])
    """
    r = get_rule(rule)
    L = len(deltas)
    dA = [deltas[h] @ _transpose(activities[h]) if deltas[h] is not None
          else _zero_like(activities[h + 1] @ _transpose(activities[h])) for h in range(L)]
    dC = []
    if r.adaptive:
        for h in range(L - 1):
            src = deltas[h + 1] if r.source == "next" else deltas[L - 1]
            if r.learning == "error":
                dC.append(activities[h + 1] @ _transpose(src))
            else:
                dC.append(None)
    return dA, dC


def drifts(rule: str | Rule, weights: Sequence, feedback: Sequence, state: Sequence | None = None):
    r"""The data-independent terms of a rule: :math:`W_1, \dots, W_L` and :math:`D_1, \dots, D_{L-1}`.

    The drifts are the parts of the update that do not involve the data (weight decay
    :math:`-\lambda A_h`, the weight mirror's :math:`\kappa(A_{h+1}^T - C_h)`, ...);
    :func:`updates` gives the data terms.

    Parameters
    ----------
    rule : str or Rule
        A registered rule name or a :class:`Rule` (its parameter values are used).
    weights : sequence of numpy.ndarray or sympy.Matrix
        :math:`A_1, \dots, A_L`.
    feedback : sequence of numpy.ndarray or sympy.Matrix
        :math:`C_1, \dots, C_{L-1}` (empty for rules without feedback matrices).
    state : sequence of numpy.ndarray or sympy.Matrix, optional
        The rule's extra state, flat (:class:`StateVariable`); needed when the rule has one.

    Returns
    -------
    W : list
        :math:`W_h` per layer, None where the rule has no term (and for frozen hidden layers).
    D : list
        :math:`D_h` per feedback matrix for adaptive rules (None where none); ``[]`` for
        non-adaptive rules.

    Raises
    ------
    InputError
        (a ValueError) for an unknown rule name, a rule function that fails, or a rule with
        state called without ``state``.

    Examples
    --------
    Kolen-Pollack decays both :math:`A_h` and :math:`C_h` at the rate :math:`\lambda`:

    >>> import numpy as np, linrbp
    >>> kp = linrbp.get_rule("kolen-pollack").with_parameters(weight_decay=0.5)
    >>> W, D = linrbp.drifts(kp, [np.ones((2, 1)), np.ones((1, 2))], [np.full((2, 1), 4.0)])
    >>> [w.tolist() for w in W], [d.tolist() for d in D]
    ([[[-0.5], [-0.5]], [[-0.5, -0.5]]], [[[-2.0], [-2.0]]])
    """
    r = get_rule(rule)
    L = len(weights)
    A, C, p = [None] + list(weights), [None] + list(feedback), _with_state(r, state, L)
    W = [None] * L
    if r.weight_drift is not None:
        for h in range(1, L + 1):
            if h == L or r.trains_hidden:
                W[h - 1] = _call(r, "the weight drift W_h", r.weight_drift, h, A, C, p, True)
    D = []
    if r.adaptive:
        D = [_call(r, "the feedback drift D_h", r.feedback_drift, h, A, C, p, True)
             if r.feedback_drift is not None else None for h in range(1, L)]
    return W, D


def add_terms(data_terms: list, drift_terms: list, like: Sequence) -> list:
    """data + drift per matrix (None counts as 0; ``like[h]`` gives the shape of a missing one)."""
    out = []
    for h, (d, w) in enumerate(zip(data_terms, drift_terms)):
        if d is None and w is None:
            d = _zero_like(like[h])
        elif d is None:
            d = w
        elif w is not None:
            d = d + w
        out.append(d)
    return out


def averaged_velocity(rule: str | Rule, weights: Sequence, feedback: Sequence, error, products: Sequence,
                      state: Sequence | None = None):
    r"""The averaged velocity :math:`(dA/dt, dC/dt)` of a rule's linear dynamics (docs/theory.md section 0).

    The rule's backward pass run on the error moment :math:`E(P) = S_{TI} - P S_{II}` in place
    of :math:`\delta_L`, with the forward products :math:`F_h = A_h \cdots A_1` as activities,
    plus the rule's drifts: :math:`dA_h/dt = B_h E(P) F_{h-1}^T + W_h`. The same statement the
    per-example rule uses, so the averaged ODE and the trainer cannot disagree.

    Parameters
    ----------
    rule : str or Rule
        A registered rule name or a :class:`Rule`.
    weights : sequence of numpy.ndarray or sympy.Matrix
        :math:`A_1, \dots, A_L` (numpy arrays, with any leading batch axes, or sympy matrices).
    feedback : sequence of numpy.ndarray or sympy.Matrix
        :math:`C_1, \dots, C_{L-1}` (empty for rules without feedback matrices).
    error : numpy.ndarray or sympy.Matrix
        :math:`E(P) = S_{TI} - P S_{II}` (:math:`N_L \times N_0`).
    products : sequence of numpy.ndarray or sympy.Matrix
        :math:`F_0 = \mathrm{Id}, F_1, \dots, F_L` (:func:`forward_products`).
    state : sequence of numpy.ndarray or sympy.Matrix, optional
        The values of the rule's extra state, flat (:class:`StateVariable`); needed when it
        has one.

    Returns
    -------
    tuple
        ``(dA, dC)``: lists of :math:`dA_h/dt` (:math:`h = 1..L`) and, for adaptive rules,
        :math:`dC_h/dt` (``[]`` otherwise); a rule with extra state returns
        ``(dA, dC, dX)`` with the velocities of its state, flat.

    Raises
    ------
    InputError
        (a ValueError) for an unknown rule name, or a rule with state called without ``state``.

    Examples
    --------
    On :math:`A[1,1,1]` with :math:`\alpha = 1, \beta = 1` (:math:`E = 1 - a_2 a_1`), RBP
    gives :math:`\dot a_1 = c_1 E`, :math:`\dot a_2 = E a_1` (docs/theory.md section 2):

    >>> import numpy as np, linrbp
    >>> A = [np.array([[0.5]]), np.array([[1.0]])]
    >>> E = np.eye(1) - A[1] @ A[0] @ np.eye(1)
    >>> dA, dC = linrbp.averaged_velocity("rbp", A, [np.array([[2.0]])], E, linrbp.forward_products(A, 1))
    >>> [d.item() for d in dA], dC
    ([1.0, 0.25], [])
    """
    r = get_rule(rule)
    deltas = backward_signals(r, weights, feedback, error, state=state)
    dA, dC = updates(r, deltas, products)
    W, D = drifts(r, weights, feedback, state)
    out = add_terms(dA, W, weights), add_terms(dC, D, feedback)
    if not r.state:
        return out
    return out + (state_updates(r, weights, feedback, state, deltas, products),)


def state_updates(rule: str | Rule, weights: Sequence, feedback: Sequence, state: Sequence, deltas: Sequence,
                  activities: Sequence, data_scale=1.0) -> list:
    """d(state): each extra state variable's learning term on the data terms of ``deltas`` and
    ``activities`` (times ``data_scale``, e.g. 1/B for a batch mean) plus its drift; flat."""
    r = get_rule(rule)
    L = len(weights)
    p = _with_state(r, state, L)
    return state_velocity(r, weights, feedback, state, p, DataTerms(r, deltas, activities), data_scale)
