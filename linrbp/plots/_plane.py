"""Any system in the plane of two of its state coordinates: the slice, its symbolic curves, and
the phase portrait (:func:`portrait`).

A state coordinate is named like ``A1[0,0]`` (entry (0, 0) of the weight matrix A_1), ``A2[1,0]``
or, for a rule that learns its feedback, ``C1[0,1]``; indices count from 0 and layers from 1, as
on the theory page. The *slice* through a state is the plane in which the two named coordinates
vary and every other coordinate keeps the state's value (for a two-state system, the whole
plane). In it the portrait draws

* streamlines of the averaged field's two components in the slice;
* from the symbolic layer (the field derived from the rule, with the data, the fixed feedback,
  the rule's parameters and the other coordinates substituted exactly): the fixed-point set's
  trace (every component of the field zero: :func:`linrbp.symbolic.fixed_point_set` of the
  restricted field), coloured by the linearisation, and the nullclines x' = 0, y' = 0 where they
  are not part of that set;
* trajectories of the full system from a few starts in the slice (projected: in more than two
  dimensions they leave it), their integrated ends, and the closed form's limit where one is
  known (:func:`linrbp.instances.predict`).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Callable

import numpy as np
import sympy as sp
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..core._errors import InputError
from ..core._field import LinearSystem
from ._common import STABLE, STREAM_COLOR, UNSTABLE, _figure, _path, _rng, _settle, jacobian

__all__ = ["coordinate_names", "check_axes", "check_range", "plane_curves", "portrait",
           "closed_form_predictor", "SYMBOLIC_MAX_STATES"]

SYMBOLIC_MAX_STATES = 16   # above this the symbolic curves are left out (derivation time)
_COORD = re.compile(r"^\s*([AC])(\d+)\s*\[\s*(\d+)\s*,\s*(\d+)\s*\]\s*$")
NULL_X, NULL_Y = "tab:brown", "tab:purple"


# -- coordinates and the slice -----------------------------------------------------------------
def coordinate_names(system: LinearSystem) -> list[str]:
    """The names of the flat state's coordinates, in the order of ``system.pack``.

    Parameters
    ----------
    system : linrbp.LinearSystem

    Returns
    -------
    list of str
        ``A1[0,0]``, ``A1[0,1]``, ... (row-major per matrix, layers from 1, indices from 0),
        then ``C1[0,0]``, ... for a rule that learns its feedback.

    Examples
    --------
    >>> import linrbp
    >>> from linrbp import plots
    >>> s = linrbp.LinearSystem.create([1, 2, 1], "arbp", linrbp.DataStats.from_matrices([[1.0]], [[1.0]]))
    >>> plots.coordinate_names(s)
    ['A1[0,0]', 'A1[1,0]', 'A2[0,0]', 'A2[0,1]', 'C1[0,0]', 'C1[1,0]']
    """
    names = []
    for h, (r, c) in enumerate(system.weight_shapes, 1):
        names += [f"A{h}[{i},{j}]" for i in range(r) for j in range(c)]
    if system.rule.adaptive:
        for h, (r, c) in enumerate(system.feedback_shapes, 1):
            names += [f"C{h}[{i},{j}]" for i in range(r) for j in range(c)]
    return names


def _index(system, name, what):
    names = coordinate_names(system)
    if not isinstance(name, str):
        raise InputError(f"{what}: expected a coordinate name like A1[0,0], got {name!r}")
    m = _COORD.match(name)
    canon = f"{m[1]}{int(m[2])}[{int(m[3])},{int(m[4])}]" if m else name
    if canon not in names:
        shown = ", ".join(names) if len(names) <= 12 else ", ".join(names[:6] + ["...", names[-1]])
        raise InputError(f"{what}: unknown state coordinate {name!r} for A{list(system.layers)} under "
                         f"{system.rule.name} (known: {shown})")
    return names.index(canon), canon


def check_axes(system: LinearSystem, axes) -> tuple[tuple[int, int], tuple[str, str]]:
    """((i, j), (name_i, name_j)) for two distinct coordinate names; InputError otherwise."""
    if isinstance(axes, str) or not hasattr(axes, "__len__") or len(axes) != 2:
        raise InputError(f"axes: expected two state coordinates like ('A1[0,0]', 'A2[0,0]'), got {axes!r}")
    (i, a), (j, b) = (_index(system, x, "axes") for x in axes)
    if i == j:
        raise InputError(f"axes: the same coordinate {a} twice (name two different ones)")
    return (i, j), (a, b)


def check_range(rng, what="range"):
    """((x0, x1), (y0, y1)) from (x0, x1, y0, y1) or ((x0, x1), (y0, y1)): finite, x0 < x1, y0 < y1."""
    try:
        v = np.asarray(rng, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{what}: expected four numbers X0 X1 Y0 Y1, got {rng!r}") from None
    if v.size != 4 or not np.all(np.isfinite(v)):
        raise InputError(f"{what}: expected four finite numbers X0 X1 Y0 Y1, got {rng!r}")
    if not (v[0] < v[1] and v[2] < v[3]):
        raise InputError(f"{what}: expected X0 < X1 and Y0 < Y1, got {' '.join(f'{x:g}' for x in v)}")
    return (float(v[0]), float(v[1])), (float(v[2]), float(v[3]))


def _check_state(system, state):
    if not isinstance(system, LinearSystem):
        raise InputError(f"system: expected a linrbp.LinearSystem, got {type(system).__name__}")
    y = np.asarray(state, dtype=float)
    if y.shape != (system.n_state,) or not np.all(np.isfinite(y)):
        raise InputError(f"state: expected {system.n_state} finite numbers (system.pack(weights"
                         f"{', feedback' if system.rule.adaptive else ''})), got shape {y.shape}")
    return y


def default_range(state, index):
    """A square box about the origin holding the state's two coordinates: [-L, L]^2 with
    L = max(3, 1.5 max |coordinate|)."""
    L = max(3.0, 1.5 * float(np.max(np.abs(state[list(index)]))))
    return (-L, L), (-L, L)


def _in_slice(state, index, X, Y):
    """Full states (X.shape + (n,)) with coordinates index set to X, Y."""
    S = np.broadcast_to(state, np.shape(X) + state.shape).copy()
    S[..., index[0]] = X
    S[..., index[1]] = Y
    return S


# -- the symbolic curves -----------------------------------------------------------------------
def _symbol_name(name):
    m = _COORD.match(name)
    return f"{m[1]}{m[2]}_{m[3]}_{m[4]}"


def _rational(x) -> sp.Rational:
    f = Fraction(repr(float(x))) if not isinstance(x, Fraction) else x
    return sp.Rational(f.numerator, f.denominator)


def plane_curves(system: LinearSystem, state, index) -> dict:
    """The fixed-point set's trace and the nullclines in the slice, from the derived field.

    Returns ``{"x", "y"`` (sympy symbols of the two coordinates), ``"field"`` (every component
    of the field restricted to the slice, exact), ``"fixed_curves"`` (factors g(x, y) whose zero
    set is a curve of fixed points), ``"fixed_points"`` ((x, y) of isolated fixed points,
    floats), ``"nullclines"`` ({0: factors of x' not among fixed_curves, 1: those of y'}),
    ``"set"`` (:func:`linrbp.symbolic.fixed_point_set` of the restricted field)``}``, or
    ``{"skipped": reason}`` when the symbolic layer cannot give them (too many states, or a
    field that is not polynomial).
    """
    from ..instances._instance import Instance
    from ..symbolic._derive import OdeSystem
    from ..symbolic._fixed_points import fixed_point_set
    from ..symbolic._invariants import canonical_names, instance_system

    n = system.n_state
    if n > SYMBOLIC_MAX_STATES:
        return {"skipped": f"{n} states: the symbolic curves are drawn up to {SYMBOLIC_MAX_STATES}"}
    weights, feedback = system.unpack(state)
    inst = Instance(system, [np.array(W) for W in weights], [np.array(C) for C in feedback])
    try:
        derived, values = instance_system(inst)
    except (InputError, NotImplementedError, TypeError, ValueError) as exc:
        return {"skipped": f"the field could not be derived symbolically ({exc})"}
    canon = canonical_names(derived)
    by_name = {str(canon[s]): s for s in derived.states}   # A1_0_0 for A1[0,0]
    names = coordinate_names(system)
    syms = [by_name.get(_symbol_name(name)) for name in names]
    if any(s is None for s in syms):
        return {"skipped": "the derived states do not match the system's coordinates"}
    x, y = (sp.Symbol(_symbol_name(names[k]), real=True) for k in index)
    subs = {k: _rational(v) for k, v in values.items()}
    for k, s in enumerate(syms):
        subs[s] = x if k == index[0] else y if k == index[1] else _rational(state[k])
    field = [None] * n
    for s, f in zip(derived.states, derived.field):
        field[syms.index(s)] = sp.expand(sp.sympify(f).xreplace(subs))
    if any(not (f.is_polynomial(x, y) and not (f.free_symbols - {x, y})) for f in field):
        return {"skipped": "the restricted field is not a polynomial in the two coordinates"}
    restricted = OdeSystem(name="slice", rule=system.rule.name, states=[x, y], field=field, weights=[],
                           feedback=[], dA=[], dC=[], parameters=[], product=sp.Matrix([[0]]))
    fps = fixed_point_set(restricted)
    if fps.get("everything"):
        curves, points = [], []
    else:
        curves = [sp.sympify(b) for b, _ in fps["common"]]
        points = []
        for comp in fps["components"] or []:
            pt = comp["point"]
            if comp["dimension"] == 0 and str(x) in pt and str(y) in pt:
                px, py = complex(sp.N(pt[str(x)])), complex(sp.N(pt[str(y)]))
                if abs(px.imag) < 1e-12 and abs(py.imag) < 1e-12:
                    points.append((px.real, py.real))
            elif comp["dimension"] == 1 and len(pt) == 1:   # a curve solved for one coordinate
                (k, v), = pt.items()
                curves.append(sp.Symbol(k, real=True) - v if k in (str(x), str(y)) else None)
        curves = [c for c in curves if c is not None]
    nullclines = {}
    for k in (0, 1):
        f = field[index[k]]
        if f == 0:
            nullclines[k] = []   # the whole plane
            continue
        _, facs = sp.factor_list(f, x, y)
        nullclines[k] = [g for g, _ in facs if g.has(x, y)
                         and not any(sp.simplify(g - c) == 0 or sp.simplify(g + c) == 0 for c in curves)]
    return {"x": x, "y": y, "field": field, "fixed_curves": curves, "fixed_points": points,
            "nullclines": nullclines, "set": fps}


def _zero_curve(expr, x, y, xr, yr, n=401):
    """Polylines of expr(x, y) = 0 in the box: the zero contour of a fine grid, each vertex then
    moved onto the curve by Newton steps along the gradient (to rounding, where it converges)."""
    import contourpy

    f = sp.lambdify((x, y), expr, "numpy")
    gx, gy = sp.lambdify((x, y), sp.diff(expr, x), "numpy"), sp.lambdify((x, y), sp.diff(expr, y), "numpy")
    X, Y = np.meshgrid(np.linspace(*xr, n), np.linspace(*yr, n))
    Z = np.broadcast_to(np.asarray(f(X, Y), float), X.shape)
    lines = contourpy.contour_generator(X, Y, Z).lines(0.0)
    out = []
    for seg in lines:
        px, py = seg[:, 0].copy(), seg[:, 1].copy()
        for _ in range(4):
            v = np.broadcast_to(np.asarray(f(px, py), float), px.shape)
            dx = np.broadcast_to(np.asarray(gx(px, py), float), px.shape)
            dy = np.broadcast_to(np.asarray(gy(px, py), float), px.shape)
            g2 = dx * dx + dy * dy
            ok = g2 > 0
            step = np.where(ok, v / np.where(ok, g2, 1.0), 0.0)
            px, py = px - step * dx, py - step * dy
        out.append(np.column_stack([px, py]))
    return out


def _stability(system, states):
    """+1 where every eigenvalue of the Jacobian off the fixed set (|lambda| above 1e-7 of the
    largest) has negative real part, -1 where one has a positive real part."""
    ev = np.linalg.eigvals(jacobian(system, states))
    mag = np.abs(ev)
    big = mag > 1e-7 * np.maximum(mag.max(axis=1, keepdims=True), 1e-300)
    worst = np.max(np.where(big, ev.real, -np.inf), axis=1)
    return np.where(worst < 0, 1, -1)


def _draw_curves(ax, system, state, index, curves, xr, yr, view=None):
    """Nullclines and the fixed-point trace; returns the legend handles of what was drawn."""
    handles = []
    x, y = curves["x"], curves["y"]
    for k, color, ls in ((0, NULL_X, (0, (5, 2))), (1, NULL_Y, (0, (1, 1.5)))):
        drawn = False
        for g in curves["nullclines"][k]:
            for seg in _zero_curve(g, x, y, xr, yr):
                ax.plot(seg[:, 0], seg[:, 1], color=color, lw=1.3, ls=ls, zorder=2)
                drawn = True
        if drawn:
            name = coordinate_names(system)[index[k]]
            handles.append(Line2D([], [], color=color, lw=1.3, ls=ls,
                                  label=f"nullcline {name}' = 0 (off the fixed points)"))
    stable = unstable = False
    for g in curves["fixed_curves"]:
        for seg in _zero_curve(g, x, y, xr, yr):
            s = _stability(system, _in_slice(state, index, seg[:, 0], seg[:, 1]))
            ys_stable = np.ma.masked_where(s < 0, seg[:, 1])
            ys_unstable = np.ma.masked_where(s > 0, seg[:, 1])
            ax.plot(seg[:, 0], ys_stable, color=STABLE, lw=3.0, solid_capstyle="butt", zorder=3)
            ax.plot(seg[:, 0], ys_unstable, color=UNSTABLE, lw=3.0, ls="--", zorder=3)
            stable |= bool(np.any(s > 0))
            unstable |= bool(np.any(s < 0))
    (vx0, vx1), (vy0, vy1) = view if view is not None else (xr, yr)   # whole markers only
    mx, my = 0.03 * (vx1 - vx0), 0.03 * (vy1 - vy0)
    pts = [(px, py) for px, py in curves["fixed_points"]
           if vx0 + mx <= px <= vx1 - mx and vy0 + my <= py <= vy1 - my]
    if pts:
        s = _stability(system, _in_slice(state, index, *np.array(pts).T))
        for (px, py), sk in zip(pts, s):
            ax.plot(px, py, "o", ms=8, zorder=6, mec=STABLE if sk > 0 else UNSTABLE,
                    mfc=STABLE if sk > 0 else "white", mew=2)
        stable |= bool(np.any(s > 0))
        unstable |= bool(np.any(s < 0))
    if stable:
        handles.append(Line2D([], [], color=STABLE, lw=3, label="stable fixed points"))
    if unstable:
        handles.append(Line2D([], [], color=UNSTABLE, lw=3, ls="--", label="unstable fixed points"))
    return handles


# -- closed-form limits ------------------------------------------------------------------------
def closed_form_predictor(system: LinearSystem) -> Callable | None:
    """``y0 -> predicted limit state`` from the toolkit's closed forms
    (:func:`linrbp.instances.predict`), or None when none is known for this system (tried on
    the origin's neighbourhood: a start of ones)."""
    from ..instances._instance import Instance
    from ..instances._predict import predict

    def limit(y0):
        W, C = system.unpack(np.asarray(y0, float))
        out = predict(Instance(system, [np.array(M) for M in W], [np.array(M) for M in C]))
        if out is None or out.get("weights") is None:
            return None
        fb = out.get("feedback") if system.rule.adaptive else None
        if system.rule.adaptive and fb is None:
            return None
        return system.pack([np.asarray(M, float) for M in out["weights"]],
                           [np.asarray(M, float) for M in fb] if fb is not None else None)

    try:
        return limit if limit(np.ones(system.n_state)) is not None else None
    except (InputError, ValueError, FloatingPointError, ZeroDivisionError):
        return None


def _predictor(system, predict):
    if predict == "closed-form":
        return closed_form_predictor(system)
    if predict is None or callable(predict):
        return predict
    raise InputError(f"predict: expected 'closed-form', a callable or None, got {predict!r}")


# -- the portrait ------------------------------------------------------------------------------
def _label(name):
    m = _COORD.match(name)
    return f"${m[1]}_{{{m[2]}}}[{m[3]},{m[4]}]$"


def _starts(system, state, index, starts, n_starts, seed, xr, yr):
    if starts is None:
        rng = _rng(seed)
        u = rng.uniform(0.075, 0.925, size=(int(n_starts), 2))
        pts = np.column_stack([xr[0] + u[:, 0] * (xr[1] - xr[0]), yr[0] + u[:, 1] * (yr[1] - yr[0])])
    else:
        pts = np.asarray(starts, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 2 or not np.all(np.isfinite(pts)):
            raise InputError(f"starts: expected (x, y) pairs of finite numbers, got {starts!r}")
    return pts, _in_slice(state, index, pts[:, 0], pts[:, 1])


def portrait(system: LinearSystem, state, *, axes, range=None, starts=None, n_starts=6, seed=0,
             t_max=200.0, predict="closed-form", symbolic=True, density=1.1, ax=None,
             title=None) -> Figure:
    """The phase portrait of ``system`` in the plane of two state coordinates.

    Parameters
    ----------
    system : linrbp.LinearSystem
        Any system (any registered rule, with its parameters).
    state : array_like, shape (system.n_state,)
        The state the slice passes through: every coordinate but the two axes keeps its value.
    axes : (str, str)
        The two coordinates, e.g. ``("A1[0,0]", "A2[0,0]")`` (x first).
    range : tuple of four floats, optional
        The box of the streamlines, curves and random starts (default: [-L, L]^2,
        L = max(3, 1.5 max of the absolute state coordinates)). The view widens to hold every
        trajectory's limit within twice the box.
    starts : array_like, shape (k, 2), optional
        Starts in the slice; default ``n_starts`` drawn uniformly in the box from ``seed``.
    n_starts : int, default 6
        Random starts drawn when ``starts`` is not given.
    seed : int, default 0
        Seed of the random starts.
    t_max : float, default 200
        Integration time of each trajectory (full system, DOP853).
    predict : 'closed-form', callable or None, default 'closed-form'
        Closed-form limits to mark (x): the toolkit's where one is known for the system, or
        ``predict(y0) -> limit state``.
    symbolic : bool, default True
        Draw the fixed-point set's trace and the nullclines from the derived field.
    density : float, default 1.1
        Streamline density.
    ax : matplotlib Axes, optional
        Draw into it (no legend, no title); default: a new Figure.
    title : str, optional
        The figure's title; default the system's layers, rule and parameters.

    Returns
    -------
    matplotlib.figure.Figure
        With ``fig.portrait``: a dict of what was drawn (``starts``, ``ends``, ``status``,
        ``predicted``, ``curves``, ``view``).

    Raises
    ------
    InputError
        An unknown coordinate, the same coordinate twice, a bad range or state.

    Examples
    --------
    >>> import linrbp
    >>> from linrbp import plots
    >>> s = linrbp.LinearSystem.create([1, 1, 1], "rbp", linrbp.DataStats.from_matrices([[1.0]], [[1.0]]), [[[1.0]]])
    >>> fig = plots.portrait(s, [0.5, 0.5], axes=("A1[0,0]", "A2[0,0]"), n_starts=2, t_max=20.0)
    >>> fig.axes[0].get_xlabel()
    '$A_{1}[0,0]$'
    """
    state = _check_state(system, state)
    index, names = check_axes(system, axes)
    xr, yr = check_range(range) if range is not None else default_range(state, index)
    predict = _predictor(system, predict)
    pts, Y0 = _starts(system, state, index, starts, n_starts, seed, xr, yr)
    paths, ends, status, pred = [], [], [], []
    for y0 in Y0:
        t, ys, res = _path(system, y0, t_max)
        paths.append(ys[:, list(index)])
        ends.append(res.y[0])
        status.append(str(res.status[0]))
        p = predict(y0) if predict is not None else None
        pred.append(None if p is None else np.asarray(p, float))
    # the view: the box, widened to hold the limits (within twice the box)
    marks = [e[list(index)] for e, s in zip(ends, status) if s == "converged"]
    marks += [p[list(index)] for p in pred if p is not None]
    view = _view(xr, yr, marks)
    own = ax is None
    if own:
        fig, axs = _figure(1, 1, 7.6, 8.0)
        ax = axs[0, 0]
    else:
        fig = ax.figure
    # streamlines and curves cover 10% more than the view: a figure that widens a panel to
    # its neighbour's view (the catalogue's side-by-side portraits) shows no blank strip
    grown = tuple((lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)) for lo, hi in view)
    g = np.linspace(*grown[0], 66), np.linspace(*grown[1], 66)
    X, Yg = np.meshgrid(*g)
    with np.errstate(all="ignore"):
        V = system(_in_slice(state, index, X.ravel(), Yg.ravel()))
    U, W = V[:, index[0]].reshape(X.shape), V[:, index[1]].reshape(X.shape)
    if np.all(np.isfinite(U)) and np.all(np.isfinite(W)) and np.any(U ** 2 + W ** 2 > 0):
        ax.streamplot(X, Yg, U, W, color=STREAM_COLOR, density=1.2 * density, linewidth=0.7, arrowsize=0.8)
    handles = [Line2D([], [], color=STREAM_COLOR, lw=1, label="flow in the slice (streamlines)")]
    curves = plane_curves(system, state, index) if symbolic else {"skipped": "symbolic=False"}
    if "skipped" not in curves:
        handles += _draw_curves(ax, system, state, index, curves, *grown, view=view)
    n_out = 0
    for k, (p0, path, end, st, pr) in enumerate(zip(pts, paths, ends, status, pred)):
        color = f"C{k % 10}"
        ax.plot(path[:, 0], path[:, 1], lw=1.6, zorder=4, color=color)
        ax.plot(*p0, "o", color=color, ms=5, zorder=5)
        for point, style in ((end[list(index)] if st == "converged" else None,
                              dict(marker="o", mfc="none", mec="k", ms=11, mew=1.2)),
                             (None if pr is None else pr[list(index)],
                              dict(marker="x", color="k", ms=8, mew=2.0))):
            if point is None:
                continue
            if view[0][0] <= point[0] <= view[0][1] and view[1][0] <= point[1] <= view[1][1]:
                ax.plot(*point, ls="", zorder=7, **style)
            else:
                n_out += 1
    handles.append(Line2D([], [], color="C0", lw=1.6, marker="o", ms=4, label="trajectory (dot = start)"))
    if "converged" in status:
        handles.append(Line2D([], [], ls="", marker="o", mfc="none", mec="k", ms=10, label="integrated limit"))
    if any(p is not None for p in pred):
        handles.append(Line2D([], [], ls="", marker="x", color="k", mew=2, label="closed-form limit"))
    ax.set_xlim(*view[0])
    ax.set_ylim(*view[1])
    ax.set_xlabel(_label(names[0]))
    ax.set_ylabel(_label(names[1]))
    ax.axhline(0, color="0.85", lw=0.6, zorder=0)
    ax.axvline(0, color="0.85", lw=0.6, zorder=0)
    info = {"axes": names, "index": index, "starts": pts, "ends": np.array(ends), "status": status,
            "predicted": pred, "curves": curves, "view": view, "outside_view": n_out, "handles": handles}
    if own:
        fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=9, frameon=False)
        others = system.n_state - 2
        where = (f"the other {others} coordinate{'s' if others > 1 else ''} at the given state" if others
                 else "the whole state plane")
        note = "" if "skipped" not in curves else f"; no symbolic curves: {curves['skipped']}"
        fig.suptitle(title or (f"A[{','.join(map(str, system.layers))}] under {system.rule.name}"
                               + _params(system) + f": {names[0]} against {names[1]}"), fontsize=12)
        ax.set_title(f"{where}; starts seed {seed}, t ≤ {t_max:g}"
                     + (f"; {n_out} limit(s) outside the view" if n_out else "") + note,
                     fontsize=9, wrap=True)
    fig.portrait = info
    return _settle(fig) if own else fig


def _view(xr, yr, marks, margin=0.035):
    """The box, widened so that every mark within twice the box lies at least ``margin`` of the
    box's size inside the view (a marker of 11 points is whole at the figures' sizes)."""
    wx, wy = xr[1] - xr[0], yr[1] - yr[0]
    vx, vy = list(xr), list(yr)
    for mx, my in marks:
        if xr[0] - wx / 2 <= mx <= xr[1] + wx / 2 and yr[0] - wy / 2 <= my <= yr[1] + wy / 2:
            vx = [min(vx[0], mx - margin * wx), max(vx[1], mx + margin * wx)]
            vy = [min(vy[0], my - margin * wy), max(vy[1], my + margin * wy)]
    return tuple(vx), tuple(vy)


def _params(system):
    vals = dict(system.rule.values)
    if not system.rule.parameters:
        return ""
    return " (" + ", ".join(f"{p.name} = {vals.get(p.name, p.default):g}" for p in system.rule.parameters) + ")"
