"""Distinct limits of many runs: products P = A_L ... A_1 grouped within a stated tolerance.

``sweep`` reports the limits its starts reached and ``basins`` colours each grid start by
the limit it reaches; both use :func:`cluster_limits`, so a colour in a basin map and a line
of a sweep's summary name the same group.

Two products P, Q are the same limit when

    max |P - Q|  <=  tol * (1 + max(max |P|, max |Q|))        (entrywise, mixed abs/rel)

and groups are formed greedily in the order given: a product joins the first group whose
representative (its first member) is within the tolerance, else it starts a new group. The
order of the input is the only thing the grouping depends on (records are passed by start
index, so it does not depend on what ran them). A missing or non-finite product (a run that
diverged or failed) gets label -1 and joins no group.
"""

from __future__ import annotations

import math

import numpy as np

from ..core._errors import InputError

__all__ = ["CLUSTER_TOL", "cluster_limits", "product_distance"]

CLUSTER_TOL = 1e-6  # converged runs stop at |f| <= 1e-12 (1 + |y|): their limits agree far closer


def product_distance(P, Q) -> float:
    """max |P - Q| / (1 + max(max |P|, max |Q|)): the distance :func:`cluster_limits` compares."""
    P, Q = np.asarray(P, dtype=float), np.asarray(Q, dtype=float)
    if P.shape != Q.shape:
        raise InputError(f"product: shapes {P.shape} and {Q.shape} differ")
    scale = 1.0 + max(float(np.abs(P).max(initial=0.0)), float(np.abs(Q).max(initial=0.0)))
    return float(np.abs(P - Q).max(initial=0.0)) / scale


def cluster_limits(products, tol: float = CLUSTER_TOL) -> tuple[list[int], list[dict]]:
    """Group ``products`` (a sequence of matrices, or None) into distinct limits.

    Parameters
    ----------
    products : sequence of array_like or None
        One product A_L ... A_1 per run, in a fixed order (e.g. by start index); None or a
        matrix with a non-finite entry marks a run without a limit.
    tol : float, default CLUSTER_TOL (1e-6)
        Mixed absolute/relative tolerance (see the module docstring); dimensionless.

    Returns
    -------
    labels : list of int
        The group of each run (0, 1, ... in order of first appearance), -1 for no limit.
    clusters : list of dict
        Per group: ``label``, ``count``, ``first`` (index of its first run, the
        representative), ``product`` (the representative's product, a nested list) and
        ``spread`` (the largest distance of a member to the representative; <= ``tol``).

    Raises
    ------
    InputError
        A tolerance that is not a finite positive number, or products of different shapes.

    Examples
    --------
    >>> labels, groups = cluster_limits([[[1.0]], [[1.0 + 1e-9]], [[2.0]], None])
    >>> labels
    [0, 0, 1, -1]
    >>> [g["count"] for g in groups]
    [2, 1]
    """
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not (math.isfinite(tol) and tol > 0):
        raise InputError(f"tol: expected a finite positive number, got {tol!r}")
    labels: list[int] = []
    reps: list[np.ndarray] = []
    clusters: list[dict] = []
    for i, P in enumerate(products):
        if P is None:
            labels.append(-1)
            continue
        P = np.asarray(P, dtype=float)
        if not np.all(np.isfinite(P)):
            labels.append(-1)
            continue
        for k, R in enumerate(reps):
            d = product_distance(P, R)
            if d <= tol:
                labels.append(k)
                clusters[k]["count"] += 1
                clusters[k]["spread"] = max(clusters[k]["spread"], d)
                break
        else:
            labels.append(len(reps))
            reps.append(P)
            clusters.append({"label": len(reps) - 1, "count": 1, "first": i,
                             "product": P.tolist(), "spread": 0.0})
    return labels, clusters
