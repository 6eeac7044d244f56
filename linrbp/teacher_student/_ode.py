"""Integrate the teacher-student ODEs to given times (the engine of ``linrbp simulate`` for
``"model": "teacher-student"`` files)."""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError
from ._instance import TSInstance

__all__ = ["integrate_ts", "check_times", "ODE_RTOL", "ODE_ATOL", "DEFAULT_POINTS", "BOUND"]

ODE_RTOL = 1e-11
ODE_ATOL = 1e-13
DEFAULT_POINTS = 51   # times 0, t_max/50, ..., t_max when none are asked for
BOUND = 1e8           # |state| past this: status diverged


def check_times(times, t_max: float | None = None) -> np.ndarray:
    """Times as a sorted float array (t_max/50 spaced from 0 when None); InputError names --times."""
    if times is None:
        return np.linspace(0.0, float(t_max), DEFAULT_POINTS)
    try:
        t = np.asarray([float(x) for x in times], dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"times: expected numbers, got {times!r:.80}") from None
    if t.size == 0:
        raise InputError("times: expected at least one time")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise InputError("times: every time must be finite and >= 0")
    if np.any(np.diff(t) <= 0):
        raise InputError("times: must be strictly increasing")
    return t


def _record(inst: TSInstance, times, ys, status: str, t_end: float, method: str) -> dict:
    m = inst.model
    out = {"model": "teacher-student", "method": method, "activation": m.activation,
           "rule": m.rule.name, "parameters": m.rule.rule.parameter_values, "eta": m.eta,
           "sigma": m.sigma, "K": m.K, "M": m.M, "T": m.T, "A": m.A,
           "times": [float(t) for t in times[:len(ys)]], "eps_g": [], "Q": [], "R": [], "v": []}
    if m.rule.evolves_feedback:
        out["b"] = []
    for y in ys:
        Q, R, v, b = m.unpack(y)
        out["eps_g"].append(m.eps_g(y))
        out["Q"].append(Q.copy())
        out["R"].append(R.copy())
        out["v"].append(v.copy())
        if b is not None:
            out["b"].append(b.copy())
    out["status"] = status
    out["t_end"] = float(t_end)
    if not m.rule.evolves_feedback and inst.b is not None:
        out["feedback"] = inst.b
    return out


def integrate_ts(inst: TSInstance, times=None, *, rtol: float = ODE_RTOL, atol: float = ODE_ATOL,
                 progress: bool | None = False, interruptible: bool = False) -> dict:
    r"""Integrate ``inst`` (scipy DOP853, rtol 1e-11) and record the state at ``times``.

    Parameters
    ----------
    inst : TSInstance
        From :func:`parse_ts_instance` / :func:`load_ts_instance`.
    times : sequence of float, optional
        Increasing times >= 0 (t = SGD steps / N); default 51 times from 0 to the file's t_max.
    rtol, atol : float, optional
        DOP853 tolerances (defaults 1e-11, 1e-13).
    progress : bool or None, optional
        A bar on stderr over the times (None: when stderr is a terminal; default False).
    interruptible : bool, optional
        Ctrl-C ends the run with status ``interrupted``, keeping the times done (default False).

    Returns
    -------
    dict
        ``times``, ``eps_g`` (one per time), ``Q``, ``R``, ``v`` (and ``b`` when it evolves) at
        those times, ``status`` (``time-limit``: every time reached; ``diverged``: :math:`|\mathrm{state}|`
        passed 1e8; ``failed``: the integrator stopped; ``interrupted``) and ``t_end``.

    Examples
    --------
    >>> from linrbp.teacher_student import parse_ts_instance
    >>> inst = parse_ts_instance({"model": "teacher-student", "activation": "linear",
    ...     "rule": "bp", "eta": 0.5, "sigma": 0.0, "Q": [[1.0]], "R": [[0.0]], "T": [[1.0]],
    ...     "v": [0.0], "A": [1.0], "t_max": 1})
    >>> out = integrate_ts(inst, [0.0, 1.0])
    >>> out["status"], round(out["eps_g"][0], 12)
    ('time-limit', 0.5)
    """
    from scipy.integrate import solve_ivp

    from ..core._progress import progress_bar

    m = inst.model
    times = check_times(times, inst.t_max)
    y = inst.y0.copy()
    t = 0.0
    ys, status = [], "time-limit"
    ev = lambda t_, y_: BOUND - np.max(np.abs(y_))  # noqa: E731
    ev.terminal = True
    chunks = np.array_split(np.arange(len(times)), min(len(times), 16))
    try:
        with progress_bar(len(times), "ode", "time", disable=None if progress is None else not progress,
                          delay=1.0) as bar:
            for idx in chunks:
                tc = times[idx]
                if tc[-1] > t:
                    with np.errstate(all="ignore"):
                        sol = solve_ivp(m.field, (t, tc[-1]), y, method="DOP853", rtol=rtol, atol=atol,
                                        events=ev, t_eval=tc[tc >= t])
                    got = [sol.y[:, j].copy() for j in range(sol.y.shape[1])]
                    if tc[0] <= t:  # the start (t = 0) itself
                        got = [y.copy()] * int(np.sum(tc < t)) + got
                    ok = [g for g in got if np.all(np.isfinite(g))]
                    ys.extend(ok)
                    bar.update(len(ok))
                    if sol.status == 1 or len(ok) < len(got):
                        status, t = "diverged", float(sol.t[-1])
                        break
                    if sol.status != 0:
                        status, t = "failed", float(sol.t[-1])
                        break
                    y, t = sol.y[:, -1].copy(), float(tc[-1])
                else:
                    ys.extend([y.copy()] * len(tc))
                    bar.update(len(tc))
    except KeyboardInterrupt:
        if not interruptible:
            raise
        status = "interrupted"
    return _record(inst, times, ys, status, t, "ode")
