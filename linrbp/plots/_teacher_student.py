"""Figures of the teacher-student limit (the theory page, section 11): the ODE's eps_g over SGD
runs at several N, and FA's align-then-memorise picture."""

from __future__ import annotations

import numpy as np

from ._common import _figure, _rng

__all__ = ["ts_ode_vs_sgd_figure", "ts_align_figure"]


def _start(rng, K, M, rule, v_scale=1.0, eta=1.0, t_max=10.0):
    from ..teacher_student import parse_ts_instance

    W = rng.normal(size=(K + M, 1000))
    C = W @ W.T / 1000
    d = {"model": "teacher-student", "activation": "erf", "rule": rule, "eta": eta, "sigma": 0.0,
         "Q": C[:K, :K].tolist(), "R": C[:K, K:].tolist(), "T": C[K:, K:].tolist(),
         "v": (v_scale * rng.normal(size=K)).tolist(), "A": [1.0] * M, "t_max": t_max}
    b = rng.normal(size=K)
    if rule != "bp":
        d["b"] = b.tolist()
    return parse_ts_instance(d), b


def ts_ode_vs_sgd_figure(seed: int = 0):
    """eps_g(t) of the ODE (line) and of SGD runs (3 seeds each) at N = 100, 500, 2000; erf, K = M = 2, FA."""
    from ..teacher_student import integrate_ts, simulate_sgd

    rng = _rng(seed)
    inst, _ = _start(rng, 2, 2, "rbp")
    times = np.concatenate([[0.0], np.geomspace(0.05, 10.0, 30)])
    ode = integrate_ts(inst, times)
    fig, axes = _figure(1, 2, 11, 4.2)
    ax, ax2 = axes[0]
    ax.plot(times[1:], ode["eps_g"][1:], "k-", lw=2, label="ODE")
    colours = {100: "tab:red", 500: "tab:orange", 2000: "tab:blue"}
    for N, c in colours.items():
        seeds = [seed * 1000 + k for k in range(3)]
        sgd = np.array(simulate_sgd(inst, N, seeds, times)["eps_g"])
        t_n = np.rint(times * N) / N
        for k in range(len(seeds)):
            ax.plot(t_n[1:], sgd[k, 1:], color=c, lw=0.8, alpha=0.8, label=f"SGD N = {N}" if k == 0 else None)
        ax2.plot(t_n[1:], np.sqrt(np.mean((sgd - np.array(ode["eps_g"])[None]) ** 2, axis=0))[1:] * np.sqrt(N),
                 color=c, label=f"N = {N}")
    ax.set_xscale("log")
    ax.set_xlabel("$t$ = steps / N")
    ax.set_ylabel(r"$\epsilon_g$")
    ax.legend(fontsize=8)
    ax.set_title("erf, K = M = 2, FA, $\\eta = 1$")
    ax2.set_xscale("log")
    ax2.set_xlabel("$t$")
    ax2.set_ylabel(r"$\sqrt{N}\,$RMS$(\epsilon_g^{SGD} - \epsilon_g^{ODE})$ (3 seeds)")
    ax2.legend(fontsize=8)
    ax2.set_title("the gaps times $\\sqrt{N}$ stay of one size")
    fig.suptitle(f"Teacher-student limit: SGD follows the order-parameter ODE (seed {seed})", fontsize=12)
    return fig


def ts_align_figure(seed: int = 0):
    """cos(v, b) and eps_g against log t under FA from small v0 (ODE, 3 feedback draws; one SGD run
    at N = 1000), and BP from the same start."""
    from ..teacher_student import integrate_ts, simulate_sgd

    rng = _rng(seed)
    times = np.concatenate([[0.0], np.geomspace(1e-3, 60.0, 120)])
    fig, axes = _figure(1, 2, 11, 4.2)
    axc, axe = axes[0]
    for k in range(3):
        inst, b = _start(rng, 2, 2, "rbp", v_scale=1e-3, t_max=60.0)
        out = integrate_ts(inst, times)
        v = np.array(out["v"])
        cos = v @ b / (np.linalg.norm(v, axis=1) * np.linalg.norm(b))
        axc.plot(times[1:], cos[1:], lw=1.5, label=f"FA, feedback draw {k + 1}")
        axe.plot(times[1:], np.array(out["eps_g"][1:]) / out["eps_g"][0], lw=1.5, label=f"FA, draw {k + 1}")
        if k == 0:
            d = inst.to_dict()
            d.update(rule="bp")
            d.pop("b")
            from ..teacher_student import parse_ts_instance
            bp = integrate_ts(parse_ts_instance(d), times)
            axe.plot(times[1:], np.array(bp["eps_g"][1:]) / bp["eps_g"][0], "k--", lw=1.5, label="BP, draw 1")
            t_sgd = np.unique(np.rint(times[times <= 20.0] * 1000)) / 1000  # whole steps at N = 1000
            sgd = simulate_sgd(inst, 1000, [seed], t_sgd)
            vs = np.array(sgd["v"][0])
            cs = vs @ b / (np.linalg.norm(vs, axis=1) * np.linalg.norm(b))
            ts = np.array(sgd["times"])
            axc.plot(ts[1:], cs[1:], ".", ms=3, color="tab:blue", alpha=0.6, label="SGD N = 1000, draw 1")
            axe.plot(ts[1:], np.array(sgd["eps_g"][0][1:]) / sgd["eps_g"][0][0], ".", ms=3, color="tab:blue",
                     alpha=0.6, label="SGD N = 1000")
    axc.axhline(0.9, color="grey", lw=0.8, ls=":")
    axe.axhline(0.5, color="grey", lw=0.8, ls=":")
    for ax in (axc, axe):
        ax.set_xscale("log")
        ax.set_xlabel("$t$")
        ax.legend(fontsize=7)
    axc.set_ylabel(r"$\cos(v, b)$")
    axc.set_title("align: $v$ turns to the feedback $b$")
    axe.set_ylabel(r"$\epsilon_g(t) / \epsilon_g(0)$")
    axe.set_title("then memorise: the error falls later")
    fig.suptitle(f"Feedback alignment in the teacher-student limit: align, then memorise (seed {seed})",
                 fontsize=12)
    return fig
