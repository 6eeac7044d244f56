"""Matrix systems: the autoencoder A[N,1,N] (docs/theory.md section 5) and the single hidden layer
(section 6) with its probe panel."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..core._errors import InputError
from ..core._field import LinearSystem
from ..core._stats import DataStats
from ._common import (_figure, _legend_below, _path, _random_stats, _rng, closed_form)

__all__ = ["autoencoder_convergence", "single_hidden_convergence", "PROBE_SEEDS", "PROBE_BARS"]


# -- 7. autoencoder ----------------------------------------------------------------------------
def autoencoder_convergence(N=4, *, seed=0, scale=0.3, t_max=1e4) -> Figure:
    r"""The autoencoder A[N,1,N] under RBP with whitened data (docs/theory.md section 5).

    :math:`A \to \lambda C` and :math:`B A \to C^T C/\|C\|^2`. Panels:
    :math:`1 - |\cos(A(t), C)|` (direction), :math:`\lambda(t) = A C^T/\|C\|^2` against the
    cubic's positive root (``autoencoder_limit``), and :math:`\|B A(t) - P\|_F` to the projection
    P (``autoencoder_product``). The feedback C and the starts are drawn from ``seed``.

    Parameters
    ----------
    N : int, default 4
        Input and output dimension.
    seed : int, default 0
        Seed of C (:math:`N(0, 1)`) and the starts A(0), B(0).
    scale : float, default 0.3
        Standard deviation of the starts' entries.
    t_max : float, default 1e4
        Integration time (time of the averaged ODE).

    Returns
    -------
    matplotlib.figure.Figure
        Three panels.

    Raises
    ------
    ValueError
        An InputError: seed not a non-negative integer.
    MissingClosedForm
        This build has no ``autoencoder_limit`` or ``autoencoder_product``.

    Examples
    --------
    The integrated :math:`\lambda(t)` at t = 100 and the cubic's root, as the middle panel's legend
    gives them:

    >>> from linrbp import plots
    >>> fig = plots.autoencoder_convergence(N=2, t_max=100.0)
    >>> for line in fig.axes[1].get_lines():
    ...     print(line.get_label().rsplit(": ", 1)[1])
    4.19099
    4.19099
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
    # lambda(t) rises from its start to the root (the dashed line at the top) across the whole
    # panel: the legend goes under the axes, clear of both
    _legend_below(ax, ncol=1, fontsize=9)
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


PROBE_SEEDS = 2  # instances per shape in the figure's own small probe sweep


def single_hidden_convergence(layers=(3, 4, 2), *, seed=0, t_max=1e4, probe="sweep") -> Figure:
    r"""A single hidden layer A[N0,N1,N2] under RBP (docs/theory.md section 6), with a probe panel.

    Data, feedback C1 and starts are drawn from ``seed``. Panels:
    :math:`\|C_1 A_2 A_1 - C_1 S_{TI} S_{II}^{-1}\|_F` (Theorem 8), and
    :math:`\|A_2 A_1 - S_{TI} S_{II}^{-1}\|_F` when C1 has full column rank; the relative drift of
    the conserved :math:`C_1 A_2 + (C_1 A_2)^T - A_1 A_1^T` (rounding level); and a summary of
    ``linrbp probe`` (whether A1 and A2 converge individually, an open question).

    Parameters
    ----------
    layers : (int, int, int), default (3, 4, 2)
        (N0, N1, N2): input, hidden and output widths.
    seed : int, default 0
        Seed of the data, feedback and starts (and the probe sweep's base seed).
    t_max : float, default 1e4
        Integration time (time of the averaged ODE).
    probe : "sweep", dict or None, default "sweep"
        ``"sweep"`` runs a small probe sweep (its default shapes, ``PROBE_SEEDS`` seeds each); a
        dict is a saved summary (``linrbp probe --json``); None leaves the panel out.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels, three with a probe.

    Raises
    ------
    ValueError
        An InputError: ``probe`` neither "sweep", a probe summary nor None; seed not a non-negative
        integer.

    Examples
    --------
    >>> from linrbp import plots
    >>> fig = plots.single_hidden_convergence(layers=(2, 2, 1), t_max=100.0, probe=None)
    >>> [ax.get_title() for ax in fig.axes]
    ['Theorem 8: the product converges', 'invariant $M = C_1A_2 + (C_1A_2)^T - A_1A_1^T$: drift']
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
