"""Figures of the averaged dynamics (THEORY.md notation), as matplotlib Figures.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (no global
state; the Agg canvas draws it), and is deterministic: random starts come from ``seed``.
Curves are THEORY.md formulas, trajectories come from :func:`linrbp.integrate` /
:func:`linrbp.integrate_batch` on :class:`linrbp.LinearSystem`, stability of fixed points
from the eigenvalues of a finite-difference Jacobian of the field (the linearisation), and
predicted limits from the closed forms of the claim modules, looked up by name so that a
missing one raises :class:`MissingClosedForm` instead of being replaced by something else.

:data:`FIGURES` maps the names used by ``linrbp figures`` to the functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..core._errors import InputError
from ..core._fd import fd_jacobian
from ..core._field import LinearSystem
from ..integration._integrate import integrate, integrate_batch
from ..core._stats import DataStats

__all__ = [
    "FIGURES", "FigureSpec", "MissingClosedForm", "BasinMap", "chain111_basins", "closed_form",
    "jacobian", "chain111_system", "chain_system",
    "chain111_portrait", "bp_rbp_portraits", "basin_map", "poly1d_flow", "chain_depths",
    "wide_trajectories", "autoencoder_convergence", "single_hidden_convergence",
    "nonlinear_portraits", "arbp_symmetry",
]

STABLE, UNSTABLE = "tab:green", "tab:red"
HYPERBOLA_STYLE = dict(color="0.15", lw=1.0)
PARABOLA_STYLE = dict(color="tab:blue", lw=1.6, ls=":")
STREAM_COLOR = "0.72"


class MissingClosedForm(RuntimeError):
    """A figure needs a closed form that this build of linrbp does not provide."""


# Closed forms come from the claim modules (scalar and matrix systems). Looked up at call time.
_PROVIDERS = {
    "poly1d_limit": "scalar", "real_roots": "scalar", "chain111_limit": "scalar",
    "chain111_stable": "scalar", "chain_limit": "scalar", "wide_limit": "scalar",
    "nonlinear_limit": "scalar", "nonlinear_field": "scalar", "nonlinear_moments": "scalar",
    "autoencoder_limit": "matrix", "autoencoder_product": "matrix",
}


# The modules that define them, for closed forms linrbp does not re-export.
_MODULES = ("linrbp.closed_forms._autoencoder", "linrbp.closed_forms._poly1d", "linrbp.closed_forms._closed_forms")


def closed_form(name: str) -> Callable:
    """``linrbp.<name>``, or MissingClosedForm naming it and the branch that provides it."""
    import importlib
    import sys

    # The facade's attribute, read at call time (so a replaced linrbp.<name> is the one drawn),
    # without importing the facade: it is always loaded before any of its submodules.
    fn = getattr(sys.modules["linrbp"], name, None)
    for module in _MODULES:
        if fn is not None:
            break
        try:
            fn = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
    if fn is None:
        raise MissingClosedForm(
            f"needs the closed form linrbp.{name} (from the '{_PROVIDERS.get(name, '?')}' work), "
            "which this build of linrbp does not provide"
        )
    return fn


# -- helpers ------------------------------------------------------------------------------
def _figure(nrows: int, ncols: int, width: float, height: float):
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: expected a non-negative integer, got {seed!r}")
    return np.random.default_rng(int(seed))


def _positive(x, name):
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) \
            or not np.isfinite(x) or x <= 0:
        raise InputError(f"{name}: expected a positive number, got {x!r}")
    return float(x)


def _scalar_stats(alpha: float, beta: float) -> DataStats:
    return DataStats.from_matrices([[beta]], [[alpha]])


def chain111_system(alpha, beta, c1, rule="srbp") -> LinearSystem:
    """A[1,1,1] with feedback c1 (any feedback rule; ``bp`` ignores c1)."""
    fb = [] if rule == "bp" else [[[c1]]]
    return LinearSystem.create([1, 1, 1], rule, _scalar_stats(alpha, beta), fb)


def jacobian(fun, y, eps=1e-6) -> np.ndarray:
    """Central-difference Jacobian of a vector field at ``y`` (n,) or at each of ``y`` (m, n)."""
    return fd_jacobian(fun, y, eps)


def _path(fun, y0, t_max, n_points=400, method="DOP853", linear=False):
    """A trajectory sampled on a time grid (until it converges, diverges or t_max).

    The grid is log-spaced from t = 1e-3 (``linear=False``) or uniform; ``method`` is passed
    to solve_ivp (an implicit one for stiff fields).
    """
    grid = np.linspace(0.0, t_max, n_points + 1)[1:] if linear else np.geomspace(1e-3, t_max, n_points)
    t_eval = np.concatenate([[0.0], grid])
    res = integrate(fun, y0, t_max, t_eval=t_eval, method=method)
    return res.t, res.ys, res


def _streams(ax, fun, lim, density=1.1, n=60):
    g = np.linspace(-lim, lim, n)
    X, Y = np.meshgrid(g, g)
    V = fun(np.stack([X.ravel(), Y.ravel()], axis=1))
    U, W = V[:, 0].reshape(X.shape), V[:, 1].reshape(X.shape)
    ax.streamplot(X, Y, U, W, color=STREAM_COLOR, density=density, linewidth=0.7, arrowsize=0.8)


def _hyperbola(alpha, beta, lim, n=800):
    """Both branches of a1 a2 = alpha/beta inside the box [-lim, lim]^2 (a1 values per branch)."""
    r = alpha / beta
    lo = min(abs(r) / lim, lim)
    out = []
    for sign in (-1.0, 1.0):
        a1 = sign * np.geomspace(lo, lim, n)
        out.append(np.sort(a1))
    return out


def _draw_fixed_points(ax, system, alpha, beta, lim):
    """The hyperbola a1 a2 = alpha/beta, coloured by the sign of the non-zero eigenvalue."""
    for a1 in _hyperbola(alpha, beta, lim, n=300):
        a2 = alpha / (beta * a1)
        lam = _nonzero_eigenvalues(system, np.column_stack([a1, a2]))
        stable = np.ma.masked_where(lam >= 0, a2)
        unstable = np.ma.masked_where(lam < 0, a2)
        ax.plot(a1, stable, color=STABLE, lw=3.0, solid_capstyle="butt", zorder=3)
        ax.plot(a1, unstable, color=UNSTABLE, lw=3.0, ls="--", zorder=3)


def _nonzero_eigenvalues(system, Y):
    """At fixed points of a 2-d field with a line of fixed points: the eigenvalue that is not 0."""
    ev = np.real(np.linalg.eigvals(jacobian(system, Y)))
    return ev[np.arange(len(ev)), np.argmax(np.abs(ev), axis=1)]


def _legend_below(ax, ncol: int = 2, **kw):
    """A legend under the axes, outside them: it never covers a curve (constrained layout
    makes room for it)."""
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=ncol, frameon=False,
                     **dict({"fontsize": 8}, **kw))


def _vline_label(ax, x, text, color, **kw):
    """A label beside a vertical line at data x, inside the axes: on the line's right when the
    line is in the left half of the view, else on its left."""
    lo, hi = ax.get_xlim()
    frac = (x - lo) / (hi - lo) if hi != lo else 0.5
    right = frac < 0.5
    return ax.annotate(text, (x, 0.97), xycoords=("data", "axes fraction"),
                       xytext=(4 if right else -4, 0), textcoords="offset points",
                       ha="left" if right else "right", va="top", color=color, annotation_clip=False,
                       **dict({"fontsize": 8}, **kw))


def _box(ax, lim, xlabel="$a_1$ (lower weight)", ylabel="$a_2$ (upper weight)", pad=0.0):
    """Square axes [-lim - pad, lim + pad]^2 (``pad``: half a grid cell keeps markers on the
    edge points inside the axes)."""
    ax.set_xlim(-lim - pad, lim + pad)
    ax.set_ylim(-lim - pad, lim + pad)
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.axhline(0, color="0.85", lw=0.6, zorder=0)
    ax.axvline(0, color="0.85", lw=0.6, zorder=0)


def _mark_limit(ax, point, lim_x, lim_y, color="k"):
    """An x at a limit point, or an arrow at the box edge pointing to it when it lies outside."""
    x, y = float(point[0]), float(point[1])
    (x0, x1), (y0, y1) = lim_x, lim_y
    if x0 <= x <= x1 and y0 <= y <= y1:
        ax.plot(x, y, "x", color=color, ms=8, mew=2.0, zorder=7)
        return
    cx, cy = np.clip(x, x0, x1), np.clip(y, y0, y1)
    ax.annotate(f"limit ({x:.3g}, {y:.3g})", xy=(cx, cy), fontsize=8, ha="right" if cx >= x1 else "left",
                va="bottom" if cy <= y0 else "top", xytext=(cx - 0.12 * (x1 - x0) * np.sign(x - cx),
                                                             cy - 0.12 * (y1 - y0) * np.sign(y - cy)),
                arrowprops=dict(arrowstyle="->", color=color, lw=1.0), zorder=7)


def _starts(rng, n, lim):
    return rng.uniform(-0.85 * lim, 0.85 * lim, size=(n, 2))


# -- 1. chain111 phase portrait ---------------------------------------------------------------
def chain111_portrait(alpha=1.0, beta=1.0, c1s=(1.0, -1.0), *, lim=3.0, n_traj=6, seed=0,
                      t_max=200.0, density=1.1) -> Figure:
    """A[1,1,1] under SRBP: a1' = c1 e, a2' = a1 e, e = alpha - beta a1 a2 (THEORY.md section 2).

    One panel per c1: streamlines, the fixed-point hyperbola a1 a2 = alpha/beta coloured by the
    linearisation (stable where a1^2 + c1 a2 > 0), the extra critical parabola a1^2 + c1 a2 = 0,
    and integrated trajectories with the closed-form limit (chain111_limit) marked.
    """
    alpha, beta = float(alpha), _positive(beta, "beta")
    limit = closed_form("chain111_limit")
    rng = _rng(seed)
    starts = _starts(rng, n_traj, lim)
    fig, axes = _figure(1, len(c1s), 6.2 * len(c1s), 6.6)
    for ax, c1 in zip(axes[0], c1s):
        system = chain111_system(alpha, beta, c1)
        _streams(ax, system, lim, density)
        a1 = np.linspace(-lim, lim, 400)
        ax.plot(a1, -a1 ** 2 / c1, **PARABOLA_STYLE, zorder=2)
        _draw_fixed_points(ax, system, alpha, beta, lim)
        x = np.cbrt(-c1 * alpha / beta)
        ax.plot([x], [-x ** 2 / c1], "o", mfc="white", mec="k", ms=7, zorder=6)
        for k, y0 in enumerate(starts):
            t, ys, res = _path(system, y0, t_max)
            line, = ax.plot(ys[:, 0], ys[:, 1], lw=1.6, zorder=4, color=f"C{k % 10}")
            ax.plot(*y0, "o", color=line.get_color(), ms=5, zorder=5)
            ax.plot(*res.y[0], "o", mfc="none", mec="k", ms=11, mew=1.2, zorder=6)
            p = limit(alpha, beta, c1, float(y0[0]), float(y0[1]))
            _mark_limit(ax, p, (-lim, lim), (-lim, lim))
        _box(ax, lim)
        ax.set_title(f"$c_1 = {c1:g}$", fontsize=12)
    handles = [
        Line2D([], [], color=STREAM_COLOR, lw=1, label="flow (streamlines)"),
        Line2D([], [], color=STABLE, lw=3, label=r"stable fixed points ($a_1a_2=\alpha/\beta$)"),
        Line2D([], [], color=UNSTABLE, lw=3, ls="--", label="unstable fixed points"),
        Line2D([], [], **PARABOLA_STYLE, label=r"critical parabola $a_1^2 + c_1 a_2 = 0$"),
        Line2D([], [], ls="", marker="o", mfc="white", mec="k", label="parabola meets hyperbola"),
        Line2D([], [], color="C0", lw=1.6, marker="o", ms=4, label="trajectory (dot = start)"),
        Line2D([], [], ls="", marker="o", mfc="none", mec="k", ms=10, label="integrated limit"),
        Line2D([], [], ls="", marker="x", color="k", mew=2, label="closed-form limit"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=9, frameon=False)
    fig.suptitle(rf"A[1,1,1] under random backpropagation, $\alpha={alpha:g}$, $\beta={beta:g}$ "
                 f"(starts drawn with seed {seed})", fontsize=13)
    return fig


# -- 2. BP and RBP side by side ----------------------------------------------------------------
def bp_rbp_portraits(alpha=1.0, beta=1.0, c1=1.0, *, lim=3.0, n_traj=6, seed=0,
                     t_max=200.0, density=1.1) -> Figure:
    """A[1,1,1] on the same data and starts: BP (a1' = a2 e) beside RBP (a1' = c1 e).

    BP conserves a1^2 - a2^2 (its trajectories are hyperbolas), RBP conserves a2 - a1^2/(2 c1)
    (parabolas); both converge to the hyperbola a1 a2 = alpha/beta.
    """
    alpha, beta = float(alpha), _positive(beta, "beta")
    rng = _rng(seed)
    starts = _starts(rng, n_traj, lim)
    fig, axes = _figure(1, 2, 12.4, 6.6)
    titles = {"bp": "BP (backpropagation): $a_1' = a_2 e$",
              "rbp": rf"RBP with $c_1 = {c1:g}$: $a_1' = c_1 e$"}
    for ax, rule in zip(axes[0], ("bp", "rbp")):
        system = chain111_system(alpha, beta, c1, rule)
        _streams(ax, system, lim, density)
        _draw_fixed_points(ax, system, alpha, beta, lim)
        for k, y0 in enumerate(starts):
            t, ys, res = _path(system, y0, t_max)
            line, = ax.plot(ys[:, 0], ys[:, 1], lw=1.6, zorder=4, color=f"C{k % 10}")
            ax.plot(*y0, "o", color=line.get_color(), ms=5, zorder=5)
            ax.plot(*res.y[0], "o", mfc="none", mec="k", ms=10, zorder=6)
        _box(ax, lim)
        ax.set_title(titles[rule], fontsize=12)
    handles = [
        Line2D([], [], color=STREAM_COLOR, lw=1, label="flow (streamlines)"),
        Line2D([], [], color=STABLE, lw=3, label=r"stable fixed points ($a_1a_2=\alpha/\beta$)"),
        Line2D([], [], color=UNSTABLE, lw=3, ls="--", label="unstable fixed points"),
        Line2D([], [], color="C0", lw=1.6, marker="o", ms=4, label="trajectory (dot = start)"),
        Line2D([], [], ls="", marker="o", mfc="none", mec="k", ms=10, label="integrated limit"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=9, frameon=False)
    fig.suptitle(rf"BP and RBP on the same data ($\alpha={alpha:g}$, $\beta={beta:g}$) "
                 f"from the same starts (seed {seed})", fontsize=13)
    return fig


# -- 3. basin map -----------------------------------------------------------------------------
@dataclass
class BasinMap:
    """Which fixed point each start of a grid reaches: closed form vs integration.

    ``predicted`` and ``integrated`` hold a1(inf) per start (shape ``(n, n)``, rows = a2);
    ``disagree`` marks converged starts whose two answers differ by more than ``tol``
    (relative to :math:`1 + |a_1|`); ``unconverged`` marks starts whose integration did not converge
    by ``t_max`` (e.g. a start on the trajectory into the degenerate fixed point, where the
    approach is algebraic, not exponential).
    """

    alpha: float
    beta: float
    c1: float
    a1: np.ndarray
    a2: np.ndarray
    predicted: np.ndarray
    integrated: np.ndarray
    status: np.ndarray
    disagree: np.ndarray
    unconverged: np.ndarray
    tol: float
    t_max: float

    @property
    def disagreements(self) -> int:
        return int(self.disagree.sum())

    @property
    def n_unconverged(self) -> int:
        return int(self.unconverged.sum())

    @property
    def size(self) -> int:
        return int(self.disagree.size)


TILE_ROWS = 4  # grid rows per basin-map task


def _basin_tile(alpha, beta, c1, Y0, t_max):
    """One tile of the basin map: integrate its starts (one thread; a task in any process)."""
    res = integrate_batch(chain111_system(alpha, beta, c1), Y0, t_max, workers=1)
    return res.status, res.y[:, 0]


def chain111_basins(alpha=1.0, beta=1.0, c1=1.0, *, lim=3.0, n=41, t_max=2000.0,
                    tol=1e-6, workers: int = 1, scheduler: str | None = None,
                    executor=None) -> BasinMap:
    """a1(inf) over an n x n grid of starts in [-lim, lim]^2, by closed form and integrate_batch.

    The grid is integrated in tiles of ``TILE_ROWS`` rows, one task each (serial with
    ``workers=1``, else a local pool of ``workers`` processes, a Dask cluster with
    ``scheduler``, or any ``executor``); the tiles do not depend on what runs them, so neither
    does a single bit of the map.
    """
    from ..core._executor import Interrupted, Task, run_tasks

    alpha, beta = float(alpha), _positive(beta, "beta")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise InputError(f"n: expected an integer grid size >= 2, got {n!r}")
    limit = closed_form("chain111_limit")
    c1 = float(c1)
    chain111_system(alpha, beta, c1)  # bad parameters fail here, before any task
    g = np.linspace(-lim, lim, int(n))
    A1, A2 = np.meshgrid(g, g)
    Y0 = np.stack([A1.ravel(), A2.ravel()], axis=1)
    n = int(n)
    tiles = [(r, min(r + TILE_ROWS, n)) for r in range(0, n, TILE_ROWS)]
    tasks = [Task(f"rows {r0}..{r1 - 1}", _basin_tile, (alpha, beta, c1, Y0[r0 * n:r1 * n], float(t_max)),
                  f"basin map rows {r0}..{r1 - 1} of {n}") for r0, r1 in tiles]
    parts = {}
    report = run_tasks(tasks, lambda task, res: parts.__setitem__(task.key, res), workers=workers,
                       scheduler=scheduler, executor=executor, desc="basin map", unit="tile")
    if report.interrupted:
        raise Interrupted(f"basin map stopped after {report.seconds:.1f} s with {len(parts)} of "
                          f"{len(tasks)} tiles done (nothing is saved; rerun the command)")
    if report.failed:
        raise RuntimeError(f"basin map: {report.failed[0].line()}")
    status = np.concatenate([parts[t.key][0] for t in tasks])
    got = np.concatenate([parts[t.key][1] for t in tasks])
    pred = np.array([limit(alpha, beta, c1, float(x), float(y))[0] for x, y in Y0])
    conv = status == "converged"
    bad = conv & (np.abs(pred - got) > tol * (1 + np.abs(pred)))
    shape = A1.shape
    return BasinMap(alpha, beta, c1, g, g, pred.reshape(shape), got.reshape(shape),
                    status.reshape(shape), bad.reshape(shape), (~conv).reshape(shape), tol,
                    float(t_max))


def basin_map(alpha=1.0, beta=1.0, c1=1.0, *, lim=3.0, n=41, data: BasinMap | None = None,
              workers: int = 1, scheduler: str | None = None) -> Figure:
    """Basins of A[1,1,1] (THEORY.md section 9): colour = the hyperbola branch reached.

    Left: predicted by the closed form; right: integrated. Disagreements are counted in the
    title and marked with black crosses; the BasinMap is attached as ``fig.basins``.
    """
    b = data if data is not None else chain111_basins(alpha, beta, c1, lim=lim, n=n, workers=workers,
                                                      scheduler=scheduler)
    alpha, beta, c1 = b.alpha, b.beta, b.c1
    lim = float(b.a1[-1])
    fig, axes = _figure(1, 2, 12.4, 6.4)
    from matplotlib.colors import ListedColormap
    cmap = ListedColormap(["tab:orange", "tab:purple"])
    step = (b.a1[1] - b.a1[0]) / 2
    extent = (b.a1[0] - step, b.a1[-1] + step, b.a2[0] - step, b.a2[-1] + step)
    for ax, vals, what in zip(axes[0], (b.predicted, b.integrated),
                              ("closed form (chain111_limit)", "integrated (integrate_batch)")):
        ax.imshow((vals > 0).astype(float), origin="lower", extent=extent, cmap=cmap, vmin=0,
                  vmax=1, alpha=0.55, interpolation="nearest")
        a1 = np.linspace(-lim, lim, 400)
        ax.plot(a1, -a1 ** 2 / c1, **PARABOLA_STYLE)
        for br in _hyperbola(alpha, beta, lim):
            ax.plot(br, alpha / (beta * br), **HYPERBOLA_STYLE)
        # The trajectory into the degenerate fixed point (tangency of the parabolas with the
        # hyperbola): the a1 < 0 basin's boundary away from the unstable arc.
        x = np.cbrt(-c1 * alpha / beta)
        K = -x ** 2 / c1 - x ** 2 / (2 * c1)
        ax.plot(a1, a1 ** 2 / (2 * c1) + K, color="k", lw=1.0, ls="-.")
        ax.plot([x], [-x ** 2 / c1], "o", mfc="white", mec="k", ms=6)
        bad = np.argwhere(b.disagree)
        if bad.size:
            ax.plot(b.a1[bad[:, 1]], b.a2[bad[:, 0]], "kx", ms=7, mew=1.8, clip_on=False)
        slow = np.argwhere(b.unconverged)
        if slow.size:
            ax.plot(b.a1[slow[:, 1]], b.a2[slow[:, 0]], "s", mfc="none", mec="k", ms=7, mew=1.2,
                    clip_on=False)
        _box(ax, lim, "$a_1(0)$", "$a_2(0)$", pad=step)  # the edge cells (and markers) whole
        ax.set_title(f"limit predicted by {what}", fontsize=11)
    handles = [
        Line2D([], [], ls="", marker="s", ms=10, color="tab:purple", alpha=0.55,
               label=r"reaches the $a_1 > 0$ branch"),
        Line2D([], [], ls="", marker="s", ms=10, color="tab:orange", alpha=0.55,
               label=r"reaches the $a_1 < 0$ branch"),
        Line2D([], [], **HYPERBOLA_STYLE, label=r"fixed points $a_1a_2=\alpha/\beta$"),
        Line2D([], [], **PARABOLA_STYLE, label=r"$a_1^2 + c_1 a_2 = 0$"),
        Line2D([], [], color="k", lw=1.0, ls="-.",
               label="trajectory into the degenerate point (o)"),
        Line2D([], [], ls="", marker="x", color="k", mew=1.8, label="disagreement"),
        Line2D([], [], ls="", marker="s", mfc="none", mec="k", label=f"not converged by t={b.t_max:g}"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=9, frameon=False)
    fig.suptitle(rf"Basins of A[1,1,1] ($\alpha={alpha:g}$, $\beta={beta:g}$, $c_1={c1:g}$) over "
                 f"{b.size} starts: {b.disagreements} disagreements "
                 f"(|Δa1| > {b.tol:g}(1+|a1|)), {b.n_unconverged} not converged by "
                 f"t = {b.t_max:g}", fontsize=12)
    fig.basins = b
    return fig


# -- 4. poly1d --------------------------------------------------------------------------------
def _poly_fun(coeffs):
    c = np.asarray(coeffs, float)

    def fun(y):
        return np.polyval(c, y)
    return fun


def _poly_label(coeffs):
    deg = len(coeffs) - 1
    terms = []
    for k, a in enumerate(coeffs):
        p = deg - k
        if a == 0:
            continue
        mag = abs(a)
        coef = "" if (mag == 1 and p > 0) else f"{mag:g}"
        var = "" if p == 0 else ("x" if p == 1 else f"x^{p}")
        sign = "-" if a < 0 else "+"
        terms.append((sign, coef + var))
    s = "".join(f" {sg} {t}" for sg, t in terms).strip()
    return s[2:] if s.startswith("+ ") else "-" + s[2:]


POLY1D_CASES = (
    # (coefficients, highest degree first; starts)
    ((-1.0, 1.0, 2.0, 0.0), (-2.2, -0.5, 0.6, 1.5, 3.0)),   # -(x+1) x (x-2): always converges
    ((1.0, 0.0, -1.0), (-1.8, 0.0, 0.9, 1.2)),                # x^2 - 1: blow-up above 1
)


def poly1d_flow(cases=POLY1D_CASES, *, t_max=4.0) -> Figure:
    """x' = Q(x) (THEORY.md section 1): Q with its roots and flow arrows (top), x(t) (bottom).

    Roots are filled when stable (Q' < 0). Each x(t) is integrated; its closed-form limit
    (poly1d_limit) is dashed, and a closed-form blow-up time T* is a dotted vertical line next
    to the time the integrator passed its bound.
    """
    plimit = closed_form("poly1d_limit")
    fig, axes = _figure(2, len(cases), 6.2 * len(cases), 8.6)
    for col, (coeffs, starts) in enumerate(cases):
        coeffs = tuple(float(c) for c in coeffs)
        Q = _poly_fun(coeffs)
        roots = np.sort(np.real(np.roots(coeffs)[np.abs(np.imag(np.roots(coeffs))) < 1e-12]))
        lo = (roots.min() if roots.size else 0.0) - 1.2
        hi = (roots.max() if roots.size else 0.0) + 1.2
        x = np.linspace(lo, hi, 600)
        ax = axes[0, col]
        ax.plot(x, Q(x), color="k", lw=1.6, label="$Q(x)$")
        ax.axhline(0, color="0.5", lw=0.8)
        qmax = np.max(np.abs(Q(x)))
        # flow arrows on the x axis, pointing along sign Q
        xs = np.linspace(lo, hi, 25)
        xs = xs[np.min(np.abs(xs[:, None] - roots[None]), axis=1) > 0.12] if roots.size else xs
        ax.quiver(xs, np.zeros_like(xs), np.sign(Q(xs)), np.zeros_like(xs), color="tab:blue",
                  scale=40, width=0.004, headwidth=4, label="direction of flow")
        dQ = np.polyval(np.polyder(np.asarray(coeffs)), roots)
        ax.plot(roots[dQ < 0], 0 * roots[dQ < 0], "o", color=STABLE, ms=9, zorder=5,
                label="stable root ($Q' < 0$)")
        ax.plot(roots[dQ > 0], 0 * roots[dQ > 0], "o", mfc="white", mec=UNSTABLE, mew=2, ms=9,
                zorder=5, label="unstable root ($Q' > 0$)")
        ax.set_xlim(lo, hi)
        ax.set_ylim(-1.1 * qmax, 1.1 * qmax)
        ax.set_xlabel("$x$")
        ax.set_ylabel("$Q(x) = x'$")
        ax.set_title(f"$Q(x) = {_poly_label(coeffs)}$")
        ax.legend(fontsize=8, loc="best")

        ax = axes[1, col]
        blowups = []
        for k, x0 in enumerate(starts):
            pred = plimit(coeffs, float(x0))
            t, ys, res = _path(Q, np.array([x0]), t_max, n_points=600, linear=True)
            color = f"C{k}"
            ax.plot(t, ys[:, 0], color=color, lw=1.6, label=f"$x(0) = {x0:g}$")
            if pred.kind == "fixed":
                ax.axhline(pred.limit, color=color, ls="--", lw=1.0)
            else:
                ax.axvline(pred.blowup_time, color=color, ls=":", lw=1.6)
                blowups.append((pred.blowup_time, f"$T^* = {pred.blowup_time:.4g}$ (closed form)\n"
                                f"integrator: |x| > bound at t = {res.t_end[0]:.4g}", color))
        ax.set_xlim(0, t_max)
        for tb, text, color in blowups:  # after the limits are set: the label stays inside
            _vline_label(ax, tb, text, color)
        ax.set_ylim(min(min(starts), lo) - 0.3, max(max(starts), hi) + 0.3)
        ax.set_xlabel("$t$")
        ax.set_ylabel("$x(t)$")
        ax.set_title("trajectories; dashed = closed-form limit, dotted = blow-up time")
        _legend_below(ax, ncol=3)
    fig.suptitle("One-dimensional polynomial flows $x' = Q(x)$ ([BSL] Theorem 1)", fontsize=13)
    return fig


# -- 5. chains of depth 2..6 -------------------------------------------------------------------
def chain_system(alpha, beta, feedback, rule="srbp") -> LinearSystem:
    """A[1,...,1] of depth len(feedback) + 1 with scalar data (alpha, beta) and feedback c_1..c_{L-1}."""
    L = len(feedback) + 1
    return LinearSystem.create([1] * (L + 1), rule, _scalar_stats(alpha, beta),
                               [[[c]] for c in feedback])


def chain_depths(depths=(2, 3, 4, 5, 6), alpha=1.0, beta=1.0, *, seed=0, t_max=1e4) -> Figure:
    """A[1,...,1] under SRBP for several depths L (THEORY.md section 3), seeded feedback and starts.

    Left: excess loss 1/2 beta (P - alpha/beta)^2 against t (log-log). Right: a1(t) with its
    closed-form limit (chain_limit) dashed.
    """
    alpha, beta = float(alpha), _positive(beta, "beta")
    limit = closed_form("chain_limit")
    rng = _rng(seed)
    fig, axes = _figure(1, 2, 13.0, 5.4)
    for k, L in enumerate(depths):
        feedback = rng.uniform(0.5, 1.5, size=L - 1)
        weights = rng.uniform(0.2, 0.8, size=L)
        system = chain_system(alpha, beta, feedback)
        t, ys, res = _path(system, weights, t_max, n_points=500)
        loss = system.excess_loss(ys)
        color = f"C{k}"
        keep = (t > 0) & (loss > 0)
        axes[0, 0].plot(t[keep], loss[keep], color=color, lw=1.6, label=f"$L = {L}$")
        pred = np.asarray(limit(alpha, beta, feedback, weights, rule="srbp"), float).ravel()
        axes[0, 1].plot(t[t > 0], ys[t > 0, 0], color=color, lw=1.6,
                        label=f"$L = {L}$: $a_1(\\infty) = {pred[0]:.4f}$, integrated "
                              f"$a_1(t_{{end}})$ off by {abs(ys[-1, 0] - pred[0]):.0e}")
        axes[0, 1].axhline(pred[0], color=color, ls="--", lw=1.0)
    ax = axes[0, 0]
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("$t$")
    ax.set_ylabel(r"excess loss $\frac{1}{2}\beta(P - \alpha/\beta)^2$")
    ax.set_title("excess loss (log scale)")
    ax.legend(fontsize=9)
    ax = axes[0, 1]
    ax.set_xscale("log")
    ax.set_xlabel("$t$")
    ax.set_ylabel("$a_1(t)$")
    ax.set_title("lowest weight $a_1(t)$; dashed = closed-form limit")
    _legend_below(ax, ncol=1, fontsize=9)
    fig.suptitle(rf"Chains A[1,...,1] of depth $L$ under SRBP ($\alpha={alpha:g}$, "
                 rf"$\beta={beta:g}$, feedback $c_h \sim U(0.5, 1.5)$, seed {seed})", fontsize=12)
    return fig


# -- 6. wide1N1 --------------------------------------------------------------------------------
def wide_trajectories(N=4, alpha=1.0, beta=1.0, *, seed=0, t_max=1e4) -> Figure:
    """A[1,N,1] (THEORY.md section 4): a_i' = c_i e, b_i' = a_i e with seeded c, a(0), b(0).

    Panels: a_i(t), b_i(t) with the closed-form limits (wide_limit) dashed, and P(t) -> alpha/beta.
    """
    alpha, beta = float(alpha), _positive(beta, "beta")
    limit = closed_form("wide_limit")
    rng = _rng(seed)
    c = rng.normal(size=N)
    a = rng.normal(scale=0.5, size=N)
    b = rng.normal(scale=0.5, size=N)
    system = LinearSystem.create([1, N, 1], "srbp", _scalar_stats(alpha, beta), [c[:, None]])
    y0 = system.pack([a[:, None], b[None, :]])
    t, ys, res = _path(system, y0, t_max, n_points=500)
    pa, pb = (np.asarray(v, float).ravel() for v in limit(alpha, beta, c, a, b)[:2])
    fig, axes = _figure(1, 3, 15.0, 5.0)
    keep = t > 0
    for i in range(N):
        axes[0, 0].plot(t[keep], ys[keep, i], color=f"C{i}", lw=1.6, label=f"$a_{i + 1}$")
        axes[0, 0].axhline(pa[i], color=f"C{i}", ls="--", lw=1.0)
        axes[0, 1].plot(t[keep], ys[keep, N + i], color=f"C{i}", lw=1.6, label=f"$b_{i + 1}$")
        axes[0, 1].axhline(pb[i], color=f"C{i}", ls="--", lw=1.0)
    P = ys[:, :N].__mul__(ys[:, N:]).sum(axis=1)
    axes[0, 2].plot(t[keep], P[keep], color="k", lw=1.6, label=r"$P = \sum_i a_i b_i$")
    axes[0, 2].axhline(alpha / beta, color="k", ls="--", lw=1.0, label=r"$\alpha/\beta$")
    for ax, name in zip(axes[0], ("lower weights $a_i(t)$", "upper weights $b_i(t)$",
                                  "product $P(t)$")):
        ax.set_xscale("log")
        ax.set_xlabel("$t$")
        ax.set_ylabel(name.split(" ")[-1])
        ax.set_title(name + ("; dashed = closed-form limit" if "P" not in name else ""))
        ax.legend(fontsize=9)
    err = max(np.max(np.abs(ys[-1, :N] - pa)), np.max(np.abs(ys[-1, N:] - pb)))
    fig.suptitle(f"A[1,{N},1] under RBP (= SRBP with one hidden layer), feedback $c_i$ = "
                 f"{np.array2string(c, precision=2)}, seed {seed}; integrated end "
                 f"({res.status[0]}, t = {res.t_end[0]:.3g}) vs closed form: max error {err:.1e}",
                 fontsize=12)
    return fig


# -- 7. autoencoder ----------------------------------------------------------------------------
def autoencoder_convergence(N=4, *, seed=0, scale=0.3, t_max=1e4) -> Figure:
    r"""A[N,1,N] with whitened data (THEORY.md section 5): :math:`A \to \lambda C`, :math:`B A \to C^T C/\|C\|^2`.

    Panels: :math:`1 - |\cos(A(t), C)|` (direction), :math:`\lambda(t) = A C^T/\|C\|^2` against
    the cubic's root (autoencoder_limit), and :math:`\|B A(t) - P\|_F` to the projection
    (autoencoder_product).
    """
    limit, product = closed_form("autoencoder_limit"), closed_form("autoencoder_product")
    rng = _rng(seed)
    C = rng.normal(size=(1, N))
    A0 = rng.normal(scale=scale, size=(1, N))
    B0 = rng.normal(scale=scale, size=(N, 1))
    S = np.eye(N)
    system = LinearSystem.create([N, 1, N], "rbp", DataStats.whitened(N), [C])
    t, ys, res = _path(system, system.pack([A0, B0]), t_max, n_points=500)
    (A, B), _ = system.unpack(ys)
    A_inf, B_inf, lam = limit(C, A0, B0)
    proj = np.asarray(product(S, C), float)
    cnorm = np.linalg.norm(C)
    cos = (A[:, 0, :] @ C[0]) / (np.linalg.norm(A[:, 0, :], axis=1) * cnorm)
    lam_t = (A[:, 0, :] @ C[0]) / cnorm ** 2
    gap = np.linalg.norm(B @ A - proj, axis=(1, 2))
    keep = t > 0
    fig, axes = _figure(1, 3, 15.0, 4.8)
    ax = axes[0, 0]
    ax.plot(t[keep], np.maximum(1 - np.abs(cos[keep]), 1e-17), color="C0", lw=1.6)
    ax.set_yscale("log")
    ax.set_ylabel(r"$1 - |\cos\angle(A(t), C)|$")
    ax.set_title("direction of $A(t)$ converges to $C$")
    ax = axes[0, 1]
    ax.plot(t[keep], lam_t[keep], color="C1", lw=1.6,
            label=rf"$\lambda(t) = A C^T/|C|^2$, at $t={t[-1]:.3g}$: {lam_t[-1]:.5f}")
    ax.axhline(float(lam), color="k", ls="--", lw=1.0,
               label=rf"root of $\frac{{|C|^2}}{{2}}\lambda^3 + K\lambda - 1$: {float(lam):.5f}")
    ax.set_ylabel(r"$\lambda(t)$")
    ax.set_title(r"$\lambda(t)$ converges to the cubic's positive root")
    ax.legend(fontsize=9)
    ax = axes[0, 2]
    ax.plot(t[keep], gap[keep], color="C2", lw=1.6)
    ax.set_yscale("log")
    ax.set_ylabel(r"$\| B A(t) - C^T C/|C|^2 \|_F$")
    ax.set_title("$B A$ converges to the projection onto $C$")
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_xlabel("$t$")
    fig.suptitle(f"Autoencoder A[{N},1,{N}], whitened data, fixed feedback C (seed {seed})",
                 fontsize=12)
    return fig


# -- 8. single hidden layer --------------------------------------------------------------------
def _random_stats(rng, n_in, n_out):
    X = rng.normal(size=(n_in, 4 * n_in))
    S_ii = X @ X.T / X.shape[1] + 0.1 * np.eye(n_in)
    S_ti = rng.normal(size=(n_out, n_in))
    return DataStats.from_matrices(S_ii, S_ti, definite=True)


PROBE_SEEDS = 2  # instances per shape in the figure's own small probe sweep


def single_hidden_convergence(layers=(3, 4, 2), *, seed=0, t_max=1e4, probe="sweep") -> Figure:
    r"""A[N0,N1,N2] (THEORY.md section 6) with seeded data, feedback C1 and starts.

    Panels: :math:`\|C_1 A_2 A_1 - C_1 \Sigma_{TI} \Sigma_{II}^{-1}\|_F` (Theorem 8) and
    :math:`\|A_2 A_1 - \Sigma_{TI} \Sigma_{II}^{-1}\|_F` when C1 has full column rank; the relative drift of the conserved C1 A2 + (C1 A2)^T - A1 A1^T (rounding
    level); and a probe summary (``linrbp probe``): ``probe="sweep"`` runs a small sweep
    (its default shapes, PROBE_SEEDS seeds each, base seed ``seed``), a dict is a saved summary
    (``linrbp probe --json``), None leaves the panel out.
    """
    if isinstance(probe, str):
        if probe != "sweep":
            raise InputError(f"probe: expected 'sweep', a probe summary or None, got {probe!r}")
        probe = _probe_sweep(seed)
    N0, N1, N2 = layers
    rng = _rng(seed)
    stats = _random_stats(rng, N0, N2)
    C1 = rng.normal(size=(N1, N2))
    A1 = rng.normal(scale=0.3, size=(N1, N0))
    A2 = rng.normal(scale=0.3, size=(N2, N1))
    system = LinearSystem.create(list(layers), "rbp", stats, [C1])
    t, ys, res = _path(system, system.pack([A1, A2]), t_max, n_points=500)
    (W1, W2), _ = system.unpack(ys)
    opt = stats.optimum()
    keep = t > 0
    ncols = 3 if probe is not None else 2
    fig, axes = _figure(1, ncols, 6.0 * ncols, 5.0)
    ax = axes[0, 0]
    ax.plot(t[keep], np.linalg.norm(C1 @ W2 @ W1 - C1 @ opt, axis=(1, 2))[keep], lw=1.6,
            label=r"$\|C_1A_2A_1 - C_1S_{TI}S_{II}^{-1}\|_F$")
    if np.linalg.matrix_rank(C1) == N2:
        ax.plot(t[keep], np.linalg.norm(W2 @ W1 - opt, axis=(1, 2))[keep], lw=1.6, ls="--",
                label=r"$\|A_2A_1 - S_{TI}S_{II}^{-1}\|_F$ ($C_1$ full column rank)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("$t$")
    ax.set_ylabel("distance to the limit")
    ax.set_title("Theorem 8: the product converges")
    ax.legend(fontsize=9)
    M = C1 @ W2
    M = M + np.swapaxes(M, -1, -2) - W1 @ np.swapaxes(W1, -1, -2)
    drift = np.linalg.norm(M - M[0], axis=(1, 2)) / np.linalg.norm(M[0])
    ax = axes[0, 1]
    ax.plot(t[keep], np.maximum(drift[keep], 1e-18), color="C3", lw=1.2)
    ax.axhline(np.finfo(float).eps, color="0.5", ls=":", lw=1.0, label="machine epsilon")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-18, 1e-6)
    ax.set_xlabel("$t$")
    ax.set_ylabel(r"$\|M(t) - M(0)\|_F / \|M(0)\|_F$")
    ax.set_title(r"invariant $M = C_1A_2 + (C_1A_2)^T - A_1A_1^T$: drift")
    ax.legend(fontsize=9)
    if probe is not None:
        _probe_panel(axes[0, 2], probe)
    fig.suptitle(f"Single hidden layer A[{N0},{N1},{N2}] under RBP (seed {seed})", fontsize=12)
    return fig


def _probe_sweep(seed):
    from ..sweeps._probe import DEFAULT_SHAPES, probe_sweep

    return probe_sweep(DEFAULT_SHAPES, PROBE_SEEDS, base_seed=int(seed), workers=1)


PROBE_BARS = (("instances", "instances", "0.8"), ("converged", "converged", "C0"),
              ("individual", "$A_1$, $A_2$ converge individually", "C2"),
              ("jacobian_full_rank", "limit relations: full-rank Jacobian", "C4"))


def _probe_panel(ax, probe: dict):
    """Grouped bars per shape of a ``linrbp probe`` summary (its ``per_shape`` records)."""
    rows = probe.get("per_shape") if isinstance(probe, dict) else None
    if not isinstance(rows, list) or not rows or not all(
            isinstance(r, dict) and all(isinstance(r.get(k), int) for k, _, _ in PROBE_BARS)
            and isinstance(r.get("shape"), list) for r in rows):
        raise InputError("probe: expected a linrbp probe summary (JSON with a 'per_shape' list of "
                         "records with shape, instances, converged, individual, jacobian_full_rank)")
    x = np.arange(len(rows))
    w = 0.8 / len(PROBE_BARS)
    for k, (key, label, color) in enumerate(PROBE_BARS):
        xs, vals = x + (k - (len(PROBE_BARS) - 1) / 2) * w, [r[key] for r in rows]
        ax.bar(xs, vals, w, color=color, label=label)
        # a zero is a finding, not a missing bar: outline it and write the 0
        for xi, v in zip(xs, vals):
            if v == 0:
                ax.bar(xi, 0.06 * max(r["instances"] for r in rows), w, fill=False, edgecolor=color,
                       hatch="///", lw=1.0)
                ax.annotate("0", (xi, 0.06 * max(r["instances"] for r in rows)), xytext=(0, 1),
                            textcoords="offset points", ha="center", va="bottom", fontsize=7,
                            color=color, fontweight="bold")
    for xi, r in zip(x, rows):
        nullity = r.get("jacobian_nullity")
        if isinstance(nullity, dict) and nullity:
            text = "\n".join(f"{v}x nullity {k}" for k, v in nullity.items())
            ax.annotate(text, (xi, r["instances"]), xytext=(0, 4), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xticks(x, ["A[" + ",".join(map(str, r["shape"])) + "]" for r in rows], rotation=25)
    ax.set_xlabel("shape")
    ax.set_ylabel("instances")
    ax.set_ylim(0, 1.5 * max(r["instances"] for r in rows))
    total = sum(r["instances"] for r in rows)
    indiv = sum(r["individual"] for r in rows)
    seed = probe.get("config", {}).get("base_seed", "?")
    ax.set_title(f"probe (open question): {indiv}/{total} instances converge individually "
                 f"(base seed {seed})", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", ncol=2)


# -- 9. the non-linear chain -------------------------------------------------------------------
def nonlinear_portraits(mu=2.0, c1=1.0, *, seed=0, lim=2.5, n_traj=5, t_max=20.0,
                        density=1.0) -> Figure:
    """A[1,1,1] with hidden output (a1 I)^mu (THEORY.md section 7), with and without f'.

    Moments from a seeded sample with I > 0. With f' the fixed points a2 a1^mu = alpha/beta
    attract (limit: nonlinear_limit); without f' the nullclines a2 a1^mu = gamma/delta (a1' = 0)
    and a2 a1^mu = alpha/beta (a2' = 0) do not meet: no fixed point.
    """
    field = closed_form("nonlinear_field")
    limit = closed_form("nonlinear_limit")
    moments = closed_form("nonlinear_moments")
    rng = _rng(seed)
    # A constant target makes alpha/beta and gamma/delta clearly different.
    I = rng.uniform(0.1, 1.0, size=2000)
    T = 1.0 + 0.1 * rng.normal(size=I.size)
    mom = moments(I, T, mu)
    fig, axes = _figure(1, 2, 12.4, 6.0)
    starts = np.column_stack([rng.uniform(0.3, lim * 0.8, n_traj), rng.uniform(-lim * 0.6, lim * 0.8, n_traj)])
    for ax, with_fprime in zip(axes[0], (True, False)):
        def fun(y, with_fprime=with_fprime):
            return field(mom, c1, mu, y, derivative=with_fprime)
        g1 = np.linspace(0.05, lim, 60)
        g2 = np.linspace(-lim, lim, 60)
        X, Y = np.meshgrid(g1, g2)
        V = fun(np.stack([X.ravel(), Y.ravel()], axis=1))
        ax.streamplot(X, Y, V[:, 0].reshape(X.shape), V[:, 1].reshape(X.shape), color=STREAM_COLOR,
                      density=density, linewidth=0.7)
        a1 = np.linspace(0.05, lim, 400)
        ax.plot(a1, mom["alpha"] / (mom["beta"] * a1 ** mu), color=STABLE if with_fprime else "k",
                lw=2.5 if with_fprime else 1.4,
                label=r"$a_2 a_1^\mu = \alpha/\beta$" + (" (fixed points)" if with_fprime
                                                         else r" ($a_2' = 0$)"))
        if not with_fprime:
            ax.plot(a1, mom["gamma"] / (mom["delta"] * a1 ** mu), color="tab:brown", lw=1.4,
                    ls="--", label=r"$a_2 a_1^\mu = \gamma/\delta$ ($a_1' = 0$)")
        for k, y0 in enumerate(starts):
            # Without f' the field is stiff once a1 is large (a2 relaxes at rate beta a1^2mu).
            t, ys, res = _path(fun, y0, t_max, method="DOP853" if with_fprime else "LSODA")
            ax.plot(ys[:, 0], ys[:, 1], color=f"C{k}", lw=1.6)
            ax.plot(*y0, "o", color=f"C{k}", ms=5)
            if with_fprime:
                p = limit(mom["alpha"], mom["beta"], c1, mu, float(y0[0]), float(y0[1]))
                _mark_limit(ax, p, (0, lim), (-lim, lim))
        ax.set_xlim(0, lim)
        ax.set_ylim(-lim, lim)
        ax.set_xlabel("$a_1$")
        ax.set_ylabel("$a_2$")
        ax.set_title("with $f'$: converges (x = closed-form limit)" if with_fprime
                     else f"without $f'$: no fixed point, $a_1$ drifts on (t ≤ {t_max:g} shown)")
        ax.legend(fontsize=9, loc="lower right")
    fig.suptitle(rf"Non-linear A[1,1,1], hidden output $(a_1 I)^\mu$, $\mu = {mu:g}$, "
                 rf"$c_1 = {c1:g}$, $I\sim U(0.1, 1)$, $T = 1 + 0.1\,N(0,1)$ (seed {seed})", fontsize=12)
    return fig


# -- 10. ARBP ----------------------------------------------------------------------------------
def arbp_symmetry(alpha=1.0, beta=1.0, *, layers=(4, 5, 3), seed=0, t_max=1e3) -> Figure:
    r"""Adaptive RBP (THEORY.md section 8): :math:`C_h - A_{h+1}^T` is conserved.

    Left: A[1,1,1], c1(t), a2(t) and c1 - a2 (constant). Right: A[N0,N1,N2] from small starts,
    the relative asymmetry :math:`\|C_1 - A_2^T\|_F / \|A_2\|_F` falling as A_2 grows.
    """
    alpha, beta = float(alpha), _positive(beta, "beta")
    rng = _rng(seed)
    system = LinearSystem.create([1, 1, 1], "arbp", _scalar_stats(alpha, beta))
    y0 = np.array([0.3, -0.4, 1.2])  # a1, a2, c1
    t, ys, res = _path(system, y0, t_max, n_points=500)
    keep = t > 0
    fig, axes = _figure(1, 2, 13.0, 5.2)
    ax = axes[0, 0]
    ax.plot(t[keep], ys[keep, 2], color="C0", lw=1.6, label="$c_1(t)$")
    ax.plot(t[keep], ys[keep, 1], color="C1", lw=1.6, label="$a_2(t)$")
    ax.plot(t[keep], ys[keep, 2] - ys[keep, 1], color="k", lw=2.0, ls="--",
            label=f"$c_1 - a_2$ (max drift {np.max(np.abs(ys[:, 2] - ys[:, 1] - (y0[2] - y0[1]))):.1e})")
    ax.set_xscale("log")
    ax.set_xlabel("$t$")
    ax.set_ylabel("value")
    ax.set_title(r"A[1,1,1]: $c_1 - a_2$ stays constant")
    ax.legend(fontsize=9)

    N0, N1, N2 = layers
    stats = _random_stats(rng, N0, N2)
    ax = axes[0, 1]
    for k, scale in enumerate((1e-3, 1e-2, 1e-1)):
        A1 = rng.normal(scale=scale, size=(N1, N0))
        A2 = rng.normal(scale=scale, size=(N2, N1))
        C1 = rng.normal(scale=scale, size=(N1, N2))
        sysm = LinearSystem.create(list(layers), "arbp", stats)
        t, ys, res = _path(sysm, sysm.pack([A1, A2], [C1]), t_max, n_points=500)
        (W1, W2), (F1,) = sysm.unpack(ys)
        asym = np.linalg.norm(F1 - np.swapaxes(W2, -1, -2), axis=(1, 2)) / np.linalg.norm(W2, axis=(1, 2))
        ax.plot(t[t > 0], asym[t > 0], color=f"C{k}", lw=1.6, label=f"initial scale {scale:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("$t$")
    ax.set_ylabel(r"$\|C_1 - A_2^T\|_F / \|A_2\|_F$")
    ax.set_title(f"A[{N0},{N1},{N2}]: small starts end nearly symmetric")
    ax.legend(fontsize=9)
    fig.suptitle(rf"Adaptive RBP: $C_h - A_{{h+1}}^T$ is conserved ($\alpha={alpha:g}$, "
                 rf"$\beta={beta:g}$, seed {seed})", fontsize=12)
    return fig


# -- registry ----------------------------------------------------------------------------------
def _lazy(name):
    """A figure of :mod:`._second_tier` (imported when drawn: it reads the claim modules)."""
    def make(**kwargs):
        from . import _second_tier
        return getattr(_second_tier, name)(**kwargs)
    make.__name__ = name
    return make


@dataclass(frozen=True)
class FigureSpec:
    name: str
    title: str
    make: Callable[..., Figure]
    seeded: bool
    needs: tuple[str, ...]


FIGURES: dict[str, FigureSpec] = {
    s.name: s for s in (
        FigureSpec("chain111-portrait", "chain111 phase portraits, c1 > 0 and c1 < 0",
                   chain111_portrait, True, ("chain111_limit",)),
        FigureSpec("bp-rbp", "BP and RBP phase portraits side by side", bp_rbp_portraits, True, ()),
        FigureSpec("basin-map", "chain111 basin map, closed form vs integrated", basin_map, False,
                   ("chain111_limit",)),
        FigureSpec("poly1d", "poly1d: Q(x), flow, a convergent and a blow-up case", poly1d_flow,
                   False, ("poly1d_limit",)),
        FigureSpec("chain-depths", "chains of depth 2..6: excess loss and a1(t)", chain_depths, True,
                   ("chain_limit",)),
        FigureSpec("wide1N1", "wide1N1 trajectories and limits", wide_trajectories, True,
                   ("wide_limit",)),
        FigureSpec("autoencoder", "autoencoder: direction, lambda(t), B A", autoencoder_convergence,
                   True, ("autoencoder_limit", "autoencoder_product")),
        FigureSpec("single-hidden", "single hidden layer: product convergence, invariant drift",
                   single_hidden_convergence, True, ()),
        FigureSpec("nonlinear", "non-linear chain with and without f'", nonlinear_portraits, True,
                   ("nonlinear_field", "nonlinear_limit", "nonlinear_moments")),
        FigureSpec("arbp", "ARBP: c1 - a2 constant, weights becoming symmetric", arbp_symmetry,
                   True, ()),
        FigureSpec("rbp-modes", "A[N,N,N] mode strengths under RBP beside BP's Saxe sigmoids",
                   _lazy("rbp_modes_figure"), True, ("chain111_limit",)),
        FigureSpec("sgd-ode", "SGD on Fashion-MNIST against the averaged ODE, two step sizes",
                   _lazy("sgd_ode_figure"), True, ()),
    )
}
