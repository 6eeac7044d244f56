"""Integrate one instance to convergence (the engine behind ``linrbp simulate``)."""

from __future__ import annotations

import numpy as np

from ._instance import DEFAULT_MAX_STEPS, DEFAULT_T_MAX, Instance, _state_to_dict
from ..integration._integrate import (DEFAULT_BOUND, DEFAULT_CONV_TOL, DEFAULT_RTOL, integrate,
                         integrate_batch)
from ._growth import STRETCH, growth_report
from ._predict import predict

__all__ = ["simulate", "DEFAULT_T_MAX", "DEFAULT_MAX_STEPS"]

# simulate's method names for scipy.integrate.solve_ivp methods
_SCIPY_METHODS = {"scipy": "DOP853", "bdf": "BDF", "lsoda": "LSODA"}


def simulate(instance: Instance, t_max: float | None = None, *, method: str = "scipy",
             rtol: float = DEFAULT_RTOL, conv_tol: float = DEFAULT_CONV_TOL,
             bound: float = DEFAULT_BOUND, max_steps: int = DEFAULT_MAX_STEPS,
             progress: bool | None = False, interruptible: bool = False, times=None,
             observe=None, backend: str = "auto") -> dict:
    r"""Integrate an instance until it stops; the record ``linrbp simulate --json`` writes.

    The run stops at convergence, divergence, ``t_max`` or ``max_steps`` accepted steps, with
    the stopping rules of :func:`integrate`.

    Parameters
    ----------
    instance : Instance
        A validated instance (:func:`load_instance`, :func:`parse_instance`).
    t_max : float, optional
        Time limit (ODE time units); default: the instance's ``t_max``, else 100000.
    method : {"scipy", "bdf", "lsoda", "batched"}, optional
        The integrator (default ``"scipy"``, solve_ivp DOP853); see below.
    rtol : float, optional
        Relative tolerance of the step control (default 1e-12).
    conv_tol : float, optional
        Stop as converged when :math:`\max|f(y)| \le \mathrm{conv\_tol}\,(1 + \max|y|)`
        (default 1e-12).
    bound : float, optional
        Stop as diverged when :math:`\max|y| >` ``bound`` (default 1e8).
    max_steps : int, optional
        Stop with status ``step-limit`` after this many accepted steps (default 20000).
    progress : bool or None, optional
        A progress line on stderr (None: when stderr is a terminal). Default False.
    interruptible : bool, optional
        Ctrl-C ends the run with status ``interrupted`` (default False).
    times : sequence of float, optional
        Times at which to record ``observables`` (:func:`linrbp.observe`), on the trajectory
        integrated without a convergence stop (default: none).
    observe : sequence of str, optional
        The observables at ``times`` (default ``excess_loss``).
    backend : {"auto", "numpy", "numba", "torch"}, optional
        ``method="batched"``: :func:`linrbp.integrate_batch`'s backend (default ``"auto"``,
        which runs numpy when ``interruptible``); the record's ``backend`` is the one that ran.

    Returns
    -------
    dict
        ``status`` (converged, diverged, time-limit, step-limit, interrupted or non-finite,
        with a ``message`` naming the rule whose field is NaN or inf), ``t_end``,
        ``n_steps``, ``weights``, ``feedback``, ``product``, ``excess_loss`` (loss above its
        minimum), ``predicted`` (the closed-form limit, or None), plus ``layers``, ``rule``,
        ``parameters``, ``t_max``, ``max_steps``, ``method``; ``state`` (the rule's extra
        state by name) for rules that have one; ``growth`` (per matrix, :math:`|X| \sim t^p`
        or :math:`e^{rt}` over the last stretch, and whether P still moves) for runs that end
        at time-limit or step-limit; ``times``/``observables`` when ``times`` are given.

    Raises
    ------
    InputError
        (a ValueError) for an unknown method or a bad tolerance, before integrating.

    Notes
    -----
    ``method``: ``"scipy"`` (solve_ivp DOP853), ``"bdf"`` (solve_ivp BDF, implicit), ``"lsoda"``
    (solve_ivp LSODA, stiffness-switching) or ``"batched"`` (linrbp's DOP853). Near a fixed
    point whose rates span orders of magnitude (common for the non-isolated limits of deep
    RBP/SRBP: rates 1e-3 ... 1e3) an explicit method's steps are capped by the fastest rate and
    the accepted local error leaves :math:`\max|f| \approx` rtol x (fastest rate) x :math:`|y|`, which can stay above
    :math:`\mathrm{conv\_tol}\,(1 + |y|)`: DOP853 then ends at step-limit with the limit already reached; BDF
    converges (measured in docs/theory-second-tier.md).

    ``progress`` (the solve_ivp methods): a bar on stderr with t and max|f| once the integration
    has run for 2 s (None: when stderr is a terminal). ``interruptible``: Ctrl-C ends it with
    status ``interrupted`` and the state of the last accepted step (every method).

    Examples
    --------
    >>> import linrbp
    >>> inst = linrbp.parse_instance({"layers": [1, 1, 1], "rule": "rbp", "sigma_ii": [[2.0]],
    ...     "sigma_ti": [[1.5]], "feedback": [[[0.7]]], "weights": [[[0.3]], [[-0.5]]]})
    >>> record = linrbp.simulate(inst, t_max=1e4)
    >>> record["status"], record["predicted"]["system"], round(float(record["product"][0, 0]), 9)
    ('converged', 'chain111', 0.75)
    """
    system = instance.system
    if times is not None:  # checked before the work
        from ._observe import check_observables, check_times
        times = check_times(times)
        observe = check_observables(observe if observe is not None else ["excess_loss"])
    if t_max is None:
        t_max = instance.t_max if instance.t_max is not None else DEFAULT_T_MAX
    if method in _SCIPY_METHODS:
        from ..core._progress import progress_bar
        path_t, path_y = [0.0], [instance.y0]  # the accepted steps (for the growth of a run that does not settle)
        with progress_bar(None, "simulate", "step", disable=None if progress is None else not progress,
                          delay=2.0) as bar:
            def on_step(t, y, fn):
                if t > path_t[-1]:
                    path_t.append(t)
                    path_y.append(np.array(y))
                if progress is not False:
                    bar.update(1)
                    bar.set_postfix_str(f"t {t:.4g} of {t_max:g}, max|f| {fn:.3g}", refresh=False)
            res = integrate(system, instance.y0, t_max, rtol=rtol, conv_tol=conv_tol, bound=bound,
                            max_steps=max_steps, method=_SCIPY_METHODS[method], on_step=on_step,
                            interruptible=interruptible)
    elif method == "batched":
        res = integrate_batch(system, instance.y0[None], t_max, rtol=rtol, conv_tol=conv_tol, bound=bound,
                              max_steps=max_steps, interruptible=interruptible, backend=backend)
    else:
        from ..core._errors import InputError
        raise InputError(f"method: unknown integrator {method!r} (expected scipy, bdf, lsoda or batched)")
    y = res.y[0]
    status = str(res.status[0])
    growth = None
    if status in ("time-limit", "step-limit"):
        if method in _SCIPY_METHODS:
            if float(res.t_end[0]) > path_t[-1]:
                path_t.append(float(res.t_end[0]))
                path_y.append(np.array(y))
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                growth = growth_report(system, *_last_stretch(system, path_t, path_y, method, rtol, max_steps))
        else:
            growth = {"note": "not measured: method batched records no path (use scipy, bdf or lsoda)"}
    weights, feedback = system.unpack(y)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged state may overflow: inf, no warning
        product = system.product(weights)
        excess = float(system.stats.excess_loss(product))
    observed = {}
    if times is not None:
        from ._observe import observe as _observe
        o = _observe(instance, times, observe)
        observed = {"times": o["times"], "observables": o["observables"]}
    return {
        **observed,
        "status": status,
        "t_end": float(res.t_end[0]),
        "n_steps": int(res.n_steps[0]),
        "weights": [np.array(W) for W in weights],
        "feedback": [np.array(C) for C in feedback],
        "product": product,
        "excess_loss": excess,
        "predicted": predict(instance, t_end=float(res.t_end[0])),
        **({"state": _state_to_dict(system, system.unpack_state(y))} if system.rule.state else {}),
        **({"growth": growth} if growth is not None else {}),
        "layers": list(system.layers),
        "rule": system.rule.name,
        "parameters": system.rule.parameter_values,
        "t_max": float(t_max),
        "max_steps": int(max_steps),
        "method": method,
        **({"backend": res.info.get("backend")} if method == "batched" else {}),
        **({"message": res.info["message"]} if res.status[0] == "non-finite" else {}),
    }


def _last_stretch(system, path_t, path_y, method, rtol, max_steps):
    """Samples of the last stretch: the accepted steps when there are enough of them, else the
    stretch integrated again from the last accepted step before it, sampled at 64 times
    spaced evenly in log t (an implicit method's few long steps are too coarse to fit)."""
    t_end = path_t[-1]
    t0 = STRETCH * t_end
    if sum(t >= t0 for t in path_t) >= 32:
        return path_t, path_y
    k = max(i for i, t in enumerate(path_t) if t <= t0)
    ta = path_t[k]
    grid = np.geomspace(max(t0, ta, 1e-300), t_end, 64)
    res = integrate(system, path_y[k], t_end - ta, rtol=rtol, conv_tol=0.0, max_steps=max_steps,
                    method=_SCIPY_METHODS[method], t_eval=np.clip(grid - ta, 0.0, t_end - ta))
    if res.t is None or len(res.t) < 2:
        return path_t, path_y
    return list(res.t + ta), list(res.ys)
