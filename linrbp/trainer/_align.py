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
from ._feedback import forward_counterparts

__all__ = ["angle_degrees", "alignment", "norm_ratio"]


def angle_degrees(a, b) -> float | None:
    """The angle in degrees between a and b as flat vectors; None when either is zero or not finite."""
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
    """All angles for network ``net`` on probe inputs X and targets T (columns are examples)."""
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
