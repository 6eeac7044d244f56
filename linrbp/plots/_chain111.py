"""A[1,1,1] figures (THEORY.md sections 2 and 9): the phase portraits under RBP and beside BP,
and the basin map."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..core._errors import InputError
from ..integration._integrate import integrate_batch
from ._common import (HYPERBOLA_STYLE, PARABOLA_STYLE, STABLE, STREAM_COLOR, UNSTABLE, _box, _draw_fixed_points, _figure, _hyperbola, _mark_limit, _path, _positive, _rng, _starts, _streams, chain111_system, closed_form)

__all__ = ["chain111_portrait", "bp_rbp_portraits", "BasinMap", "chain111_basins", "basin_map"]


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
    (relative to 1 + |a1|); ``unconverged`` marks starts whose integration did not converge
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

    The grid is integrated in tiles of :data:`TILE_ROWS` rows, one task each (serial with
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
