"""A learning rule read in the teacher-student setting: the two-layer network A[N, K, 1].

The student is A_1 = W / sqrt(N) (K x N), A_2 = v^T (1 x K), feedback C_1 = b (K x 1) where the
rule has one. Every rule of linrbp.core._rules updates the first layer by
delta_1 O_0^T = (B_1 delta_2) * g'(lambda) x^T plus its weight drift W_1, the second by
delta_2 O_1^T plus W_2, and (adaptive rules) the feedback by O_1 delta_2^T (when it learns from
the error) plus D_1 (the theory page, section 0). The teacher-student ODEs close on
(Q, R, v, b) when

* B_1 is a function of A_2 and C_1 only (then f = B_1 delta_2 / delta_2 is a K-vector),
* W_1 = M A_1 with M a function of A_2 and C_1 (then Q and R get M Q + Q M^T and M R),
* W_2 and D_1 are functions of A_2 and C_1.

:func:`ts_rule` checks this by evaluating the rule's own statement on probe matrices and
returns a :class:`TSRule` that evaluates f, M, W_2, D_1 and the error-driven terms from the
rule at any (v, b); a rule that does not fit is an InputError saying which piece fails.
For the built-in rules: bp f = v; rbp = srbp (identical for two layers) f = b; arbp = asrbp
f = b with db/dt = dv/dt; kolen-pollack, weight-mirror, sign-symmetry (f = sign v), usf and
top-only (f = 0) all fit, weight decay included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core._errors import InputError
from ..core._rules import Rule, get_rule
from ..core._rule_run import backward_signals, drifts, updates

__all__ = ["TSRule", "ts_rule"]

_PROBE_TOL = 1e-10


@dataclass(frozen=True)
class TSRule:
    """A learning rule's pieces in the teacher-student setting A[N, K, 1] (made by :func:`ts_rule`).

    It evaluates, from the rule's own statement at any (v, b): the backward factor f
    (:meth:`backward_factor`), the drifts (:meth:`drift_pieces`) and the error-driven updates of
    the second layer and the feedback (:meth:`error_terms`).

    Parameters
    ----------
    rule : linrbp.Rule
        The registered rule (with its parameter values).
    K : int
        Number of hidden units (students).

    Examples
    --------
    >>> from linrbp.teacher_student import ts_rule
    >>> r = ts_rule("arbp", 2)
    >>> r.name, r.K, r.has_feedback, r.evolves_feedback
    ('arbp', 2, True, True)
    """

    rule: Rule
    K: int

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def has_feedback(self) -> bool:
        return self.rule.uses_feedback

    @property
    def evolves_feedback(self) -> bool:
        return self.rule.adaptive

    def _lists(self, A1, v, b):
        weights = [A1, np.asarray(v, float)[None, :]]
        feedback = [np.asarray(b, float)[:, None]] if self.has_feedback else []
        return weights, feedback

    def backward_factor(self, v, b=None, A1=None) -> np.ndarray:
        """f (K,): B_1 delta_2 for delta_2 = 1, from the rule's backward pass (0: frozen layer)."""
        A1 = np.eye(self.K) if A1 is None else A1
        weights, feedback = self._lists(A1, v, b)
        d = backward_signals(self.rule, weights, feedback, np.ones((1, 1)))[0]
        return np.zeros(self.K) if d is None else np.asarray(d, float)[:, 0]

    def drift_pieces(self, v, b=None, A1=None):
        """(M (K, K) or None, W_2 (K,) or None, D_1 (K,) or None): the rule's drifts with W_1 = M A_1."""
        A1 = np.eye(self.K) if A1 is None else A1
        weights, feedback = self._lists(A1, v, b)
        W, D = drifts(self.rule, weights, feedback)
        Mw = None if W[0] is None else np.asarray(W[0], float)
        w2 = None if W[1] is None else np.asarray(W[1], float)[0]
        d1 = None if not D or D[0] is None else np.asarray(D[0], float)[:, 0]
        return Mw, w2, d1

    def error_terms(self, I2s: np.ndarray, a: np.ndarray):
        """(E[delta_2 O_1] (K,), E[O_1 delta_2] for the feedback (K,) or None): the rule's
        updates of the second layer and feedback averaged, from E[g(lambda_i) Delta] =
        sum_c a_c I2(i, c) (the rule's update run with I2's rows as the 'examples' columns)."""
        P = len(a)
        deltas = [np.zeros((self.K, P)), np.asarray(a, float)[None, :]]
        acts = [np.zeros((1, P)), np.asarray(I2s, float), np.zeros((1, P))]
        dA, dC = updates(self.rule, deltas, acts)
        top = np.asarray(dA[1], float)[0]
        fb = None if not dC or dC[0] is None else np.asarray(dC[0], float)[:, 0]
        return top, fb


def _close(x, y) -> bool:
    if x is None or y is None:
        return x is None and y is None
    x, y = np.asarray(x, float), np.asarray(y, float)
    return x.shape == y.shape and bool(np.all(np.abs(x - y) <= _PROBE_TOL * (1 + np.abs(y))))


def ts_rule(rule: str | Rule, K: int) -> TSRule:
    """The rule in the teacher-student setting with K hidden units (docs/theory.md section 11).

    The rule's statement is run on random probes: the backward matrix :math:`B_1` and the drifts
    :math:`W_2`, :math:`D_1` must not depend on :math:`A_1`, and :math:`W_1` must be
    :math:`M A_1` (M from :math:`A_1 = I`), else the ODEs would not close on the order parameters.

    Parameters
    ----------
    rule : str or linrbp.Rule
        A registered rule's name, or a rule (with its parameters).
    K : int
        Number of hidden units.

    Returns
    -------
    TSRule

    Raises
    ------
    ValueError
        An InputError: unknown rule, or a rule that does not fit (the message says which piece).

    Examples
    --------
    BP's backward factor is v, RBP's the feedback b:

    >>> import numpy as np
    >>> from linrbp.teacher_student import ts_rule
    >>> ts_rule("bp", 2).backward_factor(np.array([0.5, -1.0]))
    array([ 0.5, -1. ])
    >>> ts_rule("rbp", 2).backward_factor(np.array([0.5, -1.0]), np.array([2.0, 3.0]))
    array([2., 3.])
    """
    r = get_rule(rule)
    K = int(K)
    ts = TSRule(r, K)
    rng = np.random.default_rng(12345)
    for _ in range(2):
        v, b = rng.normal(size=K), rng.normal(size=K)
        A_a, A_b = rng.normal(size=(K, K + 3)), rng.normal(size=(K, K + 1))
        try:
            f0 = ts.backward_factor(v, b)
            fa, fb = ts.backward_factor(v, b, A_a), ts.backward_factor(v, b, A_b)
            M0, w0, d0 = ts.drift_pieces(v, b)
            Ma, wa, da = ts.drift_pieces(v, b, A_a)
            Mb, wb, db = ts.drift_pieces(v, b, A_b)
        except InputError:
            raise
        except Exception as exc:  # a user's rule failing on these shapes
            raise InputError(f"rule {r.name}: fails on the two-layer network A[N, {K}, 1] of the "
                             f"teacher-student setting: {type(exc).__name__}: {exc}") from None
        why = f"rule {r.name} does not fit the teacher-student setting (the theory page, section 11): "
        if not (_close(fa, f0) and _close(fb, f0)):
            raise InputError(why + "its backward matrix B_1 depends on the first layer A_1, so the "
                             "first layer's update is not closed on the order parameters")
        if not (_close(wa, w0) and _close(wb, w0)):
            raise InputError(why + "its second-layer drift W_2 depends on the first layer A_1")
        if not (_close(da, d0) and _close(db, d0)):
            raise InputError(why + "its feedback drift D_1 depends on the first layer A_1")
        if M0 is not None and not (_close(Ma, M0 @ A_a) and _close(Mb, M0 @ A_b)):
            raise InputError(why + "its first-layer drift W_1 is not M A_1 with M independent of A_1, "
                             "so it is not closed on Q and R")
    return ts
