"""Integrators for autonomous vector fields y' = f(y), one start or many at once.

Both return an :class:`IntegrationResult` and stop each trajectory at the first of:

* ``converged``: the field is small relative to the state, |f(y)|_inf <= conv_tol (1 + |y|_inf);
* ``diverged``: |y|_inf passes ``bound`` (or the state stops being finite); ``t_end`` is the
  time it did, an estimate of a finite blow-up time;
* ``time-limit``: t reached ``t_max``; the state reported is the state at t_max.

:func:`integrate` is the reference path through :func:`scipy.integrate.solve_ivp` (DOP853,
terminal events, root-found). :func:`integrate_batch` runs Dormand-Prince 8(5,3), the same
tableau as scipy's DOP853 read from scipy itself, on a whole batch with a step size per
trajectory, in vectorised numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.integrate import DOP853, solve_ivp

from ._errors import InputError

__all__ = ["IntegrationResult", "integrate", "integrate_batch", "STATUSES"]

STATUSES = ("converged", "diverged", "time-limit", "step-limit")

DEFAULT_RTOL = 1e-12
DEFAULT_ATOL = 1e-14
DEFAULT_CONV_TOL = 1e-12
DEFAULT_BOUND = 1e8


@dataclass
class IntegrationResult:
    """Final states of one or more trajectories.

    ``status`` (B,) strings from :data:`STATUSES`, ``t_end`` (B,), ``y`` (B, n) final states,
    ``n_steps`` (B,) accepted steps. ``t``/``ys`` hold the dense path of a single trajectory
    when asked for (reference integrator only).
    """

    status: np.ndarray
    t_end: np.ndarray
    y: np.ndarray
    n_steps: np.ndarray
    t: np.ndarray | None = None
    ys: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.status)

    def counts(self) -> dict[str, int]:
        return {s: int(np.sum(self.status == s)) for s in STATUSES if np.any(self.status == s)}


def check_t_max(t_max) -> float:
    if isinstance(t_max, bool) or not isinstance(t_max, (int, float, np.integer, np.floating)):
        raise InputError(f"t_max: expected a positive number, got {t_max!r}")
    t_max = float(t_max)
    if not np.isfinite(t_max) or t_max <= 0:
        raise InputError(f"t_max: must be positive and finite, got {t_max!r}")
    return t_max


def _check_start(y0, name="y0") -> np.ndarray:
    y0 = np.asarray(y0, dtype=float)
    if not np.all(np.isfinite(y0)):
        raise InputError(f"{name}: initial state contains NaN or infinity")
    return y0


def _converged(f, y, conv_tol):
    return np.max(np.abs(f), axis=-1) <= conv_tol * (1.0 + np.max(np.abs(y), axis=-1))


def integrate(
    fun: Callable[[np.ndarray], np.ndarray],
    y0,
    t_max: float,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    conv_tol: float = DEFAULT_CONV_TOL,
    bound: float = DEFAULT_BOUND,
    method: str = "DOP853",
    dense: bool = False,
    t_eval=None,
) -> IntegrationResult:
    """Reference integration of one trajectory with :func:`scipy.integrate.solve_ivp`.

    ``dense=True`` keeps every accepted step in ``t``/``ys``; ``t_eval`` samples the path at
    given times instead.
    """
    t_max = check_t_max(t_max)
    y0 = _check_start(y0)
    f0 = fun(y0)
    if _converged(f0, y0, conv_tol):
        return IntegrationResult(np.array(["converged"]), np.zeros(1), y0[None].copy(),
                                 np.zeros(1, int), np.zeros(1) if dense or t_eval is not None else None,
                                 y0[None].copy() if dense or t_eval is not None else None)

    def rhs(t, y):
        return fun(y)

    def ev_converged(t, y):
        return np.max(np.abs(fun(y))) - conv_tol * (1.0 + np.max(np.abs(y)))

    def ev_diverged(t, y):
        return np.max(np.abs(y)) - bound

    ev_converged.terminal = True
    ev_converged.direction = -1
    ev_diverged.terminal = True
    ev_diverged.direction = 1

    with np.errstate(over="ignore", invalid="ignore"):
        sol = solve_ivp(rhs, (0.0, t_max), y0, method=method, rtol=rtol, atol=atol,
                        events=[ev_converged, ev_diverged], dense_output=False, t_eval=t_eval)
    y_end = sol.y[:, -1]
    if sol.status == 1 and len(sol.t_events[0]):
        status, t_end, y_end = "converged", sol.t_events[0][0], sol.y_events[0][0]
    elif sol.status == 1 and len(sol.t_events[1]):
        status, t_end, y_end = "diverged", sol.t_events[1][0], sol.y_events[1][0]
    elif sol.status == 0:
        status, t_end = "time-limit", sol.t[-1]
    else:
        # The step size collapsed: a finite-time blow-up that outran the bound check.
        status, t_end = "diverged", sol.t[-1]
    out = IntegrationResult(np.array([status]), np.array([float(t_end)]), np.asarray(y_end)[None].copy(),
                            np.array([sol.nfev]), info={"nfev": sol.nfev, "message": sol.message})
    if dense or t_eval is not None:
        out.t, out.ys = sol.t, sol.y.T
    return out


# Dormand-Prince 8(5,3), straight from scipy's DOP853.
_NS = DOP853.n_stages
_A = np.asarray(DOP853.A[:_NS, :_NS])
_B = np.asarray(DOP853.B)
_C = np.asarray(DOP853.C[:_NS])
_E3 = np.asarray(DOP853.E3)
_E5 = np.asarray(DOP853.E5)
_SAFETY, _MIN_FACTOR, _MAX_FACTOR = 0.9, 0.2, 10.0


def _rms(x):
    return np.sqrt(np.mean(x * x, axis=-1))


def integrate_batch(
    fun: Callable[[np.ndarray], np.ndarray],
    y0,
    t_max,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    conv_tol: float = DEFAULT_CONV_TOL,
    bound: float = DEFAULT_BOUND,
    max_steps: int = 200_000,
    progress: Callable[[int, int], None] | None = None,
) -> IntegrationResult:
    """Integrate many starts ``y0`` (B, n) at once; ``fun`` maps (b, n) to (b, n).

    Each trajectory has its own adaptive step (scipy's DOP853 error norm and step control) and
    stops on its own event; finished trajectories drop out of the work. ``t_max`` is a number
    or one per trajectory. ``progress(done, total)`` is called after each sweep.
    """
    Y = _check_start(y0, "y0")
    if Y.ndim != 2:
        raise InputError(f"y0: expected a (batch, n) array, got shape {Y.shape}")
    B, n = Y.shape
    t_max = np.broadcast_to([check_t_max(tm) for tm in np.ravel(np.asarray(t_max, dtype=object))]
                            if np.ndim(t_max) else check_t_max(t_max), (B,)).astype(float)
    Y = Y.copy()
    t = np.zeros(B)
    steps = np.zeros(B, dtype=int)
    status = np.full(B, "", dtype=object)
    F = fun(Y)
    done = _converged(F, Y, conv_tol)
    status[done] = "converged"

    # Initial step as in Hairer, Norsett & Wanner (scipy's select_initial_step).
    scale = atol + np.abs(Y) * rtol
    d0, d1 = _rms(Y / scale), _rms(F / scale)
    h = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.maximum(d1, 1e-300))
    h = np.minimum(h, t_max)
    with np.errstate(over="ignore", invalid="ignore"):
        Y1 = Y + h[:, None] * F
        F1 = fun(Y1)
    d2 = _rms((F1 - F) / scale) / h
    dmax = np.maximum(d1, d2)
    h1 = np.where(dmax <= 1e-15, np.maximum(1e-6, h * 1e-3), (0.01 / np.maximum(dmax, 1e-300)) ** (1 / 8))
    h = np.minimum(np.minimum(100 * h, h1), t_max)
    h = np.where(np.isfinite(h) & (h > 0), h, 1e-6)

    K = np.empty((_NS + 1, B, n))
    active = np.flatnonzero(~done)
    while active.size:
        idx = active
        y, f, hh = Y[idx], F[idx], np.minimum(h[idx], t_max[idx] - t[idx])
        k = K[:, : idx.size]
        k[0] = f
        with np.errstate(over="ignore", invalid="ignore"):
            for s in range(1, _NS):
                dy = np.tensordot(_A[s, :s], k[:s], axes=(0, 0))
                k[s] = fun(y + hh[:, None] * dy)
            y_new = y + hh[:, None] * np.tensordot(_B, k[:_NS], axes=(0, 0))
            f_new = fun(y_new)
            k[_NS] = f_new
            sc = atol + np.maximum(np.abs(y), np.abs(y_new)) * rtol
            err5 = np.tensordot(_E5, k, axes=(0, 0)) / sc
            err3 = np.tensordot(_E3, k, axes=(0, 0)) / sc
            e5, e3 = np.sum(err5 ** 2, axis=-1), np.sum(err3 ** 2, axis=-1)
            denom = e5 + 0.01 * e3
            err = np.where(denom > 0, np.abs(hh) * e5 / np.sqrt(np.where(denom > 0, denom, 1.0) * n), 0.0)
        finite = np.all(np.isfinite(y_new), axis=-1) & np.isfinite(err)
        accept = finite & (err < 1.0)
        factor = np.where(err == 0, _MAX_FACTOR,
                          np.clip(_SAFETY * np.where(err > 0, err, 1.0) ** (-1 / 8), _MIN_FACTOR, _MAX_FACTOR))
        factor = np.where(accept, factor, np.where(finite, np.minimum(factor, 1.0), _MIN_FACTOR))
        h[idx] = hh * factor

        acc = idx[accept]
        Y[acc], F[acc] = y_new[accept], f_new[accept]
        t[acc] += hh[accept]
        steps[acc] += 1

        norm = np.max(np.abs(Y[acc]), axis=-1)
        conv = _converged(F[acc], Y[acc], conv_tol)
        div = norm > bound
        tlim = t[acc] >= t_max[acc] * (1 - 1e-15)
        status[acc[div]] = "diverged"
        status[acc[~div & conv]] = "converged"
        status[acc[~div & ~conv & tlim]] = "time-limit"
        # A step size that underflows against t: finite-time blow-up between bound checks.
        tiny = idx[h[idx] <= 1e-14 * np.maximum(1.0, t[idx])]
        status[tiny[status[tiny] == ""]] = "diverged"
        status[(steps >= max_steps) & (status == "")] = "step-limit"
        active = np.flatnonzero(status == "")
        if progress is not None:
            progress(B - active.size, B)
    return IntegrationResult(status.astype(str), t, Y, steps)
