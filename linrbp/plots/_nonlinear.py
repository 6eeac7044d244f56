"""Beyond fixed linear feedback: the non-linear chain (docs/theory.md section 7) and adaptive RBP
(section 8)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..core._field import LinearSystem
from ._common import (STABLE, STREAM_COLOR, _figure, _mark_limit, _path, _positive, _random_stats, _rng, _scalar_stats, closed_form)

__all__ = ["nonlinear_portraits", "arbp_symmetry"]


# -- 9. the non-linear chain -------------------------------------------------------------------
def nonlinear_portraits(mu=2.0, c1=1.0, *, seed=0, lim=2.5, n_traj=5, t_max=20.0,
                        density=1.0) -> Figure:
    r"""A[1,1,1] with hidden output :math:`(a_1 I)^\mu`, with and without f' (docs/theory.md section 7).

    The moments come from a sample drawn from ``seed`` (:math:`I \sim U(0.1, 1)`,
    :math:`T = 1 + 0.1 N(0, 1)`). With f' the fixed points :math:`a_2 a_1^\mu = \alpha/\beta`
    attract (x: the closed-form limit, ``nonlinear_limit``); without f' the nullclines
    :math:`a_2 a_1^\mu = \gamma/\delta` (:math:`a_1' = 0`) and :math:`a_2 a_1^\mu = \alpha/\beta`
    (:math:`a_2' = 0`) do not meet: there is no fixed point.

    Parameters
    ----------
    mu : float, default 2.0
        The power of the hidden unit's output.
    c1 : float, default 1.0
        The feedback weight.
    seed : int, default 0
        Seed of the data sample and the starts.
    lim : float, default 2.5
        The view: :math:`a_1 \in (0, \mathrm{lim}]`, :math:`a_2 \in [-\mathrm{lim}, \mathrm{lim}]`.
    n_traj : int, default 5
        Trajectories per panel.
    t_max : float, default 20.0
        Integration time (time of the averaged ODE).
    density : float, default 1.0
        Streamline density.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: with f' (left), without (right).

    Raises
    ------
    ValueError
        An InputError: seed not a non-negative integer.
    MissingClosedForm
        This build has no ``nonlinear_field``, ``nonlinear_limit`` or ``nonlinear_moments``.

    Examples
    --------
    >>> from linrbp import plots
    >>> fig = plots.nonlinear_portraits(n_traj=1, t_max=5.0, density=0.5)
    >>> for ax in fig.axes:
    ...     print(ax.get_title())
    with $f'$: converges (x = closed-form limit)
    without $f'$: no fixed point, $a_1$ drifts on (t ≤ 5 shown)
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
    r"""Adaptive RBP (docs/theory.md section 8): :math:`C_h - A_{h+1}^T` is conserved.

    Left: A[1,1,1] from (a1, a2, c1) = (0.3, -0.4, 1.2): :math:`c_1(t)`, :math:`a_2(t)` and
    :math:`c_1 - a_2` (constant; its largest drift in the legend). Right: A[N0,N1,N2] on data drawn
    from ``seed``, from small starts of three scales: the relative asymmetry
    :math:`\|C_1 - A_2^T\|_F / \|A_2\|_F` falls as :math:`A_2` grows.

    Parameters
    ----------
    alpha : float, default 1.0
        :math:`\Sigma_{TI}` of the A[1,1,1] panel.
    beta : float, default 1.0
        :math:`\Sigma_{II}` of the A[1,1,1] panel, positive.
    layers : (int, int, int), default (4, 5, 3)
        (N0, N1, N2) of the matrix panel.
    seed : int, default 0
        Seed of the matrix panel's data and starts.
    t_max : float, default 1e3
        Integration time (time of the averaged ODE).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels.

    Raises
    ------
    ValueError
        An InputError: beta not positive, seed not a non-negative integer.

    Examples
    --------
    >>> from linrbp import plots
    >>> fig = plots.arbp_symmetry(layers=(2, 2, 1), t_max=100.0)
    >>> label = fig.axes[0].get_lines()[2].get_label()
    >>> label.split(" (")[0], float(label.rsplit(" ", 1)[1].rstrip(")")) < 1e-12
    ('$c_1 - a_2$', True)
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
