"""The numpy path of :func:`linrbp.integrate_batch`: Dormand-Prince 8(5,3) (scipy's DOP853
tableau, :mod:`linrbp.integration._dop853`) on a whole batch with a step size per trajectory, in
component-major (n, width) working sets topped up from a queue as trajectories finish, one per
worker thread, stage sums through one-thread BLAS, Ctrl-C between steps. The statuses and
their codes are :data:`STATUSES`."""

from __future__ import annotations

import contextlib
import signal
import threading

import numpy as np

from ..core._resources import blas_thread_setters, signal_handler
from ._dop853 import (_A_ROWS, _B, _CONVERGED, _D_LAST, _DIVERGED, _E53, _NS, _damp_candidates, _damped_steps,
                      _event_codes, _initial_step, _quiet, _step_control, _stiffness_sums)

STATUSES = ("converged", "diverged", "time-limit", "step-limit", "interrupted", "non-finite")
_INTERRUPTED = STATUSES.index("interrupted") + 1  # status codes: 0 running, then STATUSES in order

# "non-finite": the field returned NaN or inf at a finite state within the bound (a rule's
# function that computes NaN): the run ends there, info["message"] names the rule.
_NON_FINITE = STATUSES.index("non-finite") + 1


def _mark_non_finite(code, accept, K, y, y_norm, bound) -> None:
    """Columns whose step collapsed (code diverged without passing the bound) because the field
    gave NaN or inf at a stage: status non-finite. At a collapse h is ~1e-14 t, so the stages lie
    next to the last accepted state ``y`` (within the bound, its field K[0] finite): a
    non-finite stage value there is the field's, not an overflow of a blow-up."""
    cols = np.flatnonzero((code == _DIVERGED) & ~(accept & (y_norm > bound)))
    if cols.size:
        bad = ~np.isfinite(K[1:, :, cols]).all(axis=(0, 1)) & np.isfinite(K[0][:, cols]).all(0) \
            & (np.max(np.abs(y[:, cols]), axis=0) <= bound)
        code[cols[bad]] = _NON_FINITE


def _converged(f, y, conv_tol):
    """The convergence rule of every integrator, per state (states along the last axis):
    max |f| <= conv_tol (1 + max |y|), the field negligible relative to the state."""
    return np.max(np.abs(f), axis=-1) <= conv_tol * (1.0 + np.max(np.abs(y), axis=-1))


# Trajectories integrated side by side per worker: about _CACHE_DOUBLES / (13 n), the stage
# buffer's size. Measured on chain111 (n = 2): per-call overhead dominates below ~10,000
# columns, so wider is faster up to ~20,000; beyond that memory traffic wins.
_CACHE_DOUBLES = 1 << 19
_MIN_WIDTH, _MAX_WIDTH = 256, 32768
# Below this many starts the generated field is not worth its one-off cost.
_FAST_FIELD_MIN_BATCH = 64


def _combine_einsum(coefficients, K):
    return np.einsum("...s,sn->...n", coefficients, K)


def _single_thread_blas():
    """(enter, leave) callables limiting the calling thread's BLAS to one thread, or None."""
    return blas_thread_setters() or None


def _column_field(fun, batch):
    """``f(yt, out)`` on component-major (n, b) states, from ``fun`` on (b, n) states."""
    fast = getattr(fun, "transposed_kernel", None)
    if fast is not None and batch >= _FAST_FIELD_MIN_BATCH:
        return fast(), True

    def field(yt, out):
        out[...] = np.asarray(fun(yt.T), dtype=float).T
        return out

    return field, False


class _Batch:
    """Inputs, outputs and the queue of not-yet-started trajectories, shared by the workers."""

    def __init__(self, field, Y0, t_max, rtol, atol, conv_tol, bound, max_steps, width, progress):
        self.field, self.Y0, self.t_max = field, Y0, t_max
        self.rtol, self.atol, self.conv_tol, self.bound = rtol, atol, conv_tol, bound
        self.max_steps, self.width, self.progress = max_steps, width, progress
        B, n = Y0.shape
        self.n = n
        self.code = np.zeros(B, dtype=np.int8)
        self.t_end = np.zeros(B)
        self.y = Y0.copy()
        self.steps = np.zeros(B, dtype=np.int64)
        self._next = 0
        self._finished = 0
        self.failed = False
        self.interrupted = False  # set by Ctrl-C (interruptible runs): workers save and stop
        self.attempts = 0  # step attempts of running columns, accepted or not (racy sum: a statistic)
        self._lock = threading.Lock()

    def take(self, k):
        with self._lock:
            i = self._next
            self._next = min(len(self.code), i + k)
            return i, self._next

    def finish(self, ids, code, t, yt, steps):
        self.code[ids], self.t_end[ids], self.steps[ids] = code, t, steps
        self.y[ids] = yt.T
        with self._lock:
            self._finished += len(ids)
            if self.progress is not None:
                self.progress(self._finished, len(self.code))


@contextlib.contextmanager
def _sigint_flag(run, on):
    """While active (``on`` and in the main thread, the only one signal handlers run in), SIGINT
    sets ``run.interrupted`` instead of raising KeyboardInterrupt mid-step: the workers finish
    their sweep, save and stop."""
    if not on:
        yield
        return

    def handler(signum, frame):
        run.interrupted = True

    with signal_handler(signal.SIGINT, handler):
        yield


def _work(run: _Batch) -> None:
    """Integrate trajectories from ``run``'s queue, ``run.width`` at a time, until it is empty.

    Columns that finish stay in the working set (frozen) until an eighth of it has finished;
    then it is compacted and topped up from the queue, so the numpy calls stay wide.
    """
    setters = _single_thread_blas() or []
    previous = [fn(1) for fn in setters]
    try:
        with _quiet(np):  # per thread: divergence is detected and reported as a status
            return _work_loop(run, np.dot if setters else _combine_einsum)
    except BaseException:
        run.failed = True  # the other workers stop at their next sweep
        raise
    finally:
        for fn, p in zip(setters, previous):
            fn(p)


def _work_loop(run: _Batch, _combine) -> None:
    n, W, field = run.n, run.width, run.field
    rtol, atol, conv_tol, bound = run.rtol, run.atol, run.conv_tol, run.bound
    kbuf = np.empty((_NS + 1) * n * W)
    ybuf, ebuf = np.empty(n * W), np.empty(n * W)
    w = 0
    ids = np.empty(0, dtype=np.int64)
    y = np.empty((n, 0))
    f0 = np.empty((n, 0))
    t = h = tmax = np.empty(0)
    steps = np.empty(0, dtype=np.int64)
    retry = done = np.empty(0, dtype=bool)
    while True:
        if run.failed:
            return
        if run.interrupted:  # Ctrl-C: the running columns' last accepted steps are the result
            live = np.flatnonzero(~done)
            if live.size:
                run.finish(ids[live], _INTERRUPTED, t[live], y[:, live], steps[live])
            return
        n_done = int(np.count_nonzero(done))
        if w == 0 or n_done >= max(1, w // 8):
            # Compact, then top up from the queue.
            keep = ~done
            parts = [(ids[keep], y[:, keep], f0[:, keep], t[keep], h[keep], tmax[keep], steps[keep], retry[keep])]
            i, j = run.take(W - (w - n_done))
            if j > i:
                new_ids = np.arange(i, j)
                yn0 = np.ascontiguousarray(run.Y0[i:j].T)
                with np.errstate(over="ignore", invalid="ignore"):
                    fn0 = field(yn0, np.empty_like(yn0))
                y_norm0 = np.max(np.abs(yn0), axis=0)
                out = y_norm0 > bound  # diverged before converged, at the start as at every step
                conv = _converged(fn0.T, yn0.T, conv_tol) & ~out
                for mask, code in ((out, _DIVERGED), (conv, _CONVERGED)):
                    if mask.any():
                        m = int(mask.sum())
                        run.finish(new_ids[mask], code, np.zeros(m), yn0[:, mask], np.zeros(m, np.int64))
                go = ~conv & ~out
                new_ids, yn0, fn0 = new_ids[go], yn0[:, go], fn0[:, go]
                tm = run.t_max[new_ids]
                parts.append((new_ids, yn0, fn0, np.zeros(len(new_ids)),
                              _initial_step(field, yn0, fn0, tm, rtol, atol), tm,
                              np.zeros(len(new_ids), np.int64), np.zeros(len(new_ids), bool)))
            ids, yc, fc, t, h, tmax, steps, retry = (
                np.concatenate(p, axis=-1) for p in zip(*parts))
            w = len(ids)
            if w == 0:
                if j > i:
                    continue
                return
            done = np.zeros(w, dtype=bool)
            K = kbuf[: (_NS + 1) * n * w].reshape(_NS + 1, n, w)
            K2 = K.reshape(_NS + 1, n * w)
            f0 = K[0]
            f0[...] = fc
            y = ybuf[: n * w].reshape(n, w)
            y[...] = yc
            sc = ebuf[: n * w].reshape(n, w)
        # One Dormand-Prince step for every column, each with its own step size.
        hh = np.minimum(h, tmax - t)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for s in range(1, _NS):
                ys = _combine(_A_ROWS[s], K2[:s]).reshape(n, w)
                ys *= hh
                ys += y
                field(ys, K[s])
            ynew = _combine(_B, K2[:_NS]).reshape(n, w)
            ynew *= hh
            ynew += y
            field(ynew, K[_NS])
            err = _combine(_E53, K2)
            np.abs(y, out=sc)
            np.maximum(sc, np.abs(ynew), out=sc)
            sc *= rtol
            sc += atol
            e = err.reshape(2, n, w)
            e /= sc
            e *= e
            e53 = e.sum(axis=1)
            y_norm = np.max(np.abs(ynew), axis=0)
            accept, h = _step_control(np, hh, e53, n, y_norm, done, retry, bound)
            # |f(y_new)|: an accepted column's |f| (the events read it only there).
            f_norm = np.max(np.abs(K[_NS]), axis=0)
            candidate = _damp_candidates(np, accept, steps + accept, f_norm, y_norm, hh, conv_tol, rtol, atol)
            damp = bool(candidate.any())
            if damp:  # the stiffness estimate needs K[0] before it takes f(y_new)
                st_num, st_den = _stiffness_sums(np, _combine(_D_LAST, K2[:_NS]).reshape(n, w), K)
        retry = ~accept
        np.copyto(y, ynew, where=accept)
        np.copyto(K[0], K[_NS], where=accept)
        t = t + np.where(accept, hh, 0.0)
        steps += accept
        run.attempts += w - n_done

        code = _event_codes(np, accept, done, t, tmax, h, steps, f_norm, y_norm, conv_tol, bound, run.max_steps)
        if (code == _DIVERGED).any():  # a step that collapsed on a NaN field, not a blow-up?
            _mark_non_finite(code, accept, K, y, y_norm, bound)
        if damp:
            h = _damped_steps(np, h, hh, candidate, code, st_num, st_den)
        fin = np.flatnonzero(code)
        if fin.size:
            run.finish(ids[fin], code[fin], t[fin], y[:, fin], steps[fin])
            done[fin] = True
            # Frozen columns compute on harmless values until the next compaction.
            y[:, fin] = 0.0
            K[0][:, fin] = 0.0
            t[fin], h[fin] = 0.0, 1.0
