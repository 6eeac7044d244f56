"""x' = Q(x) (docs/theory.md section 1): the polynomial flows and their blow-ups."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ._common import (STABLE, UNSTABLE, _figure, _legend_below, _path, _vline_label, closed_form)

__all__ = ["poly1d_flow", "POLY1D_CASES"]


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
    """One-dimensional polynomial flows :math:`x' = Q(x)` and their blow-ups (docs/theory.md section 1).

    Per case, top: Q with its roots (filled when stable, :math:`Q' < 0`) and the direction of the
    flow; bottom: integrated x(t) from each start with its closed-form limit (``poly1d_limit``)
    dashed, or its closed-form blow-up time :math:`T^*` dotted beside the time the integrator passed
    its bound.

    Parameters
    ----------
    cases : sequence of (coefficients, starts), optional
        Q's coefficients, highest degree first, and the starts x(0) of one column. The default
        (``POLY1D_CASES``):
        :math:`-(x+1) x (x-2)` (every start converges) and :math:`x^2 - 1` (blow-up above 1).
    t_max : float, default 4.0
        Integration time (time of the ODE).

    Returns
    -------
    matplotlib.figure.Figure
        Two rows, one column per case.

    Raises
    ------
    MissingClosedForm
        This build has no ``poly1d_limit``.

    Examples
    --------
    >>> from linrbp import plots
    >>> fig = plots.poly1d_flow(cases=[((1.0, 0.0, -1.0), (0.0, 1.2))], t_max=1.0)
    >>> fig.axes[0].get_title()
    '$Q(x) = x^2 - 1$'
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
