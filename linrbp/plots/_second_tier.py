"""Figures of docs/theory.md section 10: `rbp-modes` (mode strengths under RBP beside BP's sigmoids)."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..core._errors import InputError

__all__ = ["rbp_modes_figure"]


def _figure(nrows, ncols, width, height):
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def rbp_modes_figure(*, n=4, seed=0, t_max=8.0) -> Figure:
    """A[N,N,N], S_II = Id, S_TI = U diag(s) V^T, one aligned balanced start
    A_1 = R diag(sqrt(u0)) V^T, A_2 = U diag(sqrt(u0)) R^T (seeded). Left: BP, mode strengths
    a_i b_i (t) from the integrated network (solid) and Saxe's sigmoid u(t) (dashed). Right: RBP
    with C_1 = R diag(c) U^T on the same data and start, a_i b_i (t) from the integrated network
    (solid) and chain111 integrated per mode (dashed), with chain111_limit's a_i b_i (dotted)."""
    from ..claims._matrix_tools import instance_file
    from ..claims.rbp_modes import mode_paths, random_instance
    from ..claims.saxe import mode_strength
    from ..closed_forms._modes import aligned_modes, modes_limit
    from ..instances._instance import parse_instance
    from ..integration._integrate import integrate

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: expected a non-negative integer, got {seed!r}")
    rng = np.random.default_rng(int(seed))
    inst = random_instance(rng, "rbp", balanced=True)
    ts = np.linspace(0, t_max, 200)
    U, V, R = (np.asarray(inst[k], float) for k in ("U", "V", "R"))
    s, a0, b0 = (np.asarray(inst[k], float) for k in ("s", "a", "b"))
    fig, axes = _figure(1, 2, 13.0, 5.0)
    for ax, rule in zip(axes[0], ("bp", "rbp")):
        d = {**inst, "rule": rule, "feedback": [] if rule == "bp" else inst["feedback"]}
        p = parse_instance(instance_file(d))
        res = integrate(p.system, p.y0, t_max, rtol=1e-10, atol=1e-12, conv_tol=0.0, t_eval=ts)
        strengths = []
        for y in res.ys:
            (A1, A2), _ = p.system.unpack(y)
            strengths.append(np.diag(U.T @ A2 @ A1 @ V))
        strengths = np.array(strengths)
        if rule == "bp":
            ref = mode_strength(s, a0 * b0, res.t)
            label = "Saxe sigmoid"
        else:
            am, bm = mode_paths(d, res.t)
            ref = am * bm
            label = "chain111 per mode"
            modes = aligned_modes(d["sigma_ii"], d["sigma_ti"], d["feedback"][0], *d["weights"])
            _, _, a_inf, b_inf = modes_limit(modes)
        if rule == "bp":
            limits = s                      # Saxe: a_i b_i -> s_i
            limit_label = "limit $s_i$ (dotted)"
        else:
            limits = a_inf * b_inf          # chain111_limit per mode
            limit_label = "chain111_limit's $a_i b_i$ (dotted)"
        for i in range(len(s)):
            ax.plot(res.t, strengths[:, i], color=f"C{i}", lw=1.8,
                    label=f"mode {i + 1}: $s_{i + 1}$ = {s[i]:.2f}" + (f", $c_{i + 1}$ = {inst['c'][i]:+.2f}" if rule != "bp" else ""))
        for i in range(len(s)):
            ax.plot(res.t, ref[:, i], color="k", lw=0.9, ls="--", label=f"{label} (dashed)" if i == 0 else None)
        for i in range(len(s)):
            ax.axhline(limits[i], color=f"C{i}", lw=1.0, ls=":", label=limit_label if i == 0 else None)
        ax.set_xlabel("$t$")
        ax.set_ylabel("$a_i b_i$ (mode strength)")
        ax.set_title(f"A[{len(s)},{len(s)},{len(s)}] under {rule.upper()}, same data and start")
        # modes first, then the references (the legend lists handles in drawing order)
        ax.legend(fontsize=8, loc="lower right")
    return fig


def sgd_ode_figure(*, seed=0, etas=(1e-3, 1e-4), rule="bp", T=0.32) -> Figure:
    """`sgd-ode`: A[784,3,10] on the first 2000 Fashion-MNIST training images. Left: two entries
    of the product P(t) (the largest at t = T and one more) along SGD paths with replacement,
    two step sizes eta, 3 seeds each, against the ODE path (black). Right: |P_SGD - P_ODE|_F /
    |P_ODE(T)|_F over time for the same runs."""
    from ..claims import sgd_ode as S

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: expected a non-negative integer, got {seed!r}")
    X, Y = S.fashion_data()
    A1, A2, C1 = S._start(int(seed), X.shape[1], S.HIDDEN, Y.shape[1])
    n = 64
    times = np.linspace(0, T, n + 1)
    ode = S.ode_products(X, Y, rule, A1, A2, C1, times)
    scale = np.linalg.norm(ode[-1])
    idx = np.unravel_index(np.argsort(np.abs(ode[-1]).ravel())[::-1][:2], ode[-1].shape)
    fig, axes = _figure(1, 2, 13.0, 5.0)
    ends = {}
    for k, (i, j) in enumerate(zip(*idx)):
        axes[0, 0].plot(times, ode[:, i, j], color="k", lw=2.2, label="ODE" if k == 0 else None)
    for c, eta in enumerate(etas):
        every = int(round(T / n / eta))
        for s in range(3):
            P = S.sgd_products(X, Y, rule, A1, A2, C1, eta, every * n, every, 1000 * int(seed) + s)
            for k, (i, j) in enumerate(zip(*idx)):
                axes[0, 0].plot(times, P[:, i, j], color=f"C{c}", lw=0.9, alpha=0.8,
                                label=rf"SGD, $\eta$ = {eta:g}" if (s == 0 and k == 0) else None)
            dist = np.linalg.norm(P - ode, axis=(1, 2)) / scale
            ends.setdefault(eta, []).append(dist[-1])
            axes[0, 1].plot(times, dist, color=f"C{c}", lw=1.0,
                            label=rf"$\eta$ = {eta:g}" if s == 0 else None)
    axes[0, 0].set_xlabel(r"$t = \eta \times$ steps")
    axes[0, 0].set_ylabel("entries of $P = A_2 A_1$")
    axes[0, 0].set_title(f"A[784,{S.HIDDEN},10] under {rule.upper()}, Fashion-MNIST (2000 images)")
    axes[0, 0].legend(fontsize=8)
    axes[0, 1].set_xlabel("$t$")
    axes[0, 1].set_ylabel(r"$\|P_{SGD}(t) - P_{ODE}(t)\|_F \,/\, \|P_{ODE}(T)\|_F$")
    axes[0, 1].set_yscale("log")
    (e1, d1), (e2, d2) = ((e, float(np.mean(ends[e]))) for e in etas[:2])
    axes[0, 1].set_title("distance to the ODE path relative to $\\|P_{ODE}(T)\\|_F$ (3 seeds)\n"
                         f"at $t = T$: $\\eta$ ratio {e1 / e2:g} gives distance ratio {d1:.3g} / {d2:.3g} = "
                         f"{d1 / d2:.2f} ($\\sqrt{{{e1 / e2:g}}}$ = {np.sqrt(e1 / e2):.2f})", fontsize=10)
    axes[0, 1].legend(fontsize=8)
    return fig
