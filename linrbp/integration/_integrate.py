"""Integrators for autonomous vector fields y' = f(y), one start or many at once.

Both return an :class:`IntegrationResult` and stop each trajectory at the first of:

* ``converged``: the field is small relative to the state, |f(y)|_inf <= conv_tol (1 + |y|_inf);
* ``diverged``: |y|_inf passes ``bound`` (or the state stops being finite); ``t_end`` is the
  time it did, an estimate of a finite blow-up time;
* ``time-limit``: t reached ``t_max``; the state reported is the state at t_max;
* ``step-limit``: ``max_steps`` accepted steps were taken before any of the above (a run whose
  steps shrink as the weights grow, e.g. `srbp-bottleneck`, ends here in bounded wall time);
  the state reported is the state after the last step.
* ``interrupted`` (only with ``interruptible=True``): Ctrl-C; the state reported is the last
  accepted step's (:func:`integrate_batch`: t = 0 and the start for trajectories not yet begun).

:func:`integrate` is the reference path through :func:`scipy.integrate.solve_ivp` (DOP853,
terminal events, root-found). :func:`integrate_batch` runs Dormand-Prince 8(5,3), the same
tableau as scipy's DOP853 read from scipy itself, on a whole batch with a step size per
trajectory, in vectorised numpy: component-major (n, width) working sets topped up from a
queue as trajectories finish, one per worker thread, stage sums through one-thread BLAS, and
the field's compiled straight-line form when it has one (``transposed_kernel``). Events are
checked after each accepted step (not root-found). Its default, ``backend="auto"``, runs the
same method compiled (:mod:`linrbp.integration._auto`, :mod:`linrbp.integration._numba_backend`)
wherever it can.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.integrate import solve_ivp

from ..core._checks import check_t_max  # noqa: F401 - used below, and imported from here by others
from ..core._errors import InputError
from ..core._field import LinearSystem
from ..core._resources import usable_cpus
from ._batch_loop import (_CACHE_DOUBLES, _INTERRUPTED, _MAX_WIDTH, _MIN_WIDTH, _NON_FINITE, STATUSES,  # noqa: F401
                          _Batch, _column_field, _converged, _sigint_flag, _single_thread_blas, _work)
from ._bdf import solver_for
from ._dop853 import _DIVERGED, _NS

__all__ = ["IntegrationResult", "integrate", "integrate_batch", "STATUSES"]

# "non-finite": the field returned NaN or inf at a finite state within the bound (a rule's
# function that computes NaN): the run ends there, info["message"] names the rule.

DEFAULT_RTOL = 1e-12
DEFAULT_ATOL = 1e-14
DEFAULT_CONV_TOL = 1e-12
DEFAULT_BOUND = 1e8


@dataclass
class IntegrationResult:
    r"""Final states of one or more trajectories (what :func:`integrate` and
    :func:`integrate_batch` return).

    Arrays have one entry per trajectory (B = 1 for :func:`integrate`); times are in the
    time units of the ODE.

    Parameters
    ----------
    status : numpy.ndarray of str, shape (B,)
        Why each trajectory stopped: ``converged`` (the field fell below ``conv_tol``),
        ``diverged`` (a component passed ``bound``), ``time-limit`` (reached ``t_max``),
        ``step-limit`` (``max_steps`` accepted steps) or ``interrupted`` (Ctrl-C).
    t_end : numpy.ndarray, shape (B,)
        The time each trajectory stopped at.
    y : numpy.ndarray, shape (B, n)
        The final states.
    n_steps : numpy.ndarray of int, shape (B,)
        Accepted steps.
    t, ys : numpy.ndarray or None, optional
        The dense path of a single trajectory when asked for (:func:`integrate` with ``dense``
        or ``t_eval``): times (m,) and states (m, n).
    info : dict, optional
        What ran: backend, device, fallback reason, scipy's message, function evaluations.

    Examples
    --------
    :math:`\dot y = -y` from :math:`(1, -2)` to :math:`t = 3` (``conv_tol=0``: no early stop)
    ends near :math:`e^{-3} (1, -2)`:

    >>> import numpy as np, linrbp
    >>> res = linrbp.integrate(lambda y: -y, [1.0, -2.0], t_max=3.0, conv_tol=0)
    >>> res.status.tolist(), res.t_end.tolist(), res.y.shape
    (['time-limit'], [3.0], (1, 2))
    >>> bool(np.allclose(res.y[0], np.exp(-3.0) * np.array([1.0, -2.0]), rtol=1e-10))
    True
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


def _check_start(y0, name="y0") -> np.ndarray:
    try:
        y0 = np.asarray(y0, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected an array of numbers") from None
    if not np.all(np.isfinite(y0)):
        raise InputError(f"{name}: initial state contains NaN or infinity")
    return y0


def check_tolerances(rtol, atol, conv_tol, bound, conv_tol_zero: bool = False) -> None:
    """rtol, atol, conv_tol and bound: positive finite numbers (``conv_tol_zero``: conv_tol = 0,
    never converged, is allowed too)."""
    for name, value in (("rtol", rtol), ("atol", atol), ("conv_tol", conv_tol), ("bound", bound)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value) or value < 0 or (value == 0 and not (conv_tol_zero and name == "conv_tol")):
            raise InputError(f"{name}: must be positive and finite, got {value!r}")


def _check_width(fun, n: int, name: str = "y0") -> bool:
    """A state of length ``n`` fits ``fun`` when it is a LinearSystem (which knows its state
    length); False when ``fun`` is some other callable (its output is checked instead)."""
    if not isinstance(fun, LinearSystem):
        return False
    expected = fun.n_state
    if n != expected:
        raise InputError(f"{name}: states of this system have {expected} components, got {n}")
    return True


def _check_field_value(f, y0, name: str = "y0") -> np.ndarray:
    f = np.asarray(f, dtype=float)
    if f.shape != y0.shape:
        raise InputError(f"{name}: the field returns shape {f.shape} for a start of shape {y0.shape}")
    return f


def _check_fun(fun) -> None:
    if not callable(fun):
        raise InputError(f"fun: expected a LinearSystem or a function y -> dy/dt, got "
                         f"{type(fun).__name__} {fun!r:.40}")


class _NonFinite(Exception):
    def __init__(self, t, y, f):
        super().__init__()
        self.t, self.y, self.f = t, y, f


def _non_finite_message(fun, t: float, f) -> str:
    """What a non-finite field value was, naming the rule of a LinearSystem."""
    f = np.asarray(f)
    what = "NaN" if np.isnan(f).any() else "inf"
    who = f"rule {fun.rule.name}" if isinstance(fun, LinearSystem) else "the function"
    return (f"the field is {what} at t = {t:.6g} at a finite state: {who} computes a non-finite "
            "value there (check its functions)")


def _non_finite_rows(fun, Y, bound) -> np.ndarray:
    """Rows of the finite starts ``Y`` (B, n) where ``fun`` is not finite."""
    bad = np.zeros(len(Y), dtype=bool)
    step = max(1, (1 << 22) // max(Y.shape[-1], 1))  # about 32 MiB of states at a time
    with np.errstate(all="ignore"):
        for i in range(0, len(Y), step):
            F = np.asarray(fun(Y[i:i + step].copy()), dtype=float)
            bad[i:i + step] = ~np.isfinite(F).all(axis=-1)
    return bad


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
    max_steps: int | None = None,
    on_step: Callable[[float, np.ndarray, float], None] | None = None,
    interruptible: bool = False,
) -> IntegrationResult:
    r"""Integrate one trajectory with :func:`scipy.integrate.solve_ivp` until it stops.

    The reference integrator: one start, scipy's adaptive DOP853 (or another ``method``), and
    three terminal events tested at every accepted step: convergence, divergence and the step
    limit. The batched integrator :func:`integrate_batch` is tested against it.

    Parameters
    ----------
    fun : callable
        The vector field, ``fun(y) -> dy/dt`` for a state ``y`` of shape (n,) (autonomous: no
        time argument). A :class:`LinearSystem` is such a callable.
    y0 : array_like, shape (n,)
        The start. Finite numbers.
    t_max : float
        The time limit (time units of the ODE, > 0). Reaching it gives status ``time-limit``.
    rtol, atol : float, optional
        Relative and absolute tolerances of the step-size control (dimensionless, and in the
        units of ``y``): each step's local error estimate must stay below
        ``atol + rtol * |y|`` componentwise. Defaults 1e-12 and 1e-14.
    conv_tol : float, optional
        The convergence test (default 1e-12): the run stops with status ``converged`` at the
        first accepted step where :math:`\max_i |f_i(y)| \le \mathrm{conv\_tol}\,(1 + \max_i |y_i|)`,
        i.e. the field is negligible relative to the state. 0 runs to ``t_max``.
    bound : float, optional
        The divergence test (default 1e8, units of ``y``): status ``diverged`` when
        :math:`\max_i |y_i| > \mathrm{bound}`.
    method : str, optional
        A :func:`scipy.integrate.solve_ivp` method, default ``"DOP853"``; ``"BDF"`` or
        ``"LSODA"`` for stiff runs.
    dense : bool, optional
        Keep every accepted step in ``t`` and ``ys`` (default False).
    t_eval : array_like, optional
        Times at which to sample the path instead (into ``t`` and ``ys``).
    max_steps : int, optional
        End with status ``step-limit`` after that many accepted steps (default: no limit).
    on_step : callable, optional
        ``on_step(t, y, max|f(y)|)`` after every accepted step (for progress).
    interruptible : bool, optional
        When True a KeyboardInterrupt (Ctrl-C) ends the run with status ``interrupted`` at the
        last accepted step instead of propagating (default False).

    Returns
    -------
    IntegrationResult
        One trajectory: ``status`` (1,), ``t_end`` (1,), ``y`` (1, n), ``n_steps`` (1,), and
        ``t``/``ys`` when ``dense`` or ``t_eval`` was given.

    Raises
    ------
    InputError
        (a ValueError) for a bad ``y0``, ``t_max``, tolerance or ``max_steps``, or a field that
        returns the wrong shape or non-finite values at the start; raised before integrating.

    See Also
    --------
    integrate_batch : many starts at once, with the same stopping rules.

    Examples
    --------
    The chain :math:`A[1,1,1]` under RBP converges to the hyperbola :math:`a_1 a_2 = \alpha/\beta`:

    >>> import numpy as np, linrbp
    >>> stats = linrbp.DataStats.from_matrices([[2.0]], [[1.5]])
    >>> system = linrbp.LinearSystem.create([1, 1, 1], "rbp", stats, feedback=[[[0.7]]])
    >>> res = linrbp.integrate(system, [0.3, -0.5], t_max=1e4)
    >>> str(res.status[0]), round(float(res.y[0, 0] * res.y[0, 1]), 9)
    ('converged', 0.75)

    A field that grows without bound stops at ``bound``:

    >>> res = linrbp.integrate(lambda y: y ** 2, [1.0], t_max=10.0, bound=1e6)
    >>> str(res.status[0]), bool(res.t_end[0] < 1.0)
    ('diverged', True)
    """
    _check_fun(fun)
    t_max = check_t_max(t_max)
    y0 = _check_start(y0)
    if y0.ndim != 1:
        raise InputError(f"y0: expected one state (a 1-d array), got shape {y0.shape}")
    check_tolerances(rtol, atol, conv_tol, bound, conv_tol_zero=True)  # conv_tol 0: run to t_max
    if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer))
                                  or max_steps < 1):
        raise InputError(f"max_steps: must be a positive integer, got {max_steps!r}")
    _check_width(fun, y0.size)
    with np.errstate(over="ignore", invalid="ignore"):
        f0 = _check_field_value(fun(y0), y0)
    if y0.size and np.max(np.abs(y0)) > bound:  # diverged before converged, at the start too
        return IntegrationResult(np.array(["diverged"]), np.zeros(1), y0[None].copy(),
                                 np.zeros(1, int), np.zeros(1) if dense or t_eval is not None else None,
                                 y0[None].copy() if dense or t_eval is not None else None)
    if not np.isfinite(f0).all():
        return IntegrationResult(np.array(["non-finite"]), np.zeros(1), y0[None].copy(), np.zeros(1, int),
                                 info={"message": _non_finite_message(fun, 0.0, f0)})
    if _converged(f0, y0, conv_tol):
        return IntegrationResult(np.array(["converged"]), np.zeros(1), y0[None].copy(),
                                 np.zeros(1, int), np.zeros(1) if dense or t_eval is not None else None,
                                 y0[None].copy() if dense or t_eval is not None else None)

    def rhs(t, y):
        f = fun(y)
        # NaN at a finite state within the bound would shrink the step forever: end the run.
        if not math.isfinite(float(np.sum(f))) and not np.isfinite(f).all() \
                and np.max(np.abs(y)) <= bound:
            raise _NonFinite(t, y, f)
        return f

    last = [0.0, y0]  # the last accepted step (events are evaluated on accepted steps)

    def ev_converged(t, y):
        fn = np.max(np.abs(fun(y)))
        last[0], last[1] = t, y
        if on_step is not None:
            on_step(t, y, fn)
        return fn - conv_tol * (1.0 + np.max(np.abs(y)))

    def ev_diverged(t, y):
        return np.max(np.abs(y)) - bound

    # solve_ivp evaluates every event once at the start and once per accepted step (root
    # finding then calls only the event whose sign changed), so this counts steps: it is -1
    # until the limit, then t - t_stop, which crosses 0 exactly at the step that reached it.
    steps = {"n": -1, "t_stop": None}

    def ev_steps(t, y):
        if steps["t_stop"] is not None:
            return t - steps["t_stop"]
        steps["n"] += 1
        if max_steps is not None and steps["n"] >= max_steps:
            steps["t_stop"] = t
            return 0.0
        return -1.0

    ev_converged.terminal = True
    ev_converged.direction = -1
    ev_diverged.terminal = True
    ev_diverged.direction = 1
    ev_steps.terminal = True
    ev_steps.direction = 1

    try:
        with np.errstate(over="ignore", invalid="ignore"):
            sol = solve_ivp(rhs, (0.0, t_max), y0, method=solver_for(method), rtol=rtol, atol=atol,
                            events=[ev_converged, ev_diverged, ev_steps], dense_output=False, t_eval=t_eval)
    except _NonFinite as exc:
        return IntegrationResult(np.array(["non-finite"]), np.array([float(last[0])]),
                                 np.array(last[1], dtype=float)[None].copy(),
                                 np.array([max(steps["n"], 0)], int),
                                 info={"message": _non_finite_message(fun, exc.t, exc.f)})
    except KeyboardInterrupt:
        if not interruptible:
            raise
        return IntegrationResult(np.array(["interrupted"]), np.array([float(last[0])]),
                                 np.array(last[1], dtype=float)[None].copy(),
                                 np.array([max(steps["n"], 0)], int),
                                 info={"message": "interrupted (Ctrl-C)"})
    y_end = sol.y[:, -1]
    if sol.status == 1 and len(sol.t_events[0]):
        status, t_end, y_end = "converged", sol.t_events[0][0], sol.y_events[0][0]
    elif sol.status == 1 and len(sol.t_events[1]):
        status, t_end, y_end = "diverged", sol.t_events[1][0], sol.y_events[1][0]
    elif sol.status == 1 and len(sol.t_events[2]):
        status, t_end, y_end = "step-limit", sol.t_events[2][0], sol.y_events[2][0]
    elif sol.status == 0:
        status, t_end = "time-limit", sol.t[-1]
    else:
        # The step size collapsed: a finite-time blow-up that outran the bound check.
        status, t_end = "diverged", sol.t[-1]
    out = IntegrationResult(np.array([status]), np.array([float(t_end)]), np.asarray(y_end)[None].copy(),
                            np.array([max(steps["n"], 0)]),
                            info={"nfev": sol.nfev, "message": sol.message, "steps": max(steps["n"], 0)})
    if dense or t_eval is not None:
        out.t, out.ys = sol.t, sol.y.T
    return out


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
    workers: int | None = None,
    backend: str = "auto",
    interruptible: bool = False,
    device: str | None = None,
    executor=None,
    chunk: int | None = None,
) -> IntegrationResult:
    r"""Integrate many starts at once, each with its own adaptive step and its own stop.

    The batched integrator: scipy's DOP853 tableau, error norm and step control, applied to a
    batch of B trajectories in lockstep arrays; each trajectory stops on its own event, with the
    same stopping rules as :func:`integrate`. Each trajectory's arithmetic does not depend on
    the others, so results do not depend on the batch size, the number of workers or the
    executor beyond rounding.

    Parameters
    ----------
    fun : callable
        The vector field on a batch: ``fun(Y)`` maps states of shape (b, n) to their
        derivatives (b, n). A :class:`LinearSystem` is such a callable; when ``fun`` has a
        ``transposed_kernel()`` method (a :class:`LinearSystem` does) its generated code on
        component-major (n, b) states is used instead.
    y0 : array_like, shape (B, n)
        The starts, one per row. Finite numbers.
    t_max : float or array_like of shape (B,)
        The time limit, one for all or one per trajectory (time units of the ODE, > 0).
    rtol, atol : float, optional
        Relative and absolute tolerances of each trajectory's step-size control
        (dimensionless, and in the units of ``y``): the local error estimate of a step must stay
        below ``atol + rtol * |y|`` componentwise, else the step is rejected and shrunk.
        Defaults 1e-12 and 1e-14.
    conv_tol : float, optional
        The convergence test (default 1e-12, dimensionless): a trajectory stops with status
        ``converged`` at the first accepted step where
        :math:`\max_i |f_i(y)| \le \mathrm{conv\_tol}\,(1 + \max_i |y_i|)`.
    bound : float, optional
        The divergence test (default 1e8, units of ``y``): status ``diverged`` when
        :math:`\max_i |y_i| > \mathrm{bound}` (a finite-time blow-up passes any bound).
    max_steps : int, optional
        Status ``step-limit`` after that many accepted steps (default 200000).
    progress : callable, optional
        ``progress(done, total)``, called as trajectories finish.
    workers : int, optional
        Threads the batch is split over (default: the CPUs this process may run on when
        ``fun`` has a generated kernel, else 1). With ``executor``: threads per chunk
        (default 1).
    backend : {"auto", "numpy", "numba", "torch"}, optional
        ``"auto"`` (default): ``"numba"`` when numba is installed and ``fun`` is a
        :class:`LinearSystem` with a generated field (``n_state`` up to 64), else ``"numpy"``
        (a plain callable, a larger system, ``interruptible=True``, or the environment
        variable ``LINRBP_AUTO_BACKEND=numpy``); without numba it says so once per process on
        stderr. Trajectories the compiled run ends ``diverged`` inside the bound (a step that
        collapsed) are rerun on the numpy path, which tells a non-finite field from a blow-up.
        ``"numpy"``: the vectorised numpy loop. ``"numba"``: the same method compiled, one
        trajectory at a time, on ``workers`` threads (``pip install 'linrbp[jit]'``; where it
        cannot run it says so in one line on stderr, runs the numpy path and records why in
        ``info["fallback"]``); the first run of a system's structure compiles its kernel (one
        line on stderr says so) and caches it on disk. ``"torch"`` runs the numpy path's
        method on ``device`` (``fun`` a :class:`LinearSystem`). ``info["backend"]`` is the
        backend that ran; where auto chose numpy, ``info["auto_reason"]`` says why.
    interruptible : bool, optional
        When True (numpy backend, main thread), Ctrl-C ends the run between steps: running
        trajectories get status ``interrupted`` at their last accepted step, those not yet
        started ``interrupted`` at t = 0 (default False). ``"auto"`` then runs the numpy path.
    device : str, optional
        The torch device (default: the GPU if torch sees one, else the CPU); torch only.
    executor : concurrent.futures.Executor, optional
        A process pool, or a Dask cluster's ``Client.get_executor()``: the batch is integrated
        as consecutive chunks of ``chunk`` starts, one task each. ``fun`` must pickle (a
        :class:`LinearSystem` does). The chunking does not depend on the executor, so every
        executor gives the same bits.
    chunk : int, optional
        Starts per task with an ``executor`` (default 8192).

    Returns
    -------
    IntegrationResult
        ``status`` (B,) (``converged``, ``diverged``, ``time-limit``, ``step-limit`` or
        ``interrupted``), ``t_end`` (B,), ``y`` (B, n) final states, ``n_steps`` (B,) accepted
        steps, and ``info`` (backend that ran, device, fallback, auto_reason).

    Raises
    ------
    InputError
        (a ValueError) for starts that are not a finite (B, n) array, a bad ``t_max``,
        tolerance, ``max_steps``, ``backend``, a ``chunk`` without executor, a ``device``
        without torch, or a field of the wrong width; raised before integrating.

    See Also
    --------
    integrate : one trajectory with scipy's solve_ivp (the reference).

    Examples
    --------
    Three starts of the chain :math:`A[1,1,1]` under RBP, each stopping on its own:

    >>> import numpy as np, linrbp
    >>> stats = linrbp.DataStats.from_matrices([[2.0]], [[1.5]])
    >>> system = linrbp.LinearSystem.create([1, 1, 1], "rbp", stats, feedback=[[[0.7]]])
    >>> starts = np.array([[0.3, -0.5], [1.0, 1.0], [-0.2, 0.1]])
    >>> res = linrbp.integrate_batch(system, starts, t_max=1e4, workers=1)
    >>> res.status.tolist()
    ['converged', 'converged', 'converged']
    >>> np.round(res.y[:, 0] * res.y[:, 1], 9)
    array([0.75, 0.75, 0.75])

    The same first start agrees with the reference integrator:

    >>> ref = linrbp.integrate(system, starts[0], t_max=1e4)
    >>> bool(np.allclose(res.y[0], ref.y[0], rtol=1e-8))
    True
    """
    _check_fun(fun)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise InputError(f"executor: expected a concurrent.futures.Executor (with submit), got "
                         f"{type(executor).__name__} {executor!r:.40}")
    Y = _check_start(y0, "y0")
    if Y.ndim != 2:
        raise InputError(f"y0: expected a (batch, n) array, got shape {Y.shape}")
    B, n = Y.shape
    t_max = np.broadcast_to([check_t_max(tm) for tm in np.ravel(np.asarray(t_max, dtype=object))]
                            if np.ndim(t_max) else check_t_max(t_max), (B,)).astype(float)
    check_tolerances(rtol, atol, conv_tol, bound)
    if not _check_width(fun, n) and B:  # another callable: one row shows its width
        with np.errstate(all="ignore"):
            f1 = np.asarray(fun(Y[:1].copy()))
        if f1.shape != (1, n):
            raise InputError(f"y0: the field returns shape {f1.shape} for one start of width {n}")
    if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
        raise InputError(f"max_steps: must be a positive integer, got {max_steps!r}")
    if backend not in ("auto", "numpy", "torch", "numba"):
        raise InputError(f"backend: expected 'auto', 'numpy', 'numba' or 'torch', got {backend!r}")
    if backend == "auto":  # the compiled path where it can run (linrbp.integration._auto)
        from ._auto import integrate_auto
        return integrate_auto(integrate_batch, fun, Y, t_max, interruptible, dict(
            rtol=rtol, atol=atol, conv_tol=conv_tol, bound=bound, max_steps=max_steps, workers=workers,
            device=device), dict(progress=progress, executor=executor, chunk=chunk))
    if executor is not None:
        if backend == "numba":  # compile once here, not once in every worker process
            from ._auto import prepare
            prepare(fun, rtol, atol, conv_tol, bound, max_steps)
        from ._chunks import integrate_chunked
        return integrate_chunked(integrate_batch, IntegrationResult, fun, Y, t_max, executor, chunk,
                                 progress, dict(
            rtol=rtol, atol=atol, conv_tol=conv_tol, bound=bound, max_steps=max_steps,
            workers=1 if workers is None else workers, backend=backend, device=device))
    if chunk is not None:
        raise InputError("chunk: only used with an executor")
    if device is not None and backend != "torch":
        raise InputError("device: only the torch backend runs on a device")
    # A field that is NaN or inf at a start would shrink that start's step until it "diverges":
    # such starts end at once with status non-finite, whatever the backend; a start past the
    # bound has diverged already where its field overflows (a start past the bound with a
    # finite field takes its one step, as always).
    bad_f = _non_finite_rows(fun, Y, bound) if B else np.zeros(0, bool)
    beyond = np.max(np.abs(Y), axis=-1, initial=0.0) > bound if B else np.zeros(0, bool)
    past, nonfinite = bad_f & beyond, bad_f & ~beyond
    bad = bad_f
    if bad.any():
        code = np.where(nonfinite, STATUSES.index("non-finite") + 1, np.where(past, _DIVERGED, 0))
        t_end, y, steps = np.zeros(B), Y.copy(), np.zeros(B, np.int64)
        info = {"starts_past_bound": int(past.sum())}
        if nonfinite.any():
            first = int(np.flatnonzero(nonfinite)[0])
            with np.errstate(all="ignore"):
                message = _non_finite_message(fun, 0.0, np.asarray(fun(Y[first:first + 1].copy())))
            info.update(message=message, non_finite_starts=int(nonfinite.sum()))
        if not bad.all():
            rest = integrate_batch(fun, Y[~bad], t_max[~bad], rtol=rtol, atol=atol, conv_tol=conv_tol,
                                   bound=bound, max_steps=max_steps, progress=progress, workers=workers,
                                   backend=backend, interruptible=interruptible, device=device)
            status = np.array(("",) + STATUSES)[code].astype(object)
            status[~bad] = rest.status
            t_end[~bad], y[~bad], steps[~bad] = rest.t_end, rest.y, rest.n_steps
            info = {**rest.info, **info}
            return IntegrationResult(status.astype(str), t_end, y, steps, info=info)
        return IntegrationResult(np.array(("",) + STATUSES)[code], t_end, y, steps,
                                 info={"backend": backend, **info})  # (what would have run)
    if backend == "torch":
        from ._torch_loop import run_torch
        code, t_end, y, steps, info = run_torch(fun, Y, t_max, rtol, atol, conv_tol, bound, int(max_steps),
                                                progress, device)
        return IntegrationResult(np.array(("",) + STATUSES)[code], t_end, y, steps, info=info)
    fallback = None
    if backend == "numba":
        from ._numba_backend import numba_or_fallback
        out, fallback = numba_or_fallback(fun, Y, t_max, rtol, atol, conv_tol, bound, int(max_steps),
                                          progress, workers)
        if out is not None:
            code, t_end, y, steps, info = out
            return IntegrationResult(np.array(("",) + STATUSES)[code], t_end, y, steps, info=info)
    field, fast = _column_field(fun, B)
    width = int(np.clip(_CACHE_DOUBLES // ((_NS + 1) * max(n, 1)), _MIN_WIDTH, _MAX_WIDTH))
    width = min(width, max(B, 1))
    if workers is None:
        workers = usable_cpus() if fast else 1
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise InputError(f"workers: must be a positive integer, got {workers!r}")
    workers = int(max(1, min(workers, B // _MIN_WIDTH)))
    if workers > 1:
        width = min(width, -(-B // workers))
    run = _Batch(field, Y, t_max, rtol, atol, conv_tol, bound, int(max_steps), width, progress)
    if B:
        with _sigint_flag(run, interruptible):
            if workers == 1:
                _work(run)
            else:
                with ThreadPoolExecutor(workers) as pool:
                    for fut in [pool.submit(_work, run) for _ in range(workers)]:
                        fut.result()
    if run.interrupted:
        run.code[run.code == 0] = _INTERRUPTED  # never started: the start, at t = 0
    status = np.array(("",) + STATUSES)[run.code]
    info = {"backend": "numpy", "workers": workers, "width": width, "fast_field": fast,
            "step_attempts": run.attempts}
    if (run.code == _NON_FINITE).any():
        i = int(np.flatnonzero(run.code == _NON_FINITE)[0])
        who = f"rule {fun.rule.name}" if isinstance(fun, LinearSystem) else "the function"
        info["message"] = (f"the field is NaN or inf next to the state at t = {run.t_end[i]:.6g} "
                           f"({int((run.code == _NON_FINITE).sum())} of {B} runs): {who} computes a "
                           "non-finite value there (check its functions)")
    if fallback is not None:
        info["fallback"] = fallback
    return IntegrationResult(status, run.t_end, run.y, run.steps, info=info)
