"""A[1,1,1] figures (docs/theory.md sections 2 and 9): the phase portraits under RBP and beside BP,
and the basin map, each a call of :func:`linrbp.plots.portrait` / :func:`linrbp.plots.basins`
with the closed form chain111_limit and the curves only this system has (the critical
parabola, the trajectory into the degenerate point)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ._basins import BasinMap, basin_map, basins
from ._common import (PARABOLA_STYLE, _settle, _shared_view, STABLE, UNSTABLE, _figure, _positive, _rng, _starts,
                      chain111_system, closed_form)
from ._plane import portrait

__all__ = ["chain111_portrait", "bp_rbp_portraits", "BasinMap", "chain111_basins", "chain111_basin_map"]

AXES = ("A1[0,0]", "A2[0,0]")


def _closed_form(alpha, beta, c1):
    limit = closed_form("chain111_limit")
    return lambda y0: np.asarray(limit(alpha, beta, c1, float(y0[0]), float(y0[1])), float)


# -- 1. chain111 phase portrait ---------------------------------------------------------------
def chain111_portrait(alpha=1.0, beta=1.0, c1s=(1.0, -1.0), *, lim=3.0, n_traj=6, seed=0,
                      t_max=200.0, density=1.1) -> Figure:
    """A[1,1,1] under SRBP: a1' = c1 e, a2' = a1 e, e = alpha - beta a1 a2 (docs/theory.md section 2).

    One panel per c1, each :func:`linrbp.plots.portrait` of the system: streamlines, the
    fixed-point hyperbola a1 a2 = alpha/beta from the symbolic fixed-point set, coloured by the
    linearisation (stable where a1^2 + c1 a2 > 0), the nullcline a1 = 0 of a2, trajectories with
    the closed-form limit (chain111_limit) marked; and the extra critical parabola
    a1^2 + c1 a2 = 0 with the point where it meets the hyperbola.
    """
    alpha, beta = float(alpha), _positive(beta, "beta")
    closed_form("chain111_limit")
    rng = _rng(seed)
    starts = _starts(rng, n_traj, lim)
    fig, axes = _figure(1, len(c1s), 6.2 * len(c1s), 7.4)
    handles, views = [], []
    for ax, c1 in zip(axes[0], c1s):
        system = chain111_system(alpha, beta, c1)
        portrait(system, [0.0, 0.0], axes=AXES, range=(-lim, lim, -lim, lim), starts=starts, t_max=t_max,
                 predict=_closed_form(alpha, beta, float(c1)), density=density, ax=ax)
        views.append(fig.portrait["view"])
        handles = handles or fig.portrait["handles"]
        a1 = np.linspace(-3 * lim, 3 * lim, 1200)
        ax.plot(a1, -a1 ** 2 / c1, **PARABOLA_STYLE, zorder=2)
        x = np.cbrt(-c1 * alpha / beta)
        ax.plot([x], [-x ** 2 / c1], "o", mfc="white", mec="k", ms=7, zorder=6)
        ax.set_aspect("equal")
        ax.set_xlabel("$a_1$ (lower weight)")
        ax.set_ylabel("$a_2$ (upper weight)")
        ax.set_title(f"$c_1 = {c1:g}$", fontsize=12)
    handles = handles[:-3] + [
        Line2D([], [], **PARABOLA_STYLE, label=r"critical parabola $a_1^2 + c_1 a_2 = 0$"),
        Line2D([], [], ls="", marker="o", mfc="white", mec="k", label="parabola meets hyperbola"),
    ] + handles[-3:]
    _shared_view(axes[0], views)
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=9, frameon=False)
    fig.suptitle(rf"A[1,1,1] under random backpropagation, $\alpha={alpha:g}$, $\beta={beta:g}$ "
                 f"(starts drawn with seed {seed})", fontsize=13)
    return _settle(fig)


# -- 2. BP and RBP side by side ----------------------------------------------------------------
def bp_rbp_portraits(alpha=1.0, beta=1.0, c1=1.0, *, lim=3.0, n_traj=6, seed=0,
                     t_max=200.0, density=1.1) -> Figure:
    """A[1,1,1] on the same data and starts: BP (a1' = a2 e) beside RBP (a1' = c1 e), each
    :func:`linrbp.plots.portrait` of its system.

    BP conserves a1^2 - a2^2 (its trajectories are hyperbolas), RBP conserves a2 - a1^2/(2 c1)
    (parabolas); both converge to the hyperbola a1 a2 = alpha/beta.
    """
    alpha, beta = float(alpha), _positive(beta, "beta")
    rng = _rng(seed)
    starts = _starts(rng, n_traj, lim)
    fig, axes = _figure(1, 2, 12.4, 7.4)
    titles = {"bp": "BP (backpropagation): $a_1' = a_2 e$",
              "rbp": rf"RBP with $c_1 = {c1:g}$: $a_1' = c_1 e$"}
    handles, views = {}, []
    for ax, rule in zip(axes[0], ("bp", "rbp")):
        system = chain111_system(alpha, beta, c1, rule)
        portrait(system, [0.0, 0.0], axes=AXES, range=(-lim, lim, -lim, lim), starts=starts, t_max=t_max,
                 predict=None, density=density, ax=ax)
        views.append(fig.portrait["view"])
        for h in fig.portrait["handles"]:
            handles.setdefault(h.get_label(), h)
        ax.set_aspect("equal")
        ax.set_xlabel("$a_1$ (lower weight)")
        ax.set_ylabel("$a_2$ (upper weight)")
        ax.set_title(titles[rule], fontsize=12)
    _shared_view(axes[0], views)
    fig.legend(handles=list(handles.values()), loc="outside lower center", ncol=4, fontsize=9,
               frameon=False)
    fig.suptitle(rf"BP and RBP on the same data ($\alpha={alpha:g}$, $\beta={beta:g}$) "
                 f"from the same starts (seed {seed})", fontsize=13)
    return _settle(fig)


# -- 3. basin map -----------------------------------------------------------------------------
def chain111_basins(alpha=1.0, beta=1.0, c1=1.0, *, lim=3.0, n=41, t_max=2000.0,
                    tol=1e-6, workers: int = 1, scheduler: str | None = None,
                    executor=None) -> BasinMap:
    """(a1, a2)(inf) over an n x n grid of starts in [-lim, lim]^2, by closed form
    (chain111_limit) and integrate_batch: :func:`linrbp.plots.basins` of A[1,1,1].

    The grid is integrated in tiles (serial with ``workers=1``, else a local pool of ``workers``
    processes, a Dask cluster with ``scheduler``, or any ``executor``); the tiles do not depend
    on what runs them, so neither does a single bit of the map.
    """
    alpha, beta = float(alpha), _positive(beta, "beta")
    c1 = float(c1)
    system = chain111_system(alpha, beta, c1)  # bad parameters fail here, before any task
    b = basins(system, [0.0, 0.0], axes=AXES, range=(-lim, lim, -lim, lim), n=n, t_max=t_max, tol=tol,
               predict=_closed_form(alpha, beta, c1), workers=workers, scheduler=scheduler,
               executor=executor)
    b.extra.update(alpha=alpha, beta=beta, c1=c1)
    return b


def chain111_basin_map(alpha=1.0, beta=1.0, c1=1.0, *, lim=3.0, n=41, data: BasinMap | None = None,
                       workers: int = 1, scheduler: str | None = None) -> Figure:
    """Basins of A[1,1,1] (docs/theory.md section 9): colour = the hyperbola branch reached.

    :func:`linrbp.plots.basin_map` of :func:`chain111_basins`, with the critical parabola and the
    trajectory into the degenerate fixed point. Left: predicted by the closed form; right:
    integrated. Disagreements are counted in the title and marked with black crosses; the
    BasinMap is attached as ``fig.basins``.
    """
    b = data if data is not None else chain111_basins(alpha, beta, c1, lim=lim, n=n, workers=workers,
                                                      scheduler=scheduler)
    alpha, beta, c1 = b.extra["alpha"], b.extra["beta"], b.extra["c1"]
    fig = basin_map(data=b, legend=False, title="")
    lim = float(b.x[-1])
    a1 = np.linspace(-lim, lim, 400)
    x = np.cbrt(-c1 * alpha / beta)
    K = -x ** 2 / c1 - x ** 2 / (2 * c1)
    for ax in fig.axes:
        xl, yl = ax.get_xlim(), ax.get_ylim()
        ax.plot(a1, -a1 ** 2 / c1, **PARABOLA_STYLE)
        # The trajectory into the degenerate fixed point (tangency of the parabolas with the
        # hyperbola): the a1 < 0 basin's boundary away from the unstable arc.
        ax.plot(a1, a1 ** 2 / (2 * c1) + K, color="k", lw=1.0, ls="-.")
        ax.plot([x], [-x ** 2 / c1], "o", mfc="white", mec="k", ms=6, zorder=9)
        ax.set_xlim(*xl)
        ax.set_ylim(*yl)
        ax.set_aspect("equal")
        ax.set_xlabel("$a_1(0)$")
        ax.set_ylabel("$a_2(0)$")
    colors = {}
    for g in b.groups:
        colors.setdefault("a1 > 0" if g["range"][0][0] > 0 else "a1 < 0", g["label"])
    from ._basins import GROUP_COLORS
    handles = [Line2D([], [], ls="", marker="s", ms=10, color=GROUP_COLORS[colors[k] % len(GROUP_COLORS)],
                      alpha=0.6, label=rf"reaches the ${k.replace('a1', 'a_1')}$ branch")
               for k in ("a1 > 0", "a1 < 0") if k in colors]
    handles += [
        Line2D([], [], color=STABLE, lw=3, label=r"stable fixed points $a_1a_2=\alpha/\beta$"),
        Line2D([], [], color=UNSTABLE, lw=3, ls="--", label="unstable fixed points"),
        *[h for h in fig.basin_handles if h.get_label().startswith("nullcline")],
        Line2D([], [], **PARABOLA_STYLE, label=r"$a_1^2 + c_1 a_2 = 0$"),
        Line2D([], [], color="k", lw=1.0, ls="-.", label="trajectory into the degenerate point (o)"),
        Line2D([], [], ls="", marker="x", color="k", mew=1.8, label="disagreement"),
        Line2D([], [], ls="", marker="s", mfc="none", mec="k", label=f"not converged by t={b.t_max:g}"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=9, frameon=False)
    fig.suptitle(rf"Basins of A[1,1,1] ($\alpha={alpha:g}$, $\beta={beta:g}$, $c_1={c1:g}$) over "
                 f"{b.size} starts: {b.disagreements} disagreements "
                 f"(|Δ| > {b.tol:g}(1+|limit|)), {b.n_unconverged} not converged by "
                 f"t = {b.t_max:g}", fontsize=12)
    return _settle(fig)
