"""scipy's BDF with its LU solves called without scipy's per-call wrappers.

A BDF step of a small system solves with the iteration matrix's LU factors two or three times
(Newton iterations); :func:`scipy.linalg.lu_solve` spends most of each call in its generic
wrappers (batch dispatch, dtype lookup), measured at 14% of the ``rbp-limit`` claim's time.
:class:`FastBDF` calls LAPACK's ``dgetrs`` directly with the same arguments, so every step is
the stock solver's bit for bit (same factors, same solves, same checks: a non-finite
right-hand side raises the same ValueError).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import BDF
from scipy.linalg import lapack

from ._batch_loop import _converged

__all__ = ["FastBDF", "solver_for", "bdf_steps", "bdf_converge"]


def _solve(LU, b):
    if not np.isfinite(b).all():
        raise ValueError("array must not contain infs or NaNs")
    lu, piv = LU
    if lu.shape[0] != b.shape[0]:
        raise ValueError(f"Shapes of lu {lu.shape} and b {b.shape} are incompatible")
    x, info = lapack.dgetrs(lu, piv, b, overwrite_b=True)
    if info != 0:
        raise ValueError(f"illegal value in {-info}th argument of internal gesv|posv")
    return x


class FastBDF(BDF):
    """:class:`scipy.integrate.BDF` with direct ``dgetrs`` solves (dense, real float64)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.J, np.ndarray) and self.y.dtype == np.float64 and self.J.dtype == np.float64:
            self.solve_lu = _solve


def solver_for(method):
    """The solver ``solve_ivp`` is given for ``method``: :class:`FastBDF` for "BDF"."""
    return FastBDF if method == "BDF" else method


# --- a lean driver of the same steps, for runs to convergence -------------------------------
# solve_ivp around a BDF step costs as much again as the step (three events evaluated and
# compared at every step, the base class's checks, np.linalg.norm on 10-60 numbers): measured
# at half of the `rbp-limit` claim's time. `bdf_steps` takes the steps of scipy's BDF
# (`BDF._step_impl`, as of scipy 1.17) itself, starting from a FastBDF solver's own set-up (first
# step, Jacobian, coefficients), with the norms as one dot product each: the same accepted
# points bit for bit (tests/test_speed_paths.py compares them with the stock solver's).

CONV_SCREEN = 100.0  # see bdf_converge
_R = {}  # per order: compute_R's index arrays, its matrix M (constant parts set) and compute_R(order, 1)


def _change_D(D, order, factor):
    """scipy.integrate._ivp.bdf.change_D(D, order, factor): the same operations on the same
    operands, with compute_R's fixed parts (index arrays, M's first row and column,
    compute_R(order, 1)) made once per order."""
    pre = _R.get(order)
    if pre is None:
        from scipy.integrate._ivp.bdf import compute_R

        I = np.arange(1, order + 1)[:, None]
        J = np.arange(1, order + 1)
        M = np.zeros((order + 1, order + 1))
        M[0] = 1
        pre = _R[order] = (I, J, I - 1, M, compute_R(order, 1))
    I, J, Im1, M, U = pre
    M[1:, 1:] = (Im1 - factor * J) / I  # compute_R: (I - 1 - factor * J) / I
    RU = np.cumprod(M, axis=0).dot(U)
    D[:order + 1] = np.dot(RU.T, D[:order + 1])


def _lu_factor(A):
    """scipy.linalg.lu_factor(A, overwrite_a=True) for a finite square float64 array, without
    its wrappers (same LAPACK call; a singular matrix warns like scipy's)."""
    if not math.isfinite(A.sum()) and not np.isfinite(A).all():
        raise ValueError("array must not contain infs or NaNs")
    lu, piv, info = lapack.dgetrf(A, overwrite_a=True)
    if info < 0:
        raise ValueError(f"illegal value in {-info}th argument of internal getrf (lu_factor)")
    if info > 0:
        import warnings

        from scipy.linalg import LinAlgWarning

        warnings.warn(f"Diagonal number {info} is exactly zero. Singular matrix.", LinAlgWarning, stacklevel=2)
    return lu, piv


def bdf_steps(fun, y0, t_bound, rtol, atol):
    """Yield ``(t, y, f)`` after every accepted step of scipy's BDF on ``dy/dt = fun(y)`` from
    ``(0, y0)`` towards ``t_bound``, ``f`` the field at the step's last Newton iterate (``y``
    less the last correction); ``(t, None, None)`` when the step size collapsed (scipy's
    TOO_SMALL_STEP). ``y`` is the solver's own array: copy it to keep it."""
    for t, y, f, _ in _steps(fun, y0, t_bound, rtol, atol):
        yield t, y, f


def _steps(fun, y0, t_bound, rtol, atol):
    """:func:`bdf_steps`, also yielding ``|y|`` (elementwise, the step's own array).

    scipy's operations on the same operands in the same order, with fewer numpy calls: scalars
    as Python floats, products and differences formed in place (``c f - psi - d`` as
    ``b = c f; b -= psi; b -= d``), the first Newton iterate's ``- 0`` and copy left out
    (``x - 0`` is ``x`` bit for bit; ``0 + dy`` is kept as ``dy + 0.0``, which turns -0.0
    into +0.0 as scipy's does), the difference update's running sums as one
    ``np.add.accumulate`` (the same additions in the same order), and a non-finite right-hand
    side detected from the solve's norm (a NaN or inf in ``b`` reaches ``dy``, hence its norm)
    and then handled as scipy does (a non-finite field ends the Newton iteration; otherwise the
    solve's finiteness check raises).
    """
    from scipy.integrate._ivp.bdf import MAX_FACTOR, MAX_ORDER, MIN_FACTOR, NEWTON_MAXITER

    s = FastBDF(lambda t, y: fun(y), 0.0, np.asarray(y0, dtype=float), t_bound, rtol=rtol, atol=atol)
    D, n = s.D, s.n
    atol, rtol = s.atol, s.rtol
    alpha = [float(a) for a in s.alpha]
    error_const = [float(e) for e in s.error_const]
    gammas = [s.gamma[1: order + 1] for order in range(MAX_ORDER + 1)]
    exponents = [None] + [-1 / np.arange(order, order + 3) for order in range(1, MAX_ORDER + 1)]
    newton_tol, I, J, solve = s.newton_tol, s.I, s.J, s.solve_lu
    root_n = n ** 0.5
    dgetrs, add_reduce, accumulate, absolute = lapack.dgetrs, np.add.reduce, np.add.accumulate, np.abs
    dot, subtract = np.dot, np.subtract
    t, h_abs, order, n_equal, LU = 0.0, float(s.h_abs), 1, 0, None
    inf = math.inf
    while t < t_bound:
        min_step = 10 * abs(math.nextafter(t, inf) - t)  # np.nextafter's value, without a ufunc call
        if h_abs < min_step:
            _change_D(D, order, min_step / h_abs)
            h_abs = min_step
            n_equal = 0
        current_jac = False  # scipy: `self.jac is None`, never true with a (numerical) Jacobian
        while True:
            if h_abs < min_step:
                yield t, None, None, None
                return
            t_new = t + h_abs
            if t_new - t_bound > 0:
                t_new = t_bound
                _change_D(D, order, abs(t_new - t) / h_abs)
                n_equal = 0
                LU = None
            h = t_new - t
            h_abs = abs(h)
            y_predict = add_reduce(D[:order + 1], axis=0)
            scale = absolute(y_predict)
            scale *= rtol
            scale += atol  # atol + rtol * |y_predict|
            psi = dot(D[1: order + 1].T, gammas[order])
            psi /= alpha[order]
            c = h / alpha[order]
            converged = False
            while not converged:
                if LU is None:
                    LU = lu_piv = _lu_factor(I - c * J)
                    s.nlu += 1
                # scipy.integrate._ivp.bdf.solve_bdf_system
                y = y_predict
                d = None  # scipy's d = 0
                dy_norm_old = None
                for k in range(NEWTON_MAXITER):
                    f = fun(y)
                    b = c * f
                    b -= psi
                    if d is not None:
                        b -= d
                    dy, info = dgetrs(lu_piv[0], lu_piv[1], b, overwrite_b=True)
                    if info != 0:
                        solve(LU, b)
                    q = dy / scale
                    dy_norm = math.sqrt(q.dot(q)) / root_n
                    if not math.isfinite(dy_norm):  # perhaps a NaN/inf in b; then as scipy:
                        if not np.isfinite(f).all():  # a non-finite field ends the iteration,
                            break
                        b = c * f - psi - (0 if d is None else d)
                        solve(LU, b)  # a non-finite right-hand side raises (FastBDF's check)
                    rate = None if dy_norm_old is None else dy_norm / dy_norm_old
                    if rate is not None and (rate >= 1 or rate ** (NEWTON_MAXITER - k) / (1 - rate) * dy_norm
                                             > newton_tol):
                        break
                    if d is None:
                        y = y_predict + dy
                        d = dy + 0.0
                    else:
                        y += dy
                        d += dy
                    if dy_norm == 0 or rate is not None and rate / (1 - rate) * dy_norm < newton_tol:
                        converged = True
                        break
                    dy_norm_old = dy_norm
                n_iter = k + 1
                if not converged:
                    if current_jac:
                        break
                    J = s.jac(t_new, y_predict)
                    LU = None
                    current_jac = True
            if not converged:
                h_abs *= 0.5
                _change_D(D, order, 0.5)
                n_equal = 0
                LU = None
                continue
            safety = 0.9 * (2 * NEWTON_MAXITER + 1) / (2 * NEWTON_MAXITER + n_iter)
            abs_y = absolute(y)
            scale = abs_y * rtol
            scale += atol  # atol + rtol * |y|
            q = error_const[order] * d
            q /= scale
            error_norm = math.sqrt(q.dot(q)) / root_n
            if error_norm > 1:
                factor = max(MIN_FACTOR, safety * error_norm ** (-1 / (order + 1)))
                h_abs *= factor
                _change_D(D, order, factor)
                n_equal = 0
            else:
                break
        n_equal += 1
        t = t_new
        subtract(d, D[order + 1], out=D[order + 2])
        D[order + 1] = d
        # scipy: D[i] += D[i + 1] for i = order, ..., 0: running sums from the top
        D[:order + 2] = accumulate(D[order + 1::-1], axis=0)[::-1]
        if n_equal >= order + 1:
            if order > 1:
                q = error_const[order - 1] * D[order]
                q /= scale
                error_m_norm = math.sqrt(q.dot(q)) / root_n
            else:
                error_m_norm = inf
            if order < MAX_ORDER:
                q = error_const[order + 1] * D[order + 2]
                q /= scale
                error_p_norm = math.sqrt(q.dot(q)) / root_n
            else:
                error_p_norm = inf
            error_norms = np.array([error_m_norm, error_norm, error_p_norm])
            if error_m_norm == 0 or error_norm == 0 or error_p_norm == 0:
                with np.errstate(divide="ignore"):
                    factors = error_norms ** exponents[order]
            else:
                factors = error_norms ** exponents[order]
            order += int(np.argmax(factors)) - 1
            factor = min(MAX_FACTOR, safety * float(factors.max()))
            h_abs *= factor
            _change_D(D, order, factor)
            n_equal = 0
            LU = None
        yield t, y, f, abs_y


def bdf_converge(fun, y0, t_max, *, rtol, atol, conv_tol, bound, max_steps):
    """Integrate ``dy/dt = fun(y)`` with scipy's BDF steps (:func:`bdf_steps`) until an
    accepted step where ``max|f(y)| <= conv_tol (1 + max|y|)`` (``converged``), ``max|y| >
    bound`` (``diverged``), ``max_steps`` steps (``step-limit``), ``t_max`` (``time-limit``), a
    non-finite field within the bound (``non-finite``) or a collapsed step (``diverged``).

    The stopping rules of :func:`linrbp.integration.integrate` with ``method="BDF"``, tested
    on the accepted step itself (``integrate`` locates the crossing inside the step). The field
    at ``y`` is evaluated only once the field at the step's last Newton iterate (which differs
    from it by J times a correction of about rtol |y| / 40) is within CONV_SCREEN times the
    threshold: a step screened out is not converged but for an error of that order, and at worst
    the run stops a step or two later, still meeting the test. Returns ``(status, t_end,
    y_end, steps)``.
    """
    y0 = np.asarray(y0, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        f0 = fun(y0)
        if not np.isfinite(f0).all():
            return "non-finite", 0.0, y0.copy(), 0
        if np.max(np.abs(y0)) > bound:
            return "diverged", 0.0, y0.copy(), 0
        if _converged(f0, y0, conv_tol):
            return "converged", 0.0, y0.copy(), 0
        steps, t, y = 0, 0.0, y0
        for t, y_new, f_newton, abs_y in _steps(fun, y0, t_max, rtol, atol):
            if y_new is None:
                return "diverged", t, y.copy(), steps
            y = y_new
            steps += 1
            ymax = abs_y.max()
            if ymax > bound:
                return "diverged", t, y.copy(), steps
            threshold = conv_tol * (1.0 + ymax)
            if np.abs(f_newton).max() <= CONV_SCREEN * threshold:
                f = fun(y)
                if not np.isfinite(f).all():
                    return "non-finite", t, y.copy(), steps
                if _converged(f, y, conv_tol):
                    return "converged", t, y.copy(), steps
            if steps >= max_steps:
                return "step-limit", t, y.copy(), steps
    return "time-limit", t, np.array(y, dtype=float), steps
