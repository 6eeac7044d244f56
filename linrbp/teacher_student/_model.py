"""The teacher-student order-parameter ODEs of a two-layer network (the theory page, section 11).

State: Q (K x K), R (K x M), v (K) and, for rules whose feedback learns, b (K). With the signed
output weights a = (-v, A), Delta = sum_c a_c g(u_c) + sigma xi and f the rule's backward factor
(f = v for bp, f = b for rbp/srbp/arbp, ...):

    dR_in/dt = eta f_i sum_c a_c I3(i, K+n, c)
    dQ_ik/dt = eta [f_i sum_c a_c I3(i, k, c) + f_k sum_c a_c I3(k, i, c)]
               + eta^2 f_i f_k [sum_{c,d} a_c a_d I4(i, k, c, d) + sigma^2 J2(i, k)]
    dv_i/dt  = eta sum_c a_c I2(i, c)                 (the rule's delta_2 O_1^T, averaged)
    db_i/dt  = eta sum_c a_c I2(i, c)                 (rules whose feedback learns from the error)

plus the rule's drifts: eta (M Q + Q M^T), eta M R, eta W_2, eta D_1. Time t = steps / N.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._integrals import moments
from ._rule import TSRule

__all__ = ["TSModel", "generalisation_error"]


def generalisation_error(Q, R, T, v, A, activation: str = "erf") -> float:
    """eps_g = 1/2 E (phi(x) - phi*(x))^2 = 1/2 a^T I2 a, a = (-v, A), exact at any N.

    Parameters
    ----------
    Q, R, T : array_like
        Overlaps K x K, K x M, M x M.
    v, A : array_like
        Output weights of the student (K) and the teacher (M).
    activation : str, optional
        ``"erf"`` (g(z) = erf(z / sqrt 2), default) or ``"linear"``.

    Returns
    -------
    float

    Examples
    --------
    >>> generalisation_error([[1.0]], [[1.0]], [[1.0]], [1.0], [1.0], "linear")
    0.0
    >>> round(generalisation_error([[1.0]], [[0.0]], [[1.0]], [0.0], [1.0], "linear"), 12)
    0.5
    """
    Q, R, T = (np.atleast_2d(np.asarray(x, float)) for x in (Q, R, T))
    v, A = np.asarray(v, float).ravel(), np.asarray(A, float).ravel()
    C = np.block([[Q, R], [R.T, T]])
    a = np.concatenate([-v, A])
    if activation == "linear":
        I2 = C
    else:
        d = 1 + np.diag(C)
        I2 = (2 / np.pi) * np.arcsin(np.clip(C / np.sqrt(np.outer(d, d)), -1, 1))
    return float(0.5 * a @ I2 @ a)


@dataclass
class TSModel:
    r"""The order-parameter ODE of one teacher-student setting (docs/theory.md section 11).

    The state packs Q (K x K), R (K x M), v (K) and, when the rule's feedback learns, b (K)
    (:meth:`pack`, :meth:`unpack`); :meth:`field` is dy/dt, :meth:`rates` the pieces at one state
    and :meth:`eps_g` the generalisation error. Time t = steps / N.

    Parameters
    ----------
    activation : {"erf", "linear"}
        :math:`g(z) = \mathrm{erf}(z/\sqrt{2})` or :math:`g(z) = z`.
    rule : TSRule
        The learning rule in this setting (:func:`ts_rule`).
    eta : float
        Learning rate (the SGD step is eta / N per example for the second layer).
    sigma : float
        Standard deviation of the label noise.
    T : array_like, shape (M, M)
        Teacher-teacher overlaps.
    A : array_like, shape (M,)
        The teacher's second-layer weights.
    feedback : array_like, shape (K,), optional
        The fixed feedback vector b of a rule whose feedback does not learn.
    second_order : bool, default True
        False drops the :math:`\eta^2` terms (the first-order flow of the linear bridge).
    i3_order : {"theory", "swapped"}, default "theory"
        "swapped" exchanges I3's second and third indices: a deliberately wrong reading, for the
        ``ts-i3-index`` check only.

    Examples
    --------
    BP with K = M = 1, linear activation and a student equal to the teacher: the error is zero and
    so is the flow:

    >>> from linrbp.teacher_student import TSModel, ts_rule
    >>> m = TSModel("linear", ts_rule("bp", 1), eta=0.5, sigma=0.0, T=[[1.0]], A=[1.0])
    >>> y = m.pack([[1.0]], [[1.0]], [1.0])
    >>> m.eps_g(y), m.field(0.0, y)
    (0.0, array([0., 0., 0.]))
    """

    activation: str
    rule: TSRule
    eta: float
    sigma: float
    T: np.ndarray
    A: np.ndarray
    feedback: np.ndarray | None = None
    second_order: bool = True
    i3_order: str = "theory"
    K: int = field(init=False)
    M: int = field(init=False)

    def __post_init__(self):
        self.T = np.asarray(self.T, float)
        self.A = np.asarray(self.A, float).ravel()
        self.K = self.rule.K
        self.M = len(self.A)
        if self.feedback is not None:
            self.feedback = np.asarray(self.feedback, float).ravel()

    # -- state ---------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        K, M = self.K, self.M
        return K * K + K * M + K + (K if self.rule.evolves_feedback else 0)

    def pack(self, Q, R, v, b=None) -> np.ndarray:
        """The flat state from the order parameters: Q, R, v, then b when the rule's feedback learns.

        Parameters
        ----------
        Q : array_like
            K x K.
        R : array_like
            K x M.
        v : array_like
            K entries.
        b : array_like, optional
            K entries (used only when the feedback evolves).

        Returns
        -------
        numpy.ndarray
            Of length ``size``.
        """
        parts = [np.asarray(Q, float).ravel(), np.asarray(R, float).ravel(), np.asarray(v, float).ravel()]
        if self.rule.evolves_feedback:
            parts.append(np.asarray(b, float).ravel())
        return np.concatenate(parts)

    def unpack(self, y):
        """The order parameters of a flat state (the inverse of :meth:`pack`).

        Parameters
        ----------
        y : array_like
            The flat state.

        Returns
        -------
        tuple
            (Q, R, v, b); b is None unless the feedback evolves.
        """
        K, M = self.K, self.M
        y = np.asarray(y, float)
        Q = y[:K * K].reshape(K, K)
        R = y[K * K:K * K + K * M].reshape(K, M)
        v = y[K * K + K * M:K * K + K * M + K]
        b = y[K * K + K * M + K:] if self.rule.evolves_feedback else None
        return Q, R, v, b

    def eps_g(self, y, b=None) -> float:
        """The generalisation error at a flat state (:func:`generalisation_error`).

        Parameters
        ----------
        y : array_like
            The flat state.
        b : array_like, optional
            Not used (the error does not depend on the feedback).

        Returns
        -------
        float
        """
        Q, R, v, _ = self.unpack(y)
        return generalisation_error(Q, R, self.T, v, self.A, self.activation)

    # -- the vector field ------------------------------------------------------------------------
    def rates(self, Q, R, v, b=None):
        """(dQ, dR, dv, db) at one state; db is None unless the feedback evolves."""
        K, eta = self.K, self.eta
        Q = 0.5 * (Q + Q.T)
        C = np.empty((K + self.M, K + self.M))
        C[:K, :K], C[:K, K:], C[K:, :K], C[K:, K:] = Q, R, R.T, self.T
        I2, J2, I3, I4 = moments(C, K, self.activation)
        a = np.concatenate([-v, self.A])
        if b is None:
            b = self.feedback
        f = self.rule.backward_factor(v, b)
        if self.i3_order == "swapped":
            G = np.einsum("ipc,p->ic", I3, a)
        else:
            G = I3 @ a                                   # G[i, p] = sum_c a_c I3(i, p, c)
        dR = eta * f[:, None] * G[:, K:]
        first = eta * f[:, None] * G[:, :K]
        dQ = first + first.T
        if self.second_order:
            D2 = (I4 @ a) @ a + self.sigma ** 2 * J2
            dQ = dQ + eta ** 2 * np.outer(f, f) * D2
        top, fb = self.rule.error_terms(I2[:K], a)
        dv = eta * top
        db = None
        if self.rule.evolves_feedback:
            db = eta * fb if fb is not None else np.zeros(K)
        Mw, w2, d1 = self.rule.drift_pieces(v, b)
        if Mw is not None:
            dQ = dQ + eta * (Mw @ Q + Q @ Mw.T)
            dR = dR + eta * Mw @ R
        if w2 is not None:
            dv = dv + eta * w2
        if d1 is not None and db is not None:
            db = db + eta * d1
        return dQ, dR, dv, db

    def field(self, t, y):
        """dy/dt at the packed state y (the feedback fixed at ``feedback`` unless it evolves)."""
        Q, R, v, b = self.unpack(y)
        if b is None:
            b = self.feedback
        dQ, dR, dv, db = self.rates(Q, R, v, b)
        return self.pack(dQ, dR, dv, db)
