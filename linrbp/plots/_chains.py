"""Scalar chains of depth L (docs/theory.md section 3) and the wide A[1,N,1] (section 4)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..core._field import LinearSystem
from ._common import (_figure, _legend_below, _path, _positive, _rng, _scalar_stats, chain_system, closed_form)

__all__ = ["chain_depths", "wide_trajectories"]


def chain_depths(depths=(2, 3, 4, 5, 6), alpha=1.0, beta=1.0, *, seed=0, t_max=1e4) -> Figure:
    r"""Scalar chains A[1,...,1] of several depths L under SRBP (docs/theory.md section 3).

    Per depth, feedback :math:`c_h \sim U(0.5, 1.5)` and starts :math:`a_h(0) \sim U(0.2, 0.8)` are
    drawn from ``seed``. Left: the excess loss :math:`\frac{1}{2}\beta(P - \alpha/\beta)^2` against t
    (log-log); right: :math:`a_1(t)` with its closed-form limit (``chain_limit``) dashed and the
    integrated end's distance to it in the legend.

    Parameters
    ----------
    depths : sequence of int, default (2, 3, 4, 5, 6)
        The depths L (number of weights).
    alpha : float, default 1.0
        :math:`\Sigma_{TI}` (input-target correlation).
    beta : float, default 1.0
        :math:`\Sigma_{II}` (input variance), positive.
    seed : int, default 0
        Seed of the feedback and starts.
    t_max : float, default 1e4
        Integration time (time of the averaged ODE).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels.

    Raises
    ------
    ValueError
        An InputError: beta not positive, seed not a non-negative integer.
    MissingClosedForm
        This build has no ``chain_limit``.

    Examples
    --------
    >>> from linrbp import plots
    >>> fig = plots.chain_depths(depths=(2, 3), t_max=100.0)
    >>> for line in fig.axes[1].get_lines()[::2]:
    ...     print(line.get_label().split(", integrated")[0])
    $L = 2$: $a_1(\infty) = 1.2189$
    $L = 3$: $a_1(\infty) = 0.9788$
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
    r"""The wide network A[1,N,1] under RBP (docs/theory.md section 4).

    :math:`a_i' = c_i e`, :math:`b_i' = a_i e` with c, a(0), b(0) drawn from ``seed``
    (:math:`c \sim N(0, 1)`, starts :math:`N(0, 0.5^2)`). Panels: :math:`a_i(t)` and
    :math:`b_i(t)` with their closed-form limits (``wide_limit``) dashed, and
    :math:`P(t) = \sum_i a_i b_i \to \alpha/\beta`; the title gives the integrated end's largest
    distance to the closed form.

    Parameters
    ----------
    N : int, default 4
        Hidden width.
    alpha : float, default 1.0
        :math:`\Sigma_{TI}` (input-target correlation).
    beta : float, default 1.0
        :math:`\Sigma_{II}` (input variance), positive.
    seed : int, default 0
        Seed of the feedback and starts.
    t_max : float, default 1e4
        Integration time (time of the averaged ODE).

    Returns
    -------
    matplotlib.figure.Figure
        Three panels.

    Raises
    ------
    ValueError
        An InputError: beta not positive, seed not a non-negative integer.
    MissingClosedForm
        This build has no ``wide_limit``.

    Examples
    --------
    >>> from linrbp import plots
    >>> fig = plots.wide_trajectories(N=2, t_max=100.0)
    >>> title = fig._suptitle.get_text()
    >>> print(title.splitlines()[0])
    A[1,2,1] under RBP (= SRBP with one hidden layer), feedback $c$ = (0.13, -0.13), seed 0
    >>> float(title.rsplit(" ", 1)[1]) < 1e-9  # the integrated end's distance to the closed form
    True
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
    fig.suptitle(f"A[1,{N},1] under RBP (= SRBP with one hidden layer), feedback "
                 f"$c$ = ({', '.join(f'{v:.2f}' for v in c)}), seed {seed}\nintegrated end "
                 f"({res.status[0]}, t = {res.t_end[0]:.3g}) vs closed form: max error {err:.1e}",
                 fontsize=12)
    return fig
