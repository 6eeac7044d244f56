"""Observables: named quantities along a trajectory, at requested times.

:func:`observe` integrates an instance (DOP853, no convergence stop, so the path exists at every
requested time) and evaluates each named observable at each time. Built in:

- ``excess_loss``: L(P) - L(P*) (the loss above its minimum; docs/theory.md section 0).
- ``alignment``: per hidden layer h, the cosine between the rule's backward matrix B_h and the
  matrix it stands in for, A_{h+1}^T (chained rules) or (A_L ... A_{h+1})^T (skipped rules):
  a list with one cosine per hidden layer, a single number for a single hidden layer.
- ``update_angle``: the angle in degrees between the rule's update of the weights (all A_h,
  drifts included) and BP's, the negative gradient of the loss.
- ``weight_norm``: |A_h| (Frobenius) per layer; ``feedback_norm``: |B_h| per hidden layer.

A researcher's own: :func:`register_observable` ``(name, fn)`` with ``fn(system, y, t)`` -> a
number or a list of numbers, e.g. from a ``--rules`` file. Values that are not finite, and
values after a run diverged, are None.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..core._errors import InputError
from ..core._rules import nearest, transpose
from ..core._rule_run import averaged_velocity

__all__ = ["OBSERVABLES", "register_observable", "observe", "observe_state", "check_observables", "check_times"]


def _hidden_pairs(system, y):
    """[(B_h, M_h^T)] for h = 1..L-1: the backward matrix and the matrix it stands in for."""
    weights, fb = system.unpack(y)
    r, L = system.rule, system.depth
    A, C = [None] + list(weights), [None] + list(fb)
    from ..core._rule_run import _with_state
    p = _with_state(r, system.unpack_state(y) or None, L)
    out = []
    for h in range(1, L):
        B = r.backward_matrix(h, A, C, p)
        M = A[h + 1]
        if r.source == "top":
            for k in range(h + 2, L + 1):
                M = A[k] @ M
        out.append((np.asarray(B, float), transpose(M)))
    return out


def _one_or_list(vals):
    return vals[0] if len(vals) == 1 else vals


def alignment(system, y, t):
    """cos(B_h, A_{h+1}^T) per hidden layer (one number for a single hidden layer)."""
    out = []
    for B, M in _hidden_pairs(system, y):
        nb, nm = np.linalg.norm(B), np.linalg.norm(M)
        out.append(float(np.sum(B * M) / (nb * nm)) if nb > 0 and nm > 0 else None)
    return _one_or_list(out) if out else None


def update_angle(system, y, t):
    """Degrees between the rule's weight update and BP's (the negative loss gradient)."""
    weights, fb = system.unpack(y)
    v = system.velocity(weights, fb, system.unpack_state(y) or None) if system.rule.state \
        else system.velocity(weights, fb)
    from ..core._field import forward_products
    F = forward_products(weights, system.layers[0])
    g, _ = averaged_velocity("bp", weights, [], system.stats.error(F[-1]), F)
    a = np.concatenate([np.ravel(M) for M in v[0]])
    b = np.concatenate([np.ravel(M) for M in g])
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return None
    return float(np.degrees(np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0))))


def excess_loss(system, y, t):
    return float(system.excess_loss(y))


def weight_norm(system, y, t):
    return [float(np.linalg.norm(W)) for W in system.unpack(y)[0]]


def feedback_norm(system, y, t):
    return _one_or_list([float(np.linalg.norm(B)) for B, _ in _hidden_pairs(system, y)]) \
        if system.depth > 1 else None


OBSERVABLES: dict[str, Callable] = {
    "excess_loss": excess_loss, "alignment": alignment, "update_angle": update_angle,
    "weight_norm": weight_norm, "feedback_norm": feedback_norm,
}
_BUILT_IN = tuple(OBSERVABLES)


def register_observable(name: str, fn: Callable, *, replace_existing: bool = False) -> Callable:
    """Make ``fn(system, y, t)`` -> number or list of numbers known as observable ``name``.

    Parameters
    ----------
    name : str
        Lowercase identifier (what ``--observe`` names).
    fn : callable
        ``fn(system, y, t)``: the :class:`~linrbp.LinearSystem`, the flat state and the time.
    replace_existing : bool, default False
        Replace an observable of the same name (never a built-in one).

    Returns
    -------
    callable
        ``fn`` itself.

    Raises
    ------
    InputError
        A bad name, a function that is not callable, or a name already taken.

    Examples
    --------
    >>> import linrbp, numpy as np
    >>> _ = linrbp.register_observable("top_norm", lambda s, y, t: float(np.linalg.norm(s.unpack(y)[0][-1])),
    ...                                replace_existing=True)
    """
    import re

    if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]*$", name):
        raise InputError(f"observable: a name is a lowercase identifier, got {name!r}")
    if not callable(fn):
        raise InputError(f"observable {name}: expected a function (system, y, t) -> number")
    if name in _BUILT_IN or (name in OBSERVABLES and not replace_existing):
        raise InputError(f"observable: {name!r} is already registered"
                         + ("" if name in _BUILT_IN else " (pass replace_existing=True)"))
    OBSERVABLES[name] = fn
    return fn


def check_observables(names) -> list[str]:
    """The names, each a registered observable (InputError naming the unknown one)."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    names = list(names)
    if not names or any(not isinstance(n, str) or not n for n in names):
        raise InputError(f"observe: expected observable names, got {names!r}")
    for n in names:
        if n not in OBSERVABLES:
            raise InputError(f"observe: unknown observable {n!r}{nearest(n, OBSERVABLES)} "
                             f"(known: {', '.join(OBSERVABLES)})")
    if len(set(names)) != len(names):
        raise InputError(f"observe: a name repeats in {', '.join(names)}")
    return names


def check_times(times) -> list[float]:
    """Finite times >= 0, strictly increasing (InputError otherwise)."""
    try:
        ts = [float(t) for t in times]
    except (TypeError, ValueError):
        raise InputError(f"times: expected numbers, got {times!r}") from None
    if not ts:
        raise InputError("times: expected at least one time")
    if any(not math.isfinite(t) or t < 0 for t in ts):
        raise InputError(f"times: expected finite times >= 0, got {ts}")
    if any(b <= a for a, b in zip(ts, ts[1:])):
        raise InputError(f"times: must increase strictly, got {ts}")
    return ts


def _clean(v):
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    v = float(v)
    return v if math.isfinite(v) else None


def observe(instance, times, names=("excess_loss",), *, rtol: float = 1e-10) -> dict:
    """Observables of ``instance`` at ``times`` along its trajectory.

    Parameters
    ----------
    instance : Instance, dict or path
        From :func:`linrbp.load_instance` or :func:`linrbp.parse_instance`; an instance dict
        (a claim's sampled draw) or file is read first.
    times : sequence of float
        Finite, >= 0, strictly increasing.
    names : sequence of str or str, optional
        Registered observables (comma-separated in a string); default ``("excess_loss",)``.
    rtol : float, default 1e-10
        Relative tolerance of the DOP853 integration (solve_ivp; atol the integrators' default).

    Returns
    -------
    dict
        ``times``, ``observables`` ({name: [one value per time]}), ``status`` (of the integration
        to the last time: time-limit when the path reached it), ``rtol``.

    Raises
    ------
    InputError
        Bad times or an unknown name (before any work).

    Examples
    --------
    >>> import linrbp
    >>> inst = linrbp.parse_instance({"layers": [1, 1, 1], "rule": "rbp", "sigma_ii": [[1]],
    ...     "sigma_ti": [[1]], "feedback": [[[1]]], "weights": [[[0.5]], [[0.5]]]})
    >>> out = linrbp.observe(inst, [0, 1, 10], ["excess_loss", "alignment"])
    >>> [round(v, 6) for v in out["observables"]["excess_loss"]][0]
    0.28125
    """
    from ._instance import Instance, load_instance, parse_instance

    ts = check_times(times)
    names = check_observables(names)
    if isinstance(instance, dict):  # a sampled instance (a claim's JSON-able draw)
        instance = parse_instance(instance)
    elif not isinstance(instance, Instance):
        instance = load_instance(instance)
    return observe_state(instance.system, instance.y0, ts, names, rtol=rtol)


def observe_state(system, y0, times, names=("excess_loss",), *, rtol: float = 1e-10, functions=None) -> dict:
    """:func:`observe` for a :class:`~linrbp.LinearSystem` and a flat start ``y0`` (one start
    of a sweep, say); the same record. ``functions`` ({name: fn}) evaluates those names with
    the functions given (shipped to a worker process that has not registered them)."""
    from ..integration._integrate import integrate

    ts = check_times(times)
    table = {**OBSERVABLES, **(functions or {})}
    names = list(names) if functions and all(n in table for n in names) else check_observables(names)
    y0 = np.asarray(y0, float)
    if ts[-1] > 0:
        res = integrate(system, y0, ts[-1], rtol=rtol, conv_tol=0.0, t_eval=np.array(ts))
        status = str(res.status[0])
        got = {float(t): y for t, y in zip(res.t, res.ys)}
    else:
        status, got = "time-limit", {}
    got.setdefault(0.0, np.asarray(y0, float))
    values = {n: [] for n in names}
    for t in ts:
        y = got.get(float(t))
        for n in names:
            if y is None:
                values[n].append(None)
                continue
            try:
                with np.errstate(all="ignore"):
                    v = table[n](system, y, t)
            except InputError:
                raise
            except Exception as exc:  # a user's observable failing is bad input, named
                raise InputError(f"observable {n}: raised {type(exc).__name__} at t = {t:g}: {exc}") from None
            values[n].append(_clean(v))
    return {"times": ts, "observables": values, "status": status, "rtol": rtol}
