"""Integrate one instance to convergence (the engine behind ``linrbp simulate``)."""

from __future__ import annotations

import numpy as np

from ._instance import DEFAULT_MAX_STEPS, DEFAULT_T_MAX, Instance
from ..integration._integrate import (DEFAULT_BOUND, DEFAULT_CONV_TOL, DEFAULT_RTOL, integrate,
                         integrate_batch)
from ._predict import predict

__all__ = ["simulate", "DEFAULT_T_MAX", "DEFAULT_MAX_STEPS"]

# simulate's method names for scipy.integrate.solve_ivp methods
_SCIPY_METHODS = {"scipy": "DOP853", "bdf": "BDF", "lsoda": "LSODA"}


def simulate(instance: Instance, t_max: float | None = None, *, method: str = "scipy",
             rtol: float = DEFAULT_RTOL, conv_tol: float = DEFAULT_CONV_TOL,
             bound: float = DEFAULT_BOUND, max_steps: int = DEFAULT_MAX_STEPS,
             progress: bool | None = False, interruptible: bool = False) -> dict:
    """Integrate ``instance`` until convergence, divergence, t_max or ``max_steps`` accepted
    steps; the `simulate` record.

    Keys: status (converged, diverged, time-limit, step-limit, interrupted or non-finite, with a
    ``message`` naming the rule whose field is NaN or inf), t_end, n_steps,
    weights, feedback, product, excess_loss, predicted (closed form or None), plus layers, rule,
    parameters (the rule's parameter values), t_max, max_steps, method.

    ``method``: ``"scipy"`` (solve_ivp DOP853), ``"bdf"`` (solve_ivp BDF, implicit), ``"lsoda"``
    (solve_ivp LSODA, stiffness-switching) or ``"batched"`` (linrbp's DOP853). Near a fixed
    point whose rates span orders of magnitude (common for the non-isolated limits of deep
    RBP/SRBP: rates 1e-3 ... 1e3) an explicit method's steps are capped by the fastest rate and
    the accepted local error leaves max|f| ~ rtol x (fastest rate) x |y|, which can stay above
    conv_tol (1 + |y|): DOP853 then ends at step-limit with the limit already reached; BDF
    converges (measured in docs/theory-second-tier.md).

    ``progress`` (the solve_ivp methods): a bar on stderr with t and max|f| once the integration
    has run for 2 s (None: when stderr is a terminal). ``interruptible``: Ctrl-C ends it with
    status ``interrupted`` and the state of the last accepted step (every method).
    """
    system = instance.system
    if t_max is None:
        t_max = instance.t_max if instance.t_max is not None else DEFAULT_T_MAX
    if method in _SCIPY_METHODS:
        from ..core._progress import progress_bar
        with progress_bar(None, "simulate", "step", disable=None if progress is None else not progress,
                          delay=2.0) as bar:
            def on_step(t, y, fn):
                bar.update(1)
                bar.set_postfix_str(f"t {t:.4g} of {t_max:g}, max|f| {fn:.3g}", refresh=False)
            res = integrate(system, instance.y0, t_max, rtol=rtol, conv_tol=conv_tol, bound=bound,
                            max_steps=max_steps, method=_SCIPY_METHODS[method],
                            on_step=on_step if progress is not False else None,
                            interruptible=interruptible)
    elif method == "batched":
        res = integrate_batch(system, instance.y0[None], t_max, rtol=rtol, conv_tol=conv_tol, bound=bound,
                              max_steps=max_steps, interruptible=interruptible)
    else:
        from ..core._errors import InputError
        raise InputError(f"method: unknown integrator {method!r} (expected scipy, bdf, lsoda or batched)")
    y = res.y[0]
    weights, feedback = system.unpack(y)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged state may overflow: inf, no warning
        product = system.product(weights)
        excess = float(system.stats.excess_loss(product))
    return {
        "status": str(res.status[0]),
        "t_end": float(res.t_end[0]),
        "n_steps": int(res.n_steps[0]),
        "weights": [np.array(W) for W in weights],
        "feedback": [np.array(C) for C in feedback],
        "product": product,
        "excess_loss": excess,
        "predicted": predict(instance, t_end=float(res.t_end[0])),
        "layers": list(system.layers),
        "rule": system.rule.name,
        "parameters": system.rule.parameter_values,
        "t_max": float(t_max),
        "max_steps": int(max_steps),
        "method": method,
        **({"message": res.info["message"]} if res.status[0] == "non-finite" else {}),
    }
