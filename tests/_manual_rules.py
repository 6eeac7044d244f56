"""The five rules of [BSL] written out by hand from the theory page's table (section 0), one
example at a time, sharing no code with linrbp: the independent route the averaged field, the
trainer and the symbolic derivation are compared against.

delta_L = T - O; for h < L: BP delta_h = A_{h+1}^T delta_{h+1}, RBP/ARBP delta_h = C_h delta_{h+1},
SRBP/ASRBP delta_h = C_h delta_L; dA_h = delta_h O_{h-1}^T; ARBP dC_h = O_h delta_{h+1}^T,
ASRBP dC_h = O_h delta_L^T.
"""

from __future__ import annotations

import numpy as np

BSL = ("bp", "rbp", "srbp", "arbp", "asrbp")


def example_updates(rule, x, y, weights, feedback):
    """(dA, dC) of one example (x, y column vectors) under ``rule`` with eta = 1."""
    if rule not in BSL:
        raise ValueError(f"no hand-written form of rule {rule!r}")
    L = len(weights)
    O = [x]
    for W in weights:
        O.append(W @ O[-1])
    delta = [None] * (L + 1)  # delta[h], h = 1..L
    delta[L] = y - O[L]
    for h in range(L - 1, 0, -1):
        if rule == "bp":
            delta[h] = weights[h].T @ delta[h + 1]       # weights[h] is A_{h+1}
        elif rule in ("rbp", "arbp"):
            delta[h] = feedback[h - 1] @ delta[h + 1]    # feedback[h-1] is C_h
        else:
            delta[h] = feedback[h - 1] @ delta[L]
    dA = [delta[h] @ O[h - 1].T for h in range(1, L + 1)]
    if rule == "arbp":
        dC = [O[h] @ delta[h + 1].T for h in range(1, L)]
    elif rule == "asrbp":
        dC = [O[h] @ delta[L].T for h in range(1, L)]
    else:
        dC = []
    return dA, dC


def mean_updates(rule, X, Y, weights, feedback):
    """Mean over the columns of X, Y of :func:`example_updates` (the averaged field on that data)."""
    m = X.shape[1]
    dA_sum, dC_sum = None, None
    for k in range(m):
        dA, dC = example_updates(rule, X[:, k:k + 1], Y[:, k:k + 1], weights, feedback)
        dA_sum = dA if dA_sum is None else [s + d for s, d in zip(dA_sum, dA)]
        dC_sum = dC if dC_sum is None else [s + d for s, d in zip(dC_sum, dC)]
    return [s / m for s in dA_sum], [s / m for s in dC_sum]
