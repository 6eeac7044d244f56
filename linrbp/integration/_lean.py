""":func:`linrbp.integration.integrate`'s DOP853 runs to ``t_max``, without solve_ivp's loop.

Around a DOP853 step of a small system, ``solve_ivp`` and ``integrate``'s three terminal events
cost about as much again as the step (measured: 0.45 against 0.27 CPU-s for ten ``arbp-offset``
runs): each step evaluates the events (the convergence event a field evaluation of its own, the
divergence event and the step counter), tests them for sign changes, checks the field's value
for NaN, and samples ``t_eval``. :func:`integrate_to_end` takes scipy's DOP853 steps itself
and tests the same events on each accepted step with the field value the step already computed
(DOP853's ``f`` at the new state is ``fun(y)`` there, the very number the convergence event
computes again). It returns ``integrate``'s result bit for bit when the run reaches ``t_max``
with no event firing (the same steps, ``t_eval`` samples from the same dense output, the same
status, times, states, step and evaluation counts); in every other case (an event fires, the
field is not finite, the start is not an ordinary one, the step size collapses, a bad
argument) it runs ``integrate`` itself from the start, so every status, message and error is
``integrate``'s own. For runs meant to end at ``t_max`` (``conv_tol=0``); a run that stops
early pays for both.

The steps are scipy's DOP853 steps (:class:`_Stepper`: its operations in its order, on the
solver's own arrays, so the solver's ``dense_output()`` is scipy's), with the field called
directly (a :class:`~linrbp.LinearSystem`'s traced one-state field, what ``fun(y)`` runs).
"""

from __future__ import annotations

import math

import numpy as np

from ._batch_loop import _converged
from ._integrate import DEFAULT_ATOL, DEFAULT_BOUND, DEFAULT_RTOL, IntegrationResult, integrate

__all__ = ["integrate_to_end"]

_FINISHED = "The solver successfully reached the end of the integration interval."  # solve_ivp's


class _Fallback(Exception):
    """Something ``integrate`` handles itself (an event, a non-finite field value)."""


def integrate_to_end(fun, y0, t_max, *, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, conv_tol=0.0,
                     bound=DEFAULT_BOUND, dense=False, t_eval=None, max_steps=None) -> IntegrationResult:
    """``integrate(fun, y0, t_max, ...)`` (method DOP853) with the same arguments and result;
    see the module docstring."""
    kw = dict(rtol=rtol, atol=atol, conv_tol=conv_tol, bound=bound, dense=dense, t_eval=t_eval,
              max_steps=max_steps)
    try:
        out = _run(fun, y0, t_max, **kw)
    except _Fallback:
        out = None
    return integrate(fun, y0, t_max, **kw) if out is None else out


def _run(fun, y0, t_max, *, rtol, atol, conv_tol, bound, dense, t_eval, max_steps):
    from scipy.integrate import DOP853

    if not (isinstance(y0, np.ndarray) and y0.ndim == 1 and y0.dtype == np.float64 and y0.size
            and np.isfinite(y0).all()):
        return None
    if isinstance(t_max, bool) or not isinstance(t_max, (int, float)) or not 0 < t_max < math.inf:
        return None
    if not (isinstance(conv_tol, (int, float)) and conv_tol >= 0 and isinstance(bound, (int, float))):
        return None
    if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1):
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        f0 = np.asarray(fun(y0))
        if f0.shape != y0.shape or not np.isfinite(f0).all():
            return None
        if np.max(np.abs(y0)) > bound or _converged(f0, y0, conv_tol):
            return None  # integrate's early returns
        if t_eval is not None:
            t_eval = np.asarray(t_eval)
            if (t_eval.ndim != 1 or not t_eval.size or np.any(t_eval < 0.0) or np.any(t_eval > t_max)
                    or np.any(np.diff(t_eval) <= 0)):
                return None

        single = getattr(fun, "_single_state_field", None)
        fn, n = single() if single is not None else (None, None)
        field = fn if fn is not None and n == y0.size else fun  # what fun(y) runs on one state

        def rhs(t, y):
            f = field(y)
            if not math.isfinite(float(np.add.reduce(f))):  # integrate's rhs, or NaN past the bound
                raise _Fallback
            return f

        solver = DOP853(rhs, 0.0, y0, float(t_max), rtol=rtol, atol=atol)
        if solver.n == 0 or type(solver.f) is not np.ndarray or solver.f.dtype != np.float64:
            return None
        step = _Stepper(solver, rhs)
        ts, ys = ([0.0], [y0]) if t_eval is None else ([], [])
        t_eval_i, steps = 0, 0
        while True:
            step()
            if solver.status == "failed":
                return None
            t, y = solver.t, solver.y
            steps += 1
            # integrate's events on the accepted step, in solve_ivp's terms (each fires when its
            # function changes sign in its direction; before the step converged > 0, diverged
            # <= 0, steps < 0): converged (solver.f is fun(y)), diverged, the step limit
            ymax = np.max(np.abs(y))
            if (np.max(np.abs(solver.f)) - conv_tol * (1.0 + ymax) <= 0 or ymax - bound >= 0
                    or max_steps is not None and steps >= max_steps):
                return None
            if t_eval is None:
                ts.append(t)
                ys.append(y)
            else:
                t_eval_i_new = np.searchsorted(t_eval, t, side="right")
                t_eval_step = t_eval[t_eval_i:t_eval_i_new]
                if t_eval_step.size > 0:
                    ts.append(t_eval_step)
                    ys.append(solver.dense_output()(t_eval_step))
                    t_eval_i = t_eval_i_new
            if solver.status == "finished":
                break
    if t_eval is None:
        ts, ys = np.array(ts), np.vstack(ys).T
    elif ts:
        ts, ys = np.hstack(ts), np.hstack(ys)
    else:
        return None
    out = IntegrationResult(np.array(["time-limit"]), np.array([float(ts[-1])]), np.asarray(ys[:, -1])[None].copy(),
                            np.array([steps]), info={"nfev": solver.nfev, "message": _FINISHED, "steps": steps})
    if dense or t_eval is not None:
        out.t, out.ys = ts, ys.T
    return out


class _Stepper:
    """``solver.step()`` of a scipy DOP853 solver (scipy 1.17's ``OdeSolver.step``,
    ``RungeKutta._step_impl``, ``rk_step`` and ``DOP853._estimate_error_norm``): the same
    operations on the same operands, leaving the solver in the same state (so its
    ``dense_output()`` is scipy's), with the field ``rhs`` called directly (``solver.nfev``
    counted as scipy's wrapper counts it) and the scalar arithmetic on Python floats."""

    def __init__(self, solver, rhs):
        from scipy.integrate._ivp.rk import MAX_FACTOR, MIN_FACTOR, SAFETY

        self.solver, self.rhs = solver, rhs
        self.consts = (MAX_FACTOR, MIN_FACTOR, SAFETY)
        A, C = solver.A, solver.C
        self.stages = [(A[s][:s], float(c)) for s, c in zip(range(1, solver.n_stages), C[1:])]
        if not (solver.direction == 1 and solver.max_step == math.inf and len(self.stages) == 11):
            raise _Fallback

    def __call__(self):
        sv = self.solver
        if sv.status != "running":
            raise RuntimeError("Attempt to step on a failed or finished solver.")
        if sv.t == sv.t_bound:
            sv.t_old = sv.t
            sv.t = sv.t_bound
            sv.status = "finished"
            return
        t = sv.t
        if self._step_impl():
            sv.t_old = t
            if sv.t - sv.t_bound >= 0:
                sv.status = "finished"
        else:
            sv.status = "failed"

    def _step_impl(self):
        sv, rhs = self.solver, self.rhs
        MAX_FACTOR, MIN_FACTOR, SAFETY = self.consts
        t, y, rtol, atol = sv.t, sv.y, sv.rtol, sv.atol
        K, B, E3, E5 = sv.K, sv.B, sv.E3, sv.E5
        exponent = sv.error_exponent
        min_step = 10 * abs(math.nextafter(t, math.inf) - t)
        h_abs = sv.h_abs
        if h_abs < min_step:
            h_abs = min_step
        step_rejected = False
        dot, n_root = np.dot, len(y)
        abs_y = np.abs(y)
        while True:
            if h_abs < min_step:
                return False
            t_new = t + h_abs
            if t_new - sv.t_bound > 0:
                t_new = sv.t_bound
            h = t_new - t
            h_abs = abs(h)
            # rk_step
            K[0] = sv.f
            for s, (a, c) in enumerate(self.stages, start=1):
                dy = dot(K[:s].T, a) * h
                K[s] = rhs(t + c * h, y + dy)
            y_new = y + h * dot(K[:-1].T, B)
            f_new = rhs(t + h, y_new)
            K[-1] = f_new
            sv.nfev += 12
            scale = np.maximum(abs_y, np.abs(y_new))
            scale *= rtol
            scale += atol  # atol + max(|y|, |y_new|) * rtol
            err5 = dot(K.T, E5) / scale
            err3 = dot(K.T, E3) / scale
            err5_norm_2 = math.sqrt(err5.dot(err5)) ** 2  # np.linalg.norm(err5) ** 2
            err3_norm_2 = math.sqrt(err3.dot(err3)) ** 2
            if err5_norm_2 == 0 and err3_norm_2 == 0:
                error_norm = 0.0
            else:
                denom = err5_norm_2 + 0.01 * err3_norm_2
                error_norm = abs(h) * err5_norm_2 / math.sqrt(denom * n_root)
            if error_norm < 1:
                if error_norm == 0:
                    factor = MAX_FACTOR
                else:
                    factor = min(MAX_FACTOR, SAFETY * error_norm ** exponent)
                if step_rejected:
                    factor = min(1, factor)
                h_abs *= factor
                break
            h_abs *= max(MIN_FACTOR, SAFETY * error_norm ** exponent)
            step_rejected = True
        sv.h_previous = h
        sv.y_old = y
        sv.t = t_new
        sv.y = y_new
        sv.h_abs = h_abs
        sv.f = f_new
        return True
