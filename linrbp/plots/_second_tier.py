"""Figures of THEORY.md section 10: `rbp-modes` (mode strengths under RBP beside BP's sigmoids)."""

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
        p = parse_instance(d)
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
        for i in range(len(s)):
            ax.plot(res.t, strengths[:, i], color=f"C{i}", lw=1.8,
                    label=f"mode {i + 1}: $s_{i + 1}$ = {s[i]:.2f}" + (f", $c_{i + 1}$ = {inst['c'][i]:+.2f}" if rule != "bp" else ""))
            ax.plot(res.t, ref[:, i], color="k", lw=0.9, ls="--", label=label if i == 0 else None)
            if rule != "bp":
                ax.axhline(a_inf[i] * b_inf[i], color=f"C{i}", lw=0.8, ls=":")
        ax.set_xlabel("$t$")
        ax.set_ylabel("$a_i b_i$ (mode strength)")
        ax.set_title(f"A[{len(s)},{len(s)},{len(s)}] under {rule.upper()}, same data and start")
        ax.legend(fontsize=8)
    return fig
