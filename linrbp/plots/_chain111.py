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
    r"""Phase portraits of A[1,1,1] under SRBP, one panel per feedback c1 (docs/theory.md section 2).

    The field is :math:`a_1' = c_1 e`, :math:`a_2' = a_1 e`, :math:`e = \alpha - \beta a_1 a_2`.
    Each panel is :func:`portrait` of the system: streamlines, the fixed-point hyperbola
    :math:`a_1 a_2 = \alpha/\beta` coloured by its linearisation (stable where
    :math:`a_1^2 + c_1 a_2 > 0`), the nullcline :math:`a_1 = 0` of :math:`a_2`, trajectories with
    the closed-form limit (``chain111_limit``) marked x; and the critical parabola
    :math:`a_1^2 + c_1 a_2 = 0` with the point where it meets the hyperbola.

    Parameters
    ----------
    alpha : float, default 1.0
        :math:`\Sigma_{TI}` (input-target correlation).
    beta : float, default 1.0
        :math:`\Sigma_{II}` (input variance), positive.
    c1s : sequence of float, default (1.0, -1.0)
        The feedback weights, one panel each.
    lim : float, default 3.0
        Half-width of the box :math:`[-\mathrm{lim}, \mathrm{lim}]^2` of streamlines and starts.
    n_traj : int, default 6
        Trajectories per panel (the same starts in every panel).
    seed : int, default 0
        Seed of the starts (uniform in 0.85 of the box).
    t_max : float, default 200.0
        Integration time of each trajectory (time of the averaged ODE).
    density : float, default 1.1
        Streamline density (matplotlib's ``streamplot``).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per c1; ``fig.portrait`` is the last panel's record (see :func:`portrait`).

    Raises
    ------
    ValueError
        An InputError: beta not positive, seed not a non-negative integer.
    MissingClosedForm
        This build has no ``chain111_limit``.

    Examples
    --------
    >>> from linrbp import plots
    >>> fig = plots.chain111_portrait(c1s=(1.0,), n_traj=2, t_max=20.0, density=0.5)
    >>> [ax.get_title() for ax in fig.axes]
    ['$c_1 = 1$']
    >>> fig.portrait["status"]
    ['converged', 'converged']
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
    r"""A[1,1,1] under BP beside RBP, on the same data and from the same starts (docs/theory.md section 2).

    BP (:math:`a_1' = a_2 e`) conserves :math:`a_1^2 - a_2^2` (its trajectories are hyperbolas),
    RBP (:math:`a_1' = c_1 e`) conserves :math:`a_2 - a_1^2/(2 c_1)` (parabolas); both converge to
    the hyperbola :math:`a_1 a_2 = \alpha/\beta`. Each panel is :func:`portrait` of its system.

    Parameters
    ----------
    alpha : float, default 1.0
        :math:`\Sigma_{TI}` (input-target correlation).
    beta : float, default 1.0
        :math:`\Sigma_{II}` (input variance), positive.
    c1 : float, default 1.0
        RBP's feedback weight.
    lim : float, default 3.0
        Half-width of the box of streamlines and starts.
    n_traj : int, default 6
        Trajectories per panel.
    seed : int, default 0
        Seed of the starts.
    t_max : float, default 200.0
        Integration time of each trajectory (time of the averaged ODE).
    density : float, default 1.1
        Streamline density.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: BP (left), RBP (right).

    Raises
    ------
    ValueError
        An InputError: beta not positive, seed not a non-negative integer.

    Examples
    --------
    >>> from linrbp import plots
    >>> fig = plots.bp_rbp_portraits(n_traj=2, t_max=20.0, density=0.5)
    >>> [ax.get_title() for ax in fig.axes]
    ["BP (backpropagation): $a_1' = a_2 e$", "RBP with $c_1 = 1$: $a_1' = c_1 e$"]
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
    r"""The limit reached from each start of an n x n grid, for A[1,1,1] under SRBP (docs/theory.md section 9).

    :func:`basins` of :func:`chain111_system` in the (a1, a2) plane, with the closed form
    ``chain111_limit`` as the prediction. The grid is integrated in tiles (serial with
    ``workers=1``, else a local pool of ``workers`` processes, a Dask cluster at ``scheduler``, or
    any ``executor``); the tiles do not depend on what runs them, so neither does a bit of the map.

    Parameters
    ----------
    alpha : float, default 1.0
        :math:`\Sigma_{TI}` (input-target correlation).
    beta : float, default 1.0
        :math:`\Sigma_{II}` (input variance), positive.
    c1 : float, default 1.0
        The feedback weight.
    lim : float, default 3.0
        The grid covers :math:`[-\mathrm{lim}, \mathrm{lim}]^2`.
    n : int, default 41
        Grid points per axis (n >= 2).
    t_max : float, default 2000.0
        Integration time limit per start (time of the averaged ODE).
    tol : float, default 1e-6
        A converged start disagrees with the closed form when a coordinate differs by more than
        ``tol (1 + max |predicted|)``.
    workers : int, default 1
        Local processes running the tiles.
    scheduler : str, optional
        Address of a Dask scheduler to run the tiles on instead.
    executor : concurrent.futures.Executor, optional
        Any executor to run the tiles on instead.

    Returns
    -------
    BasinMap
        With ``extra = {"alpha", "beta", "c1"}``.

    Raises
    ------
    ValueError
        An InputError (bad parameters, grid or workers), before any integration.
    MissingClosedForm
        This build has no ``chain111_limit``.

    Examples
    --------
    With alpha = beta = c1 = 1 the two groups are the two branches of the hyperbola; the closed
    form and the integration agree on every converged start:

    >>> from linrbp import plots
    >>> b = plots.chain111_basins(n=5, t_max=200.0)
    >>> b.size, b.disagreements, b.n_unconverged
    (25, 0, 1)
    >>> [(g["count"], g["predicted_count"]) for g in b.groups]
    [(6, 7), (18, 18)]
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
    r"""The basin map of A[1,1,1] under SRBP (docs/theory.md section 9): colour = the hyperbola branch reached.

    :func:`basin_map` of :func:`chain111_basins`, with the critical parabola
    :math:`a_1^2 + c_1 a_2 = 0` and the trajectory into the degenerate fixed point. Left: predicted
    by the closed form; right: integrated. Disagreements are counted in the title and marked with
    black crosses.

    Parameters
    ----------
    alpha : float, default 1.0
        :math:`\Sigma_{TI}` (input-target correlation).
    beta : float, default 1.0
        :math:`\Sigma_{II}` (input variance), positive.
    c1 : float, default 1.0
        The feedback weight.
    lim : float, default 3.0
        The grid covers :math:`[-\mathrm{lim}, \mathrm{lim}]^2`.
    n : int, default 41
        Grid points per axis.
    data : BasinMap, optional
        A map from :func:`chain111_basins` to draw (alpha, beta, c1, lim and n are then its own);
        default: computed here.
    workers : int, default 1
        Local processes running the tiles (when computed here).
    scheduler : str, optional
        Address of a Dask scheduler to run the tiles on instead.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels; the BasinMap as ``fig.basins``.

    Raises
    ------
    ValueError
        An InputError from :func:`chain111_basins`.

    Examples
    --------
    >>> from linrbp import plots
    >>> b = plots.chain111_basins(n=5, t_max=200.0)
    >>> fig = plots.chain111_basin_map(data=b)
    >>> fig.basins is b, len(fig.axes)
    (True, 2)
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
