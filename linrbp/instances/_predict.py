"""Closed-form limits for instances of the systems docs/theory.md solves.

Each predictor takes an :class:`~linrbp.instances._instance.Instance` and returns ``None`` when the
instance is not of its system, else a dict with at least ``system`` (a claim ID),
``weights`` (predicted A_1..A_L at t -> inf, or null where only the product is known) and
``product``; it may add ``feedback`` and notes. :func:`predict` returns the first answer.
The toolkit's own predictors are defined here, in the order ``predict`` tries them; a user's
own predictor is added with :func:`register_predictor`. A predictor whose closed form holds
at every time, not only in the limit, takes a keyword ``t_end`` (the time the integration
ended): Kolen-Pollack's ``feedback_offset``.
"""

from __future__ import annotations

import inspect
from typing import Callable

import numpy as np

from ..closed_forms._autoencoder import (autoencoder_invariant, autoencoder_limit, autoencoder_product,
                                         full_column_rank, single_hidden_target)
from ..closed_forms._closed_forms import chain_limit, wide_limit
from ..closed_forms._modes import ALIGN_TOL, aligned_modes, modes_limit
from ..closed_forms._bp_limit import bp_limit
from ..closed_forms._rbp_limit import limit_case, speed_bound

__all__ = ["predict", "register_predictor", "PREDICTORS", "predict_chain", "predict_wide", "predict_whitened",
           "predict_product", "predict_general", "predict_kolen_pollack", "predict_modes",
           "predict_bottleneck", "predict_limit", "predict_bp"]


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


def predict_kolen_pollack(instance, t_end=None):
    """Kolen-Pollack (docs/theory.md section 10): ``feedback_offset`` = e^{-lambda t_end}
    (C_h(0) - A_{h+1}(0)^T) per layer, exact at every time for any data (t_end None: the
    limit, 0 for lambda > 0). The weights' limit is not known: ``weights``, ``product`` null."""
    r = instance.system.rule
    if r.name != "kolen-pollack":
        return None
    lam = float(r.parameter_values["weight_decay"])
    D0 = [np.asarray(C) - np.asarray(instance.weights[h + 1]).T for h, C in enumerate(instance.feedback)]
    factor = (0.0 if lam > 0 else 1.0) if t_end is None else float(np.exp(-lam * t_end))
    return {"system": "kolen-pollack", "weights": None, "product": None,
            "feedback_offset": [factor * D for D in D0], "t": t_end, "weight_decay": lam,
            "note": "C_h - A_(h+1)^T = e^(-lambda t) (C_h(0) - A_(h+1)(0)^T), exactly, for any data"}




def predict_modes(instance):
    """`rbp-modes`: every weight matrix of an aligned RBP/SRBP A[N,N,N] (N >= 2), chain111 per
    mode (alignment detected to ALIGN_TOL, see linrbp.closed_forms._modes)."""
    s = instance.system
    if len(s.layers) != 3 or s.rule.name not in ("rbp", "srbp") or s.layers[0] < 2:
        return None
    if not (s.layers[0] == s.layers[1] == s.layers[2]):
        return None
    modes = aligned_modes(s.stats.sigma_ii, s.stats.sigma_ti, instance.feedback[0], *instance.weights)
    if modes is None:
        return None
    A1, A2, a_inf, b_inf = modes_limit(modes)
    if not (np.all(np.isfinite(A1)) and np.all(np.isfinite(A2))):
        return None
    return {"system": "rbp-modes", "weights": [A1, A2], "product": A2 @ A1, "case": "aligned-modes",
            "fixed_point": True,
            "reason": f"aligned within {ALIGN_TOL:g}: each mode is chain111 (alpha = s_i, beta = 1, "
                      "c1 = c_i); weights from chain111_limit per mode",
            "modes": {"s": modes["s"], "c": modes["c"], "a0": modes["a"], "b0": modes["b"],
                      "a_inf": a_inf, "b_inf": b_inf}}


def predict_bottleneck(instance):
    """`srbp-bottleneck`: no fixed point for SRBP when rank(C_1 G) exceeds the narrowest hidden width."""
    s = instance.system
    if s.rule.name != "srbp" or len(s.layers) < 4:
        return None
    c = limit_case(s.layers, "srbp", s.stats.sigma_ii, s.stats.sigma_ti, instance.feedback)
    if c["case"] != "no-fixed-point":
        return None
    return {"system": "srbp-bottleneck", "weights": None, "product": None, "case": c["case"],
            "fixed_point": False, "reason": c["reason"],
            "speed_bound": speed_bound(s.stats.sigma_ti, instance.feedback[0], c["narrowest_hidden"])}


def predict_limit(instance):
    """`rbp-limit` for any RBP/SRBP instance the narrower predictors above leave."""
    s = instance.system
    if s.rule.name not in ("rbp", "srbp") or len(s.layers) < 3:
        return None
    c = limit_case(s.layers, s.rule.name, s.stats.sigma_ii, s.stats.sigma_ti, instance.feedback)
    if c["case"] == "no-fixed-point":
        return None  # predict_bottleneck answers these
    return {"system": "rbp-limit", "weights": None, "product": c["product"], "case": c["case"],
            "fixed_point": c["fixed_point"], "reason": c["reason"],
            "rank_G": c["rank_G"], "rank_B1G": c["rank_B1G"], "narrowest_hidden": c["narrowest_hidden"]}


def predict_bp(instance):
    """BP (no weight decay) with a hidden layer: the best rank-r approximation of P* in the S_II
    metric (r the narrowest hidden width; P* itself when r is wide enough)."""
    s = instance.system
    if s.rule.name != "bp" or len(s.layers) < 3 or s.rule.parameter_values.get("weight_decay", 0) != 0:
        return None
    c = bp_limit(s.layers, s.stats.sigma_ii, s.stats.sigma_ti)
    return {"system": "bp-limit", "weights": None, "product": c["product"], "case": c["case"],
            "fixed_point": c["fixed_point"], "reason": c["reason"], "narrowest_hidden": c["narrowest_hidden"]}


def _with_bp_gap(instance, out: dict) -> dict:
    """RBP/SRBP predictions with a limit product get BP's limit on the same data and layers and
    the loss gap between them (RBP's excess loss minus BP's, >= 0)."""
    s = instance.system
    if (out.get("product") is None or s.rule.name not in ("rbp", "srbp") or len(s.layers) < 3
            or s.rule.parameter_values.get("weight_decay", 0) != 0):
        return out
    c = bp_limit(s.layers, s.stats.sigma_ii, s.stats.sigma_ti)
    if c["product"] is None:
        return out
    with np.errstate(all="ignore"):
        gap = float(s.stats.excess_loss(np.asarray(out["product"], float)) - s.stats.excess_loss(c["product"]))
    return {**out, "bp_limit": {"product": c["product"], "case": c["case"], "reason": c["reason"]},
            "loss_gap_to_bp": gap}


PREDICTORS: list[Callable] = [predict_modes, predict_chain, predict_wide, predict_whitened, predict_product,
                              predict_general, predict_kolen_pollack, predict_bottleneck, predict_limit,
                              predict_bp]


def register_predictor(fn: Callable, *, first: bool = False) -> Callable:
    r"""Add a closed-form predictor to those :func:`predict` asks in turn (usable as a decorator).

    Parameters
    ----------
    fn : callable
        ``fn(instance)`` returns None when the instance is not of its system, else a dict with at
        least ``system``, ``weights`` (:math:`A_1, \dots, A_L` at :math:`t \to \infty`, or None)
        and ``product``. A predictor whose closed form holds at every time takes a keyword
        ``t_end`` too (the time the integration ended). Registering it again changes nothing.
    first : bool, optional
        Ask it before the toolkit's own predictors (default False: after them).

    Returns
    -------
    callable
        ``fn`` itself.

    Examples
    --------
    A predictor for the top-only rule on :math:`A[1,1]` (one layer: it converges to
    :math:`\alpha/\beta`), asked for instances that carry its note:

    >>> import linrbp
    >>> @linrbp.register_predictor
    ... def one_layer(instance):
    ...     s = instance.system
    ...     if instance.extra.get("note") != "one layer" or s.layers != (1, 1):
    ...         return None
    ...     p = float(s.stats.sigma_ti[0, 0] / s.stats.sigma_ii[0, 0])
    ...     return {"system": "one-layer", "weights": [[[p]]], "product": [[p]]}
    >>> inst = linrbp.parse_instance({"layers": [1, 1], "rule": "top-only", "sigma_ii": [[2.0]],
    ...     "sigma_ti": [[1.0]], "weights": [[[0.0]]], "note": "one layer"})
    >>> linrbp.predict(inst)["product"]
    [[0.5]]
    """
    if fn not in PREDICTORS:
        if first:
            PREDICTORS.insert(0, fn)
        else:
            PREDICTORS.append(fn)
    return fn


# the closed forms of RBP/SRBP above are for the rules of [BSL]: no weight decay
_PLAIN_ONLY = (predict_modes, predict_chain, predict_wide, predict_whitened, predict_product,
               predict_general, predict_bottleneck, predict_limit)


def predict(instance, t_end: float | None = None) -> dict | None:
    r"""The closed-form limit of an instance, if the toolkit knows one.

    Asks the predictors in turn (the toolkit's own for chains, :math:`A[1,N,1]`, the whitened
    autoencoder, the single hidden layer, Kolen-Pollack's offset, ..., then those added with
    :func:`register_predictor`) and returns the first answer. The built-in RBP/SRBP closed
    forms are those of [BSL] and answer only when every rule parameter is 0 (no weight decay).
    A closed form that overflows float64 on the instance gives no answer (the next predictor is
    asked). ``linrbp simulate`` compares its integration with this.

    Parameters
    ----------
    instance : Instance
        The instance (:func:`parse_instance`).
    t_end : float, optional
        The time the integration ended (time units of the ODE), passed to predictors whose
        closed form holds at every time (they take a keyword ``t_end``); default None.

    Returns
    -------
    dict or None
        None when no predictor knows the instance's limit; else at least ``system`` (the claim
        ID whose closed form answered), ``weights`` (:math:`A_1, \dots, A_L` at
        :math:`t \to \infty`, or None where only the product is known) and ``product``; RBP/SRBP
        answers add the ``case`` of docs/theory.md section 10, ``fixed_point`` and ``reason``,
        and a comparison with BP's limit where one is known.

    Examples
    --------
    :math:`A[1,1,1]` under RBP (docs/theory.md section 2); with weight decay no closed form is
    known:

    >>> import linrbp
    >>> data = {"layers": [1, 1, 1], "rule": "rbp", "sigma_ii": [[2.0]], "sigma_ti": [[1.5]],
    ...         "feedback": [[[0.7]]], "weights": [[[0.3]], [[-0.5]]]}
    >>> p = linrbp.predict(linrbp.parse_instance(data))
    >>> p["system"], [round(w[0][0], 6) for w in p["weights"]], p["product"], p["case"]
    ('chain111', [1.271213, 0.589988], [[0.75]], 'full-rank')
    >>> print(linrbp.predict(linrbp.parse_instance({**data, "weight_decay": 0.1})))
    None
    """
    plain = all(v == 0 for v in instance.system.rule.parameter_values.values())
    for fn in PREDICTORS:
        if fn in _PLAIN_ONLY and not plain:
            continue
        takes_t = "t_end" in inspect.signature(fn).parameters
        try:
            # A closed form that overflows float64 on this instance (weights of 1e200, say)
            # gives no answer: the next predictor is asked, never an inf passed off as a limit,
            # and no numpy warning reaches the user.
            with np.errstate(over="raise", invalid="raise"):
                out = fn(instance, t_end=t_end) if takes_t else fn(instance)
        except FloatingPointError:
            continue
        if out is not None:
            return _with_bp_gap(instance, _with_case(instance, out))
    return None


def _with_case(instance, out: dict) -> dict:
    """RBP/SRBP answers from predictors that predate `rbp-limit` get its ``case``,
    ``fixed_point`` and ``reason`` (the shapes-and-ranks classification of docs/theory.md
    section 10), so every such prediction says which case it is in."""
    s = instance.system
    if "case" in out or s.rule.name not in ("rbp", "srbp") or len(s.layers) < 3:
        return out
    c = limit_case(s.layers, s.rule.name, s.stats.sigma_ii, s.stats.sigma_ti, instance.feedback)
    return {**out, "case": c["case"], "fixed_point": c["fixed_point"], "reason": c["reason"]}
