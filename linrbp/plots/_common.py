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
    """A figure needs a closed form that this build of linrbp does not provide.

    Raised by :func:`closed_form` (and so by every figure that draws a predicted limit) instead of
    drawing something else in its place.

    Parameters
    ----------
    message : str
        Names the closed form (``linrbp.<name>``) and the work that provides it.

    Examples
    --------
    >>> from linrbp import plots
    >>> try:
    ...     plots.closed_form("no_such_limit")
    ... except plots.MissingClosedForm as err:
    ...     print(err)
    needs the closed form linrbp.no_such_limit (from the '?' work), which this build of linrbp does not provide
    """


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
    """The closed form ``linrbp.<name>``, looked up when a figure is drawn.

    The facade's attribute is read at call time (a replaced ``linrbp.<name>`` is the one drawn);
    closed forms that linrbp does not re-export are looked up in the modules that define them.

    Parameters
    ----------
    name : str
        The closed form's name, e.g. ``"chain111_limit"``, ``"poly1d_limit"``,
        ``"autoencoder_limit"``.

    Returns
    -------
    callable
        The function ``linrbp.<name>``.

    Raises
    ------
    MissingClosedForm
        No closed form of that name: the message names it and the work that provides it.

    Examples
    --------
    >>> import linrbp
    >>> from linrbp import plots
    >>> plots.closed_form("chain111_limit") is linrbp.chain111_limit
    True
    """
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
    r"""The A[1,1,1] chain on scalar data as a :class:`linrbp.LinearSystem` (docs/theory.md section 2).

    Under SRBP the field is :math:`a_1' = c_1 e`, :math:`a_2' = a_1 e` with
    :math:`e = \alpha - \beta a_1 a_2`; the data statistics are
    :math:`\Sigma_{II} = \beta`, :math:`\Sigma_{TI} = \alpha`.

    Parameters
    ----------
    alpha : float
        :math:`\Sigma_{TI}` (input-target correlation).
    beta : float
        :math:`\Sigma_{II}` (input variance), positive.
    c1 : float
        The fixed feedback weight (ignored by ``bp``).
    rule : str, default "srbp"
        Any registered rule name (:data:`linrbp.RULES`).

    Returns
    -------
    linrbp.LinearSystem
        Layers (1, 1, 1), state (a1, a2).

    Raises
    ------
    ValueError
        An InputError from :meth:`linrbp.LinearSystem.create` (unknown rule, bad statistics).

    Examples
    --------
    At (a1, a2) = (1, 1) with alpha = 1, beta = 2 the error is e = 1 - 2 = -1, so the field is
    (c1 e, a1 e) = (-0.5, -1):

    >>> from linrbp import plots
    >>> s = plots.chain111_system(1.0, 2.0, 0.5)
    >>> s.layers, s.n_state
    ((1, 1, 1), 2)
    >>> s([1.0, 1.0])
    array([-0.5, -1. ])
    """
    fb = [] if rule == "bp" else [[[c1]]]
    return LinearSystem.create([1, 1, 1], rule, _scalar_stats(alpha, beta), fb)


def jacobian(fun, y, eps=1e-6) -> np.ndarray:
    """Central-difference Jacobian of a vector field, at one state or at each of a batch.

    The figures colour fixed points by the eigenvalues of this matrix (stable when every real
    part is negative).

    Parameters
    ----------
    fun : callable
        The field, ``fun(y) -> y'`` for ``y`` of shape (n,) (a :class:`linrbp.LinearSystem`
        is one).
    y : array_like, shape (n,) or (m, n)
        Where to differentiate.
    eps : float, default 1e-6
        Finite-difference step (absolute, in units of the state).

    Returns
    -------
    numpy.ndarray
        Shape (n, n), or (m, n, n) for a batch: ``J[i, j]`` = d fun_i / d y_j.

    Examples
    --------
    A[1,1,1] under SRBP with alpha = beta = c1 = 1 at (1, 1): by hand, d(a1')/d(a1, a2) =
    (-a2, -a1) and d(a2')/d(a1, a2) = (1 - 2 a1 a2, -a1^2), all -1 there:

    >>> import numpy as np
    >>> from linrbp import plots
    >>> J = plots.jacobian(plots.chain111_system(1.0, 1.0, 1.0), np.array([1.0, 1.0]))
    >>> np.allclose(J, -1.0, atol=1e-8)
    True
    """
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
    r"""The scalar chain A[1,...,1] of depth L = len(feedback) + 1 (docs/theory.md section 3).

    Parameters
    ----------
    alpha : float
        :math:`\Sigma_{TI}` (input-target correlation).
    beta : float
        :math:`\Sigma_{II}` (input variance), positive.
    feedback : sequence of float
        The feedback weights :math:`c_1, \dots, c_{L-1}`.
    rule : str, default "srbp"
        Any registered rule name (:data:`linrbp.RULES`).

    Returns
    -------
    linrbp.LinearSystem
        Layers (1,) * (L + 1), state (a1, ..., aL).

    Raises
    ------
    ValueError
        An InputError from :meth:`linrbp.LinearSystem.create` (unknown rule, bad statistics).

    Examples
    --------
    >>> from linrbp import plots
    >>> s = plots.chain_system(1.0, 1.0, [0.5, 2.0])
    >>> s.layers, s.n_state
    ((1, 1, 1, 1), 3)
    """
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
