"""``backend="auto"`` of :func:`linrbp.integrate_batch`: the compiled integrator wherever it can
run, else the numpy one.

Auto picks ``"numba"`` when numba can be imported and the field is a
:class:`~linrbp.LinearSystem` with a generated field (``n_state`` within
``linrbp.core._field.COMPILE_MAX_STATE``), and ``"numpy"`` otherwise: for a plain callable
(the claims' scalar and non-linear fields, :func:`~linrbp.integration._ensemble.integrate_systems`'s
ensembles: all 84 of ``linrbp verify``'s calls, measured on 2026-12-07), a system too large
for generated code, ``interruptible=True`` (Ctrl-C between
steps, with status ``interrupted`` for the runs it stops, is the numpy loop's: a compiled
kernel call cannot be stopped halfway) and ``$LINRBP_AUTO_BACKEND=numpy``. The choice does not
depend on the batch size or on whether the kernel is already in the cache, so one command
runs one backend on one installation; ``info["backend"]`` records the backend that ran and,
where auto chose numpy, ``info["auto_reason"]`` why.

Why not choose by batch size: compiling a structure's kernel costs far more than a small
batch on numpy (measured 2026-12-07 on a loaded 2-core AMD EPYC: 19 CPU-s to compile A[1,1,1]
RBP's kernel on a fresh cache, 0.054 CPU-s for 2,000 of its starts on numpy, 0.006 on the
compiled kernel), but only once per structure and installation: every later run, in any process,
loads its machine code from the cache. A rule that guessed from the batch would run one command on
different backends depending on what the cache holds; auto compiles once, announces it, and is
the same everywhere after. ``LINRBP_AUTO_BACKEND=numpy`` is the way out for short jobs on
fresh machines. (The claims of ``linrbp verify`` integrate plain fields and ensembles, which
auto runs on numpy, so their tolerances, instance counts and speed do not change; their
ensembles could run compiled through ``run_numba(..., params=)``, one kernel with per-start
moments, but their convergence and bound tests read the state with the data in it, so that
would be a change of their method, not of backend.)

Without numba, auto says so in one line on stderr, once per process (a verify run or a sweep
calls the integrator many times), naming ``pip install 'linrbp[jit]'``.

Two things the numpy loop does that the compiled kernels do not, and how auto keeps the
statuses' meaning:

* non-finite: the numpy loop tells a step that collapsed because the field gave NaN or inf
  next to the state (status ``non-finite``) from one that collapsed at a finite-time blow-up
  between bound checks (``diverged``); the kernels call both ``diverged``. Both end with the
  state inside the bound (a run that passes the bound ends past it), so after a compiled run
  auto reruns exactly those trajectories (``diverged`` with ``max|y| <= bound``) on the numpy
  loop and reports the numpy loop's results for them (``info["numpy_rerun"]`` counts them).
  They are rare (a NaN field, or a blow-up the step control cannot follow to the bound), and
  the rerun costs a numpy run of those trajectories alone.
* Ctrl-C: see above; with ``interruptible=True`` auto runs the numpy loop.

The first compiled run of a system's structure (layers, rule, feedback shapes) on a fresh
cache compiles what it needs (the compiled loop once per machine, the system's step in
seconds): ``run_numba`` says so in one line on stderr before it starts; later runs, in this
process or another, load the loop from the cache.
"""

from __future__ import annotations

import os
import sys
import threading

from ..core._errors import InputError

__all__ = ["AUTO_ENV", "resolve_backend", "integrate_auto", "prepare", "collapsed_rows"]

AUTO_ENV = "LINRBP_AUTO_BACKEND"
INSTALL = "pip install 'linrbp[jit]'"

_SAID: set = set()
_SAID_LOCK = threading.Lock()


def _say_once(key: str, line: str) -> None:
    with _SAID_LOCK:
        if key in _SAID:
            return
        _SAID.add(key)
    print(line, file=sys.stderr, flush=True)


def _numba_importable() -> bool:
    from ._numba_backend import numba_available
    return numba_available()


def resolve_backend(fun, backend: str, interruptible: bool = False) -> tuple[str, str | None]:
    """(the backend that will run, why auto chose numpy or None): ``backend`` itself unless it
    is ``"auto"``. Says once per process on stderr when numba is missing."""
    if backend != "auto":
        return backend, None
    env = os.environ.get(AUTO_ENV, "")
    if env not in ("", "numpy"):
        raise InputError(f"{AUTO_ENV}: expected 'numpy' or unset, got {env!r}")
    if env == "numpy":
        return "numpy", f"{AUTO_ENV}=numpy"
    if interruptible:
        return "numpy", ("interruptible=True: only the numpy loop stops between steps on Ctrl-C "
                         "(status interrupted)")
    from ._numba_backend import unsupported_reason
    why = unsupported_reason(fun)
    if why is not None:
        return "numpy", why
    if not _numba_importable():
        _say_once("no-numba", "linrbp: the integrator runs on numpy: numba is not installed "
                  f"({INSTALL} for the compiled integrator)")
        return "numpy", f"numba is not installed ({INSTALL})"
    return "numba", None


def prepare(system, rtol, atol, conv_tol, bound, max_steps) -> None:
    """Compile (or load) ``system``'s kernel in this process, before work is handed to other
    processes, which then load it from the cache instead of each compiling it at once."""
    import numpy as np
    from ._numba_backend import Unsupported, run_numba
    try:
        run_numba(system, np.zeros((0, system.n_state)), np.zeros(0), rtol, atol, conv_tol, bound,
                  max_steps, None, 1)
    except Unsupported:
        pass  # the tasks fall back and say why


def collapsed_rows(res, bound):
    """Indices of the trajectories a compiled run ended ``diverged`` with the state inside the
    bound: a step that collapsed, on a NaN field or on a blow-up between bound checks (the
    numpy loop tells the two apart)."""
    import numpy as np
    if not len(res):
        return np.zeros(0, dtype=int)
    with np.errstate(invalid="ignore"):
        inside = ~(np.max(np.abs(res.y), axis=1) > bound)
    return np.flatnonzero((res.status == "diverged") & inside)


def integrate_auto(integrate_batch, fun, Y, t_max, interruptible, kw, once):
    """integrate_batch(..., backend="auto") on checked starts ``Y`` and times ``t_max`` (B,):
    the chosen backend's run, its collapsed trajectories rerun on numpy (see the module
    docstring). ``kw``: the settings the rerun repeats; ``once``: progress, executor, chunk."""
    chosen, why = resolve_backend(fun, "auto", interruptible)
    res = integrate_batch(fun, Y, t_max, backend=chosen, interruptible=interruptible, **kw, **once)
    rerun = collapsed_rows(res, kw["bound"]) if res.info.get("backend") == "numba" else ()
    if len(rerun):
        again = integrate_batch(fun, Y[rerun], t_max[rerun], backend="numpy", **kw)
        status = res.status.astype(object)
        status[rerun] = again.status
        res.status = status.astype(str)
        res.t_end[rerun], res.y[rerun], res.n_steps[rerun] = again.t_end, again.y, again.n_steps
        res.info["numpy_rerun"] = len(rerun)
        if "message" in again.info:
            res.info["message"] = again.info["message"]
    res.info["requested"] = "auto"
    if why is not None:
        res.info["auto_reason"] = why
    return res
