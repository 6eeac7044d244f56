"""Closed-form limits for instances of the systems THEORY.md solves.

Each predictor takes an :class:`~linrbp.instances._instance.Instance` and returns ``None`` when the
instance is not of its system, else a dict with at least ``system`` (a claim ID),
``weights`` (predicted A_1..A_L at t -> inf, or null where only the product is known) and
``product``; it may add ``feedback`` and notes. :func:`predict` returns the first answer.
The toolkit's own predictors are defined here, in the order ``predict`` tries them; a user's
own predictor is added with :func:`register_predictor`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..closed_forms._autoencoder import (autoencoder_invariant, autoencoder_limit, autoencoder_product,
                                         full_column_rank, single_hidden_target)
from ..closed_forms._closed_forms import chain_limit, wide_limit

__all__ = ["predict", "register_predictor", "PREDICTORS", "predict_chain", "predict_wide", "predict_whitened",
           "predict_product", "predict_general"]


def predict_chain(instance):
    """Closed-form limit of a chain instance (all layers 1, rule srbp or rbp)."""
    s = instance.system
    if any(n != 1 for n in s.layers) or s.rule.name not in ("srbp", "rbp") or s.depth < 2:
        return None
    alpha, beta = float(s.stats.sigma_ti[0, 0]), float(s.stats.sigma_ii[0, 0])
    fb = [float(C[0, 0]) for C in instance.feedback]
    a = chain_limit(alpha, beta, fb, [float(W[0, 0]) for W in instance.weights], s.rule.name)
    if not np.all(np.isfinite(a)):
        return None
    return {"system": "chain" if s.depth > 2 else "chain111",
            "weights": [[[float(v)]] for v in a], "product": [[float(np.prod(a))]]}


def predict_wide(instance):
    """Closed-form limit of an A[1,N,1] instance with rule srbp or rbp (N > 1; N = 1 is a chain)."""
    s = instance.system
    if len(s.layers) != 3 or s.layers[0] != 1 or s.layers[2] != 1 or s.layers[1] < 2:
        return None
    if s.rule.name not in ("srbp", "rbp"):
        return None
    alpha, beta = float(s.stats.sigma_ti[0, 0]), float(s.stats.sigma_ii[0, 0])
    c = instance.feedback[0][:, 0]
    a = instance.weights[0][:, 0]
    b = instance.weights[1][0, :]
    pa, pb = wide_limit(alpha, beta, c, a, b)
    if not (np.all(np.isfinite(pa)) and np.all(np.isfinite(pb))):
        return None
    return {"system": "wide1N1", "weights": [[[float(v)] for v in pa], [[float(v) for v in pb]]],
            "product": [[float(pa @ pb)]]}


def predict_whitened(instance):
    """Full limit weights of A[N,1,N] under RBP/SRBP with S_II = S_TI = Id exactly."""
    s = instance.system
    if len(s.layers) != 3 or s.layers[1] != 1 or s.layers[0] != s.layers[2]:
        return None
    if s.rule.name not in ("rbp", "srbp"):
        return None
    eye = np.eye(s.layers[0])
    if not (np.array_equal(s.stats.sigma_ii, eye) and np.array_equal(s.stats.sigma_ti, eye)):
        return None
    C = instance.feedback[0]
    if not np.any(C):
        return None
    A_inf, B_inf, lam = autoencoder_limit(C, *instance.weights)
    return {"system": "autoencoder", "weights": [A_inf, B_inf], "product": B_inf @ A_inf, "lambda": lam,
            "invariant_K": autoencoder_invariant(C, *instance.weights),
            "note": "Theorem 6: A -> lambda C, B -> C^T/(lambda |C|^2), lambda > 0 root of "
                    "(|C|^2/2) l^3 + K l - 1 = 0"}


def predict_product(instance):
    """A2 A1 -> S_TI S_II^{-1} for A[N0,N1,N2] under RBP/SRBP when C1 has full column rank."""
    s = instance.system
    if len(s.layers) != 3 or s.rule.name not in ("rbp", "srbp"):
        return None
    C1 = instance.feedback[0]
    if not full_column_rank(C1):
        return None
    if np.linalg.eigvalsh(s.stats.sigma_ii)[0] <= 1e-10 * np.abs(s.stats.sigma_ii).max():
        return None
    target = single_hidden_target(C1, s.stats.sigma_ii, s.stats.sigma_ti)
    return {"system": "single-hidden", "weights": None, "product": target["product"],
            "c1_product": target["c1_product"],
            "note": "Theorem 8: C1 of full column rank, so A2 A1 -> S_TI S_II^{-1}; the "
                    "individual limits of A1, A2 have no closed form"}


def predict_general(instance):
    """B A of A[N,p,N] under RBP/SRBP when S_II = S_TI is positive definite and C has rank p."""
    s = instance.system
    if len(s.layers) != 3 or s.layers[0] != s.layers[2] or s.rule.name not in ("rbp", "srbp"):
        return None
    S = s.stats.sigma_ii
    if not np.array_equal(S, s.stats.sigma_ti):
        return None
    if np.linalg.eigvalsh(S)[0] <= 1e-10 * np.abs(S).max():
        return None
    C = instance.feedback[0]
    if not full_column_rank(C.T):
        return None
    return {"system": "autoencoder-general", "weights": None, "product": autoencoder_product(S, C),
            "note": "fixed point of A[N,p,N] with S_II = S_TI = S: B A = S C^T (C S C^T)^{-1} C"}


PREDICTORS: list[Callable] = [predict_chain, predict_wide, predict_whitened, predict_product, predict_general]


def register_predictor(fn: Callable) -> Callable:
    """Add ``fn(instance) -> dict | None`` to the predictors that :func:`predict` asks in turn (usable as a decorator)."""
    if fn not in PREDICTORS:
        PREDICTORS.append(fn)
    return fn


def predict(instance) -> dict | None:
    """The closed-form limit of ``instance`` if the toolkit knows one, else None."""
    for fn in PREDICTORS:
        out = fn(instance)
        if out is not None:
            return out
    return None
