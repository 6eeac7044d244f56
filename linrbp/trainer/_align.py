"""Alignment measurements of EXPERIMENTS.md, per layer (1-based names, the theory page's notation).

- ``update_vs_bp``: angle between the variant's update of A_h and BP's update of the same
  weights on the same probe batch (hidden layers h = 1..L-1).
- ``feedback_vs_forward``: angle between C_h and M_h^T, the transposed forward weights it
  stands in for (A_{h+1}^T for chained rules, (A_L ... A_{h+1})^T for skipped rules).
- ``feedback_norm_ratio``: ||C_h|| / ||M_h^T|| (Frobenius), next to the angle.
- family rules (linrbp.trainer._family) may name their own pairs (``feedback_pairs``) and add
  their own measurements (``family_metrics``, e.g. Kickback's coherence).
- ``srbp_target`` (skipped rules): Refinetti et al. (2021)'s alignment target, the angle between
  A_h and C_h C_{h-1}^T for hidden layers h = 2..L-1.
Angles in degrees; None where a quantity does not exist (no feedback, untrained layer).
"""

from __future__ import annotations

import numpy as np

from ..core._rule_run import updates
from ..core._arrays import to_host
from ..core._resources import one_blas_thread
from ._feedback import forward_counterparts

__all__ = ["angle_degrees", "alignment", "norm_ratio"]


def angle_degrees(a, b) -> float | None:
    r"""The angle in degrees between two arrays read as flat vectors.

    Parameters
    ----------
    a, b : array_like
        Same number of entries (numpy arrays or torch tensors); flattened.

    Returns
    -------
    float or None
        :math:`\arccos(a \cdot b / (\|a\| \|b\|))` in degrees, in [0, 180]; None when either
        vector is zero or not finite.

    Examples
    --------
    >>> from linrbp.trainer import angle_degrees
    >>> round(angle_degrees([1.0, 0.0], [1.0, 1.0]), 9), angle_degrees([1.0, 0.0], [-2.0, 0.0])
    (45.0, 180.0)
    >>> angle_degrees([0.0, 0.0], [1.0, 1.0]) is None
    True
    """
    a = np.asarray(to_host(a), dtype=np.float64).ravel()
    b = np.asarray(to_host(b), dtype=np.float64).ravel()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0 or not np.isfinite(na * nb):
        return None
    return float(np.degrees(np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0))))


def norm_ratio(a, b) -> float | None:
    """||a|| / ||b|| (Frobenius); None where b vanishes or either is not finite."""
    na = float(np.linalg.norm(np.asarray(to_host(a), dtype=np.float64)))
    nb = float(np.linalg.norm(np.asarray(to_host(b), dtype=np.float64)))
    if nb == 0 or not np.isfinite(na) or not np.isfinite(nb):
        return None
    return na / nb


def alignment(net, X: np.ndarray, T: np.ndarray) -> dict:
    r"""The alignment measurements of a network on a probe batch, per layer (1-based names).

    - ``update_vs_bp``: the angle between the rule's update of :math:`A_h` and BP's update of
      the same weights on the same batch (hidden layers h = 1..L-1);
    - ``feedback_vs_forward``: the angle between :math:`C_h` and :math:`M_h^T`, the transposed
      forward weights it stands in for (:math:`A_{h+1}^T` for chained rules,
      :math:`(A_L \cdots A_{h+1})^T` for skipped ones; :func:`forward_counterparts`), and
      ``feedback_norm_ratio`` :math:`\|C_h\|_F / \|M_h^T\|_F`;
    - ``srbp_target`` (skipped rules): the angle between :math:`A_h` and
      :math:`C_h C_{h-1}^T` (Refinetti et al. 2021), hidden layers h = 2..L-1;
    - rules of the wider family may add their own (``family_metrics``).

    Parameters
    ----------
    net : Network
        The network (not changed; learning-channel dropout is not applied to the probe).
    X : numpy.ndarray, shape (N_0, B)
        Probe inputs, columns are examples.
    T : numpy.ndarray, shape (N_L, B)
        Probe targets.

    Returns
    -------
    dict
        ``{measurement: {layer name: value}}``; angles in degrees, None where a quantity does
        not exist (no feedback, untrained layer).

    Examples
    --------
    BP's own update is at angle 0 from BP's; top-only trains no hidden layer:

    >>> import numpy as np
    >>> from linrbp.trainer import Network, TrainConfig, alignment, one_hot, teacher_task
    >>> ds = teacher_task(seed=0, n_train=100, n_test=10)
    >>> X, T = ds.x_train.T, one_hot(ds.y_train, ds.n_classes, np.float32).T
    >>> net = Network(TrainConfig(rule="bp", dataset="teacher", hidden=(8, 8)), ds.n_in, ds.n_classes)
    >>> {k: round(v, 3) for k, v in alignment(net, X, T)["update_vs_bp"].items()}
    {'A_1': 0.0, 'A_2': 0.0}
    >>> net = Network(TrainConfig(rule="top-only", dataset="teacher", hidden=(8,)), ds.n_in, ds.n_classes)
    >>> alignment(net, X, T)
    {'update_vs_bp': {'A_1': None}}
    """
    # On one BLAS thread: a threaded BLAS splits the probe batch's long sums by its thread
    # count (float32 angles moved in the 8th digit between 1 and 2 threads), and the records
    # must be the same bits on every executor (local processes, Dask workers, this process).
    with one_blas_thread():
        return _alignment(net, X, T)


def _alignment(net, X, T) -> dict:
    L = net.L
    O = net.forward(X)
    deltas = net.backward(O, T, dropout=False)
    dA, _, _ = net.batch_updates(O, deltas, net.learning_rate())
    bp, _ = updates("bp", net.backward(O, T, rule="bp"), O)
    out = {"update_vs_bp": {f"A_{h + 1}": (angle_degrees(dA[h], bp[h]) if dA[h] is not None else None)
                            for h in range(L - 1)}}
    pairs = {}
    if hasattr(net, "feedback_pairs"):  # family rules name their own (C_h, M_h^T) pairs
        pairs = net.feedback_pairs()
    elif net.rule.uses_feedback and not net.config.per_synapse and net.config.rule != "top-only":
        M = forward_counterparts(net.rule, net.weights)
        pairs = {f"C_{h + 1}": (net.feedback[h], M[h]) for h in range(L - 1)}
    if pairs:
        out["feedback_vs_forward"] = {k: angle_degrees(C, M) for k, (C, M) in pairs.items()}
        out["feedback_norm_ratio"] = {k: norm_ratio(C, M) for k, (C, M) in pairs.items()}
    if hasattr(net, "family_metrics"):
        out.update(net.family_metrics(X, T))
    if net.rule.uses_feedback and not net.config.per_synapse and net.config.rule != "top-only":
        if net.rule.source == "top":
            out["srbp_target"] = {
                f"A_{h + 1}": angle_degrees(net.weights[h], net.feedback[h] @ net.feedback[h - 1].T)
                for h in range(1, L - 1)}
    return out
