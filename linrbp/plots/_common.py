"""Shared pieces of the figures: closed forms looked up by name, the figure and axes helpers,
the A[1,1,1] system and the styles (one module per figure family imports these)."""

from __future__ import annotations

from typing import Callable

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..core._errors import InputError
from ..core._fd import fd_jacobian
from ..core._field import LinearSystem
from ..core._stats import DataStats
from ..integration._integrate import integrate

__all__ = ["MissingClosedForm", "closed_form", "jacobian", "chain111_system", "chain_system"]

STABLE, UNSTABLE = "tab:green", "tab:red"
PARABOLA_STYLE = dict(color="tab:blue", lw=1.6, ls=":")
STREAM_COLOR = "0.72"


class MissingClosedForm(RuntimeError):
    """A figure needs a closed form that this build of linrbp does not provide."""


# Closed forms come from the claim modules (scalar and matrix systems). Looked up at call time.
_PROVIDERS = {
    "poly1d_limit": "scalar", "real_roots": "scalar", "chain111_limit": "scalar",
    "chain111_stable": "scalar", "chain_limit": "scalar", "wide_limit": "scalar",
    "nonlinear_limit": "scalar", "nonlinear_field": "scalar", "nonlinear_moments": "scalar",
    "autoencoder_limit": "matrix", "autoencoder_product": "matrix",
}


# The modules that define them, for closed forms linrbp does not re-export.
_MODULES = ("linrbp.closed_forms._autoencoder", "linrbp.closed_forms._poly1d", "linrbp.closed_forms._closed_forms")


def closed_form(name: str) -> Callable:
    """``linrbp.<name>``, or MissingClosedForm naming it and the branch that provides it."""
    import importlib
    import sys

    # The facade's attribute, read at call time (so a replaced linrbp.<name> is the one drawn),
    # without importing the facade: it is always loaded before any of its submodules.
    fn = getattr(sys.modules["linrbp"], name, None)
    for module in _MODULES:
        if fn is not None:
            break
        try:
            fn = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
    if fn is None:
        raise MissingClosedForm(
            f"needs the closed form linrbp.{name} (from the '{_PROVIDERS.get(name, '?')}' work), "
            "which this build of linrbp does not provide"
        )
    return fn


# -- helpers ------------------------------------------------------------------------------
def _figure(nrows: int, ncols: int, width: float, height: float):
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: expected a non-negative integer, got {seed!r}")
    return np.random.default_rng(int(seed))


def _positive(x, name):
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) \
            or not np.isfinite(x) or x <= 0:
        raise InputError(f"{name}: expected a positive number, got {x!r}")
    return float(x)


def _scalar_stats(alpha: float, beta: float) -> DataStats:
    return DataStats.from_matrices([[beta]], [[alpha]])


def chain111_system(alpha, beta, c1, rule="srbp") -> LinearSystem:
    """A[1,1,1] with feedback c1 (any feedback rule; ``bp`` ignores c1)."""
    fb = [] if rule == "bp" else [[[c1]]]
    return LinearSystem.create([1, 1, 1], rule, _scalar_stats(alpha, beta), fb)


def jacobian(fun, y, eps=1e-6) -> np.ndarray:
    """Central-difference Jacobian of a vector field at ``y`` (n,) or at each of ``y`` (m, n)."""
    return fd_jacobian(fun, y, eps)


def _path(fun, y0, t_max, n_points=400, method="DOP853", linear=False):
    """A trajectory sampled on a time grid (until it converges, diverges or t_max).

    The grid is log-spaced from t = 1e-3 (``linear=False``) or uniform; ``method`` is passed
    to solve_ivp (an implicit one for stiff fields).
    """
    grid = np.linspace(0.0, t_max, n_points + 1)[1:] if linear else np.geomspace(1e-3, t_max, n_points)
    t_eval = np.concatenate([[0.0], grid])
    res = integrate(fun, y0, t_max, t_eval=t_eval, method=method)
    return res.t, res.ys, res


def _streams(ax, fun, lim, density=1.1, n=60):
    g = np.linspace(-lim, lim, n)
    X, Y = np.meshgrid(g, g)
    V = fun(np.stack([X.ravel(), Y.ravel()], axis=1))
    U, W = V[:, 0].reshape(X.shape), V[:, 1].reshape(X.shape)
    ax.streamplot(X, Y, U, W, color=STREAM_COLOR, density=density, linewidth=0.7, arrowsize=0.8)


def _legend_below(ax, ncol: int = 2, **kw):
    """A legend under the axes, outside them: it never covers a curve (constrained layout
    makes room for it)."""
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=ncol, frameon=False,
                     **dict({"fontsize": 8}, **kw))


def _vline_label(ax, x, text, color, **kw):
    """A label beside a vertical line at data x, inside the axes: on the line's right when the
    line is in the left half of the view, else on its left."""
    lo, hi = ax.get_xlim()
    frac = (x - lo) / (hi - lo) if hi != lo else 0.5
    right = frac < 0.5
    return ax.annotate(text, (x, 0.97), xycoords=("data", "axes fraction"),
                       xytext=(4 if right else -4, 0), textcoords="offset points",
                       ha="left" if right else "right", va="top", color=color, annotation_clip=False,
                       **dict({"fontsize": 8}, **kw))


def _mark_limit(ax, point, lim_x, lim_y, color="k"):
    """An x at a limit point, or an arrow at the box edge pointing to it when it lies outside."""
    x, y = float(point[0]), float(point[1])
    (x0, x1), (y0, y1) = lim_x, lim_y
    if x0 <= x <= x1 and y0 <= y <= y1:
        ax.plot(x, y, "x", color=color, ms=8, mew=2.0, zorder=7)
        return
    cx, cy = np.clip(x, x0, x1), np.clip(y, y0, y1)
    ax.annotate(f"limit ({x:.3g}, {y:.3g})", xy=(cx, cy), fontsize=8, ha="right" if cx >= x1 else "left",
                va="bottom" if cy <= y0 else "top", xytext=(cx - 0.12 * (x1 - x0) * np.sign(x - cx),
                                                             cy - 0.12 * (y1 - y0) * np.sign(y - cy)),
                arrowprops=dict(arrowstyle="->", color=color, lw=1.0), zorder=7)


def _starts(rng, n, lim):
    return rng.uniform(-0.85 * lim, 0.85 * lim, size=(n, 2))


def chain_system(alpha, beta, feedback, rule="srbp") -> LinearSystem:
    """A[1,...,1] of depth len(feedback) + 1 with scalar data (alpha, beta) and feedback c_1..c_{L-1}."""
    L = len(feedback) + 1
    return LinearSystem.create([1] * (L + 1), rule, _scalar_stats(alpha, beta),
                               [[[c]] for c in feedback])


def _random_stats(rng, n_in, n_out):
    X = rng.normal(size=(n_in, 4 * n_in))
    S_ii = X @ X.T / X.shape[1] + 0.1 * np.eye(n_in)
    S_ti = rng.normal(size=(n_out, n_in))
    return DataStats.from_matrices(S_ii, S_ti, definite=True)


def _overlaps(fig) -> list[str]:
    """Pairs of texts that overlap on the canvas: the figure title against each panel's title,
    the figure legends against each panel's axis labels and tick labels (drawn first)."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    out = []
    titles = [t for t in (getattr(fig, "_suptitle", None),) if t is not None and t.get_text()]
    legends = list(fig.legends)
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        heads = [ax.title, ax._left_title, ax._right_title]
        feet = [ax.xaxis.label] + [t for t in ax.get_xticklabels() if t.get_text()]
        for what, artists, others in (("figure title", titles, heads), ("legend", legends, feet)):
            for a in artists:
                box = a.get_window_extent(r)
                if box.x0 < 0 or box.x1 > fig.bbox.x1:
                    out.append(f"{what} wider than the figure")
                out += [f"{what} over {o.get_text()!r}" for o in others
                        if o.get_text() and box.overlaps(o.get_window_extent(r))]
    return out


def _settle(fig, tries: int = 8):
    """Make room until no text overlaps (constrained layout with a legend outside the axes and a
    figure title can come out short by a few points): the figure grows 6% taller per try."""
    for _ in range(tries):
        found = _overlaps(fig)
        if not found:
            return fig
        if any("wider than the figure" in f for f in found):
            fig.set_figwidth(fig.get_figwidth() * 1.08)
        else:
            fig.set_figheight(fig.get_figheight() * 1.06)
    return fig


def _shared_view(axes, views):
    """The same limits on every panel: the union of the views."""
    x0, x1 = min(v[0][0] for v in views), max(v[0][1] for v in views)
    y0, y1 = min(v[1][0] for v in views), max(v[1][1] for v in views)
    for ax in axes:
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
