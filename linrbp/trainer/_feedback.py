"""Feedback providers: how the random matrices C_h of the learning channel are drawn.

Scale: every distribution has the variance of a Glorot normal of C_h's shape,
sigma^2 = 2 / (rows + cols) ("normalised"), so the variants differ in shape, not size.
Distributions (EXPERIMENTS.md variant 4): ``gaussian`` N(m sigma, sigma^2), ``uniform`` on
m sigma +- sqrt(3) sigma, ``binary`` m sigma +- sigma, ``binary01`` {0, 2 sigma} (mean sigma).
``sparsity`` f keeps k = max(1, round(f * cols)) entries per row (positions at random), the
kept ones scaled by sqrt(cols / k) so a row keeps its expected squared norm.
``resample`` (variant 5): ``none``; ``batch`` redraws C at every mini-batch; ``sign-concordant``
redraws |C| at every mini-batch with sign(C_h) = sign(M_h^T), M_h the forward matrix C_h stands
in for (A_{h+1} for chained rules, A_L ... A_{h+1} for skipped ones).
``per_synapse`` (variant 7, skipped rules): one feedback vector per synapse, C_h of shape
N_{h-1} x N_h x N_L, so every synapse of a neuron sees a different random signal.
"""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError
from ..core._rules import Rule, feedback_shapes

__all__ = ["FeedbackProvider", "DISTRIBUTIONS", "RESAMPLING", "draw_feedback", "forward_counterparts"]

DISTRIBUTIONS = ("gaussian", "uniform", "binary", "binary01")
RESAMPLING = ("none", "batch", "sign-concordant")


def draw_feedback(rng, shape, distribution="gaussian", mean=0.0, sparsity=None, dtype=np.float32):
    r"""One random feedback matrix (or tensor whose last two axes are rows x cols) of a given law.

    Every law has the variance of a Glorot normal of the matrix's shape,
    :math:`\sigma^2 = 2/(\mathrm{rows} + \mathrm{cols})`, so the variants differ in shape, not size
    (EXPERIMENTS.md variant 4): ``gaussian`` :math:`N(m\sigma, \sigma^2)`, ``uniform`` on
    :math:`m\sigma \pm \sqrt{3}\sigma`, ``binary`` :math:`m\sigma \pm \sigma`, ``binary01``
    :math:`\{0, 2\sigma\}`.

    Parameters
    ----------
    rng : numpy.random.Generator
        The source of the draw.
    shape : tuple of int
        The shape; the last two axes are rows x cols.
    distribution : {"gaussian", "uniform", "binary", "binary01"}, default "gaussian"
        The law (:data:`DISTRIBUTIONS`).
    mean : float, default 0.0
        m: the mean in units of :math:`\sigma` (not used by ``binary01``).
    sparsity : float, optional
        A fraction f in (0, 1]: each row keeps k = max(1, round(f cols)) entries at random
        positions, scaled by :math:`\sqrt{\mathrm{cols}/k}` so a row keeps its expected squared norm.
    dtype : numpy dtype, default numpy.float32
        The result's dtype.

    Returns
    -------
    numpy.ndarray
        The matrix.

    Raises
    ------
    ValueError
        An InputError: unknown distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from linrbp.trainer import draw_feedback
    >>> C = draw_feedback(np.random.default_rng(0), (100, 300))
    >>> C.dtype, round(float(C.std()), 3), round(float(np.sqrt(2 / 400)), 3)
    (dtype('float32'), 0.071, 0.071)
    >>> C = draw_feedback(np.random.default_rng(0), (4, 10), "binary", sparsity=0.3)
    >>> (C != 0).sum(axis=1), round(float(abs(C).max()), 4)  # 3 of 10 kept, scaled by sqrt(10/3)
    (array([3, 3, 3, 3]), 0.6901)
    """
    rows, cols = shape[-2], shape[-1]
    sigma = np.sqrt(2.0 / (rows + cols))
    if distribution == "gaussian":
        C = rng.standard_normal(shape) + mean
    elif distribution == "uniform":
        C = rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), shape) + mean
    elif distribution == "binary":
        C = rng.choice(np.array([-1.0, 1.0]), size=shape) + mean
    elif distribution == "binary01":
        C = 2.0 * rng.integers(0, 2, size=shape)
    else:
        raise InputError(f"feedback: unknown distribution {distribution!r} (expected {', '.join(DISTRIBUTIONS)})")
    C = C * sigma
    if sparsity is not None:
        k = max(1, int(round(sparsity * cols)))
        keys = rng.random(shape)
        # the k smallest keys of each row mark its non-zero entries
        kth = np.partition(keys, k - 1, axis=-1)[..., k - 1:k]
        C = np.where(keys <= kth, C * np.sqrt(cols / k), 0.0)
    return C.astype(dtype)


def forward_counterparts(rule: Rule, weights) -> list[np.ndarray]:
    r"""The forward matrices the feedback matrices stand in for: :math:`M_h^T` for each :math:`C_h`.

    :math:`M_h = A_{h+1}` for chained rules (``rule.source == "next"``) and
    :math:`M_h = A_L \cdots A_{h+1}` for skipped ones; the alignment measurements compare
    :math:`C_h` with :math:`M_h^T` (:func:`alignment`), sign-concordant feedback takes their signs.

    Parameters
    ----------
    rule : linrbp.Rule
        The rule (its ``source``).
    weights : sequence of numpy.ndarray
        :math:`A_1, \dots, A_L`, :math:`A_h` of shape :math:`N_h \times N_{h-1}`.

    Returns
    -------
    list of numpy.ndarray
        L - 1 matrices, the shapes of :math:`C_1, \dots, C_{L-1}`.

    Examples
    --------
    >>> import numpy as np
    >>> import linrbp
    >>> from linrbp.trainer import forward_counterparts
    >>> A = [np.ones((3, 2)), np.full((4, 3), 2.0), np.full((1, 4), 3.0)]
    >>> [M.shape for M in forward_counterparts(linrbp.RULES["rbp"], A)]
    [(3, 4), (4, 1)]
    >>> forward_counterparts(linrbp.RULES["srbp"], A)[0].ravel()  # (A_3 A_2)^T: 4 * 2 * 3
    array([24., 24., 24.])
    """
    L = len(weights)
    out = []
    for h in range(L - 1):  # 0-based: C index h feeds hidden layer h+1
        if rule.source == "next":
            M = weights[h + 1]
        else:
            M = weights[L - 1]
            for j in range(L - 2, h, -1):
                M = M @ weights[j]
        out.append(M.T)
    return out


class FeedbackProvider:
    r"""Draws the feedback matrices :math:`C_1, \dots, C_{L-1}` at the start and, for resampling variants, at every mini-batch.

    :meth:`initial` gives the first draw, :meth:`redraw` the next mini-batch's: ``batch``
    redraws C, ``sign-concordant`` redraws :math:`|C|` with the signs of :math:`M_h^T`
    (:func:`forward_counterparts`; EXPERIMENTS.md variant 5).

    Parameters
    ----------
    rule : linrbp.Rule
        The rule (its feedback shapes).
    layers : sequence of int
        :math:`N_0, \dots, N_L`.
    rng : numpy.random.Generator
        The source of every draw.
    distribution : {"gaussian", "uniform", "binary", "binary01"}, default "gaussian"
        The law (:func:`draw_feedback`).
    mean : float, default 0.0
        The mean in units of the entries' standard deviation.
    sparsity : float, optional
        Fraction of entries kept per row.
    resample : {"none", "batch", "sign-concordant"}, default "none"
        When the feedback is redrawn (:data:`RESAMPLING`).
    per_synapse : bool, default False
        One feedback vector per synapse (skipped rules, variant 7): :math:`C_h` of shape
        :math:`N_{h-1} \times N_h \times N_L`.
    dtype : numpy dtype, default numpy.float32
        The matrices' dtype.

    Raises
    ------
    ValueError
        An InputError: unknown distribution or resampling mode, sparsity outside (0, 1].

    Examples
    --------
    SRBP's :math:`C_h` is :math:`N_h \times N_L`:

    >>> import numpy as np
    >>> import linrbp
    >>> from linrbp.trainer import FeedbackProvider
    >>> p = FeedbackProvider(linrbp.RULES["srbp"], (5, 4, 3, 2), np.random.default_rng(0))
    >>> [C.shape for C in p.initial(None)]
    [(4, 2), (3, 2)]
    """

    def __init__(self, rule: Rule, layers, rng, *, distribution="gaussian", mean=0.0,
                 sparsity=None, resample="none", per_synapse=False, dtype=np.float32):
        if distribution not in DISTRIBUTIONS:
            raise InputError(f"feedback: unknown distribution {distribution!r} (expected {', '.join(DISTRIBUTIONS)})")
        if resample not in RESAMPLING:
            raise InputError(f"resample: unknown mode {resample!r} (expected {', '.join(RESAMPLING)})")
        if sparsity is not None and not 0 < sparsity <= 1:
            raise InputError(f"feedback-sparsity: expected a fraction in (0, 1], got {sparsity!r}")
        self.rule, self.layers, self.rng = rule, tuple(layers), rng
        self.distribution, self.mean, self.sparsity = distribution, float(mean), sparsity
        self.resample, self.per_synapse, self.dtype = resample, per_synapse, dtype
        shapes = feedback_shapes(self.layers, rule) if rule.uses_feedback else []
        if per_synapse:
            shapes = [(self.layers[h],) + s for h, s in enumerate(shapes)]
        self.shapes = shapes

    def _draw(self, shape):
        return draw_feedback(self.rng, shape, self.distribution, self.mean, self.sparsity, self.dtype)

    def initial(self, weights) -> list[np.ndarray]:
        r"""The feedback at the start: fresh draws, or sign-concordant with ``weights``.

        Parameters
        ----------
        weights : list of numpy.ndarray
            :math:`A_1, \dots, A_L` (used by ``sign-concordant`` only).

        Returns
        -------
        list of numpy.ndarray
            :math:`C_1, \dots, C_{L-1}`.
        """
        if self.resample == "sign-concordant":
            return self.redraw(weights)
        return [self._draw(s) for s in self.shapes]

    def redraw(self, weights) -> list[np.ndarray]:
        """Feedback for the next mini-batch."""
        if self.resample == "none":
            raise RuntimeError("redraw called without resampling")
        fresh = [self._draw(s) for s in self.shapes]
        if self.resample == "batch":
            return fresh
        signs = forward_counterparts(self.rule, weights)
        return [np.copysign(C, S).astype(self.dtype) for C, S in zip(fresh, signs)]
