"""Basin maps of any system in the plane of two state coordinates (:func:`basins`,
:func:`basin_map`).

A grid of starts in the slice (the other coordinates at the given state's values) is integrated
with :func:`linrbp.integrate_batch` (``backend``, default auto: compiled where it can run) in tiles of
:data:`TILE_ROWS` rows, one task each (serially, on local processes or on Dask: the tiles do
not depend on what runs them, so neither does a bit of the map). Each start is coloured by the
limit it reaches: the products P = A_L ... A_1 of the converged runs are grouped by
``linrbp.sweeps.cluster_limits`` (the groups of ``linrbp sweep``), and a group whose limits
form separate pieces of the fixed-point set (A[1,1,1]: the two branches of a1 a2 = alpha/beta,
one product) is split into those pieces (single linkage of asinh of the limit states, pieces
more than ``gap`` apart). Where the toolkit knows a closed form, its limits are grouped the same way and
drawn beside, and every converged start whose two answers differ by more than ``tol`` is
counted and marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..core._errors import InputError
from ..core._field import LinearSystem
from ..integration._integrate import check_t_max, integrate_batch
from ._common import _figure, _settle
from ._plane import (_check_state, _draw_curves, _in_slice, _label, _params, _predictor, check_axes,
                     check_range, default_range, plane_curves)

__all__ = ["BasinMap", "basins", "basin_map", "TILE_ROWS", "NO_LIMIT"]

TILE_ROWS = 4       # grid rows per task
GAP = 0.75          # default distance (asinh of the states) between separate pieces of limits
NO_LIMIT = "0.93"   # the colour of starts without a limit (not converged, diverged)
GROUP_COLORS = ("tab:purple", "tab:orange", "tab:cyan", "tab:olive", "tab:pink", "tab:brown",
                "tab:blue", "tab:green", "tab:red", "tab:gray")


@dataclass
class BasinMap:
    r"""Which limit each start of an n x n grid in a slice reaches: integrated and closed form.

    Made by :func:`basins` (and :func:`chain111_basins`), drawn by :func:`basin_map`;
    :meth:`summary` is the JSON-ready form. Arrays indexed ``[row, column]`` follow ``(y, x)``.

    Parameters
    ----------
    system : linrbp.LinearSystem
        The system integrated.
    state : numpy.ndarray
        The state the slice passes through, shape (system.n_state,).
    axes : tuple of str
        The two coordinates of the plane, x first.
    index : tuple of int
        Their positions in the flat state.
    x, y : numpy.ndarray
        The grid's coordinate values, shape (n,) (also ``a1`` and ``a2``).
    status : numpy.ndarray
        Shape (n, n), of str: each integration's status (``"converged"``, ``"max_time"``, ``"diverged"``, ...).
    ends : numpy.ndarray
        Shape (n, n, n_state): each integration's end state.
    labels : numpy.ndarray
        Shape (n, n), of int: the limit group reached (-1: no limit).
    groups : list of dict
        Per group: ``label``, ``count`` (integrated starts reaching it), ``predicted_count``
        (starts the closed form sends there, or None), ``product`` (the representative's),
        ``range`` (of the two coordinates over its limits), ``first`` (its grid index, row-major),
        ``predicted_only``.
    predicted_ends, predicted_labels : numpy.ndarray or None
        The closed form's limits and groups (None where no closed form is known).
    disagree : numpy.ndarray
        Shape (n, n), of bool: converged starts whose two limits differ by more than ``tol (1 + max |predicted|)`` in some
        coordinate.
    unconverged : numpy.ndarray
        Shape (n, n), of bool: starts not converged by ``t_max``.
    tol : float
        The disagreement tolerance (relative).
    t_max : float
        Integration time limit per start (time of the averaged ODE).
    cluster_tol : float
        Tolerance of the grouping by product.
    gap : float
        Distance (asinh of the states) beyond which pieces of one product group are separate limits.
    extra : dict, default {}
        What the maker adds: :func:`basins` the ``backend`` that ran, ``resumed_tiles`` (tiles
        reused from ``records``) and ``records`` (its store, None without: ``.remove()`` deletes
        the saved tiles); :func:`chain111_basins` alpha, beta, c1.

    Notes
    -----
    Derived attributes: ``integrated`` and ``predicted`` (the x coordinate of the limits: for
    A[1,1,1] on (a1, a2), :math:`a_1(\infty)`), ``disagreements``, ``n_unconverged`` and ``size``
    (counts).

    Examples
    --------
    >>> from linrbp import plots
    >>> b = plots.chain111_basins(n=3, lim=2.0, t_max=500.0)
    >>> b.x
    array([-2.,  0.,  2.])
    >>> b.labels
    array([[0, 1, 1],
           [0, 1, 1],
           [1, 2, 1]])
    >>> b.size, b.disagreements, b.n_unconverged
    (9, 0, 0)
    """

    system: LinearSystem
    state: np.ndarray
    axes: tuple
    index: tuple
    x: np.ndarray
    y: np.ndarray
    status: np.ndarray
    ends: np.ndarray
    labels: np.ndarray
    groups: list
    predicted_ends: np.ndarray | None
    predicted_labels: np.ndarray | None
    disagree: np.ndarray
    unconverged: np.ndarray
    tol: float
    t_max: float
    cluster_tol: float
    gap: float
    extra: dict = field(default_factory=dict)

    @property
    def a1(self):
        return self.x

    @property
    def a2(self):
        return self.y

    @property
    def integrated(self):
        return self.ends[..., self.index[0]]

    @property
    def predicted(self):
        return None if self.predicted_ends is None else self.predicted_ends[..., self.index[0]]

    @property
    def disagreements(self) -> int:
        return int(self.disagree.sum())

    @property
    def n_unconverged(self) -> int:
        return int(self.unconverged.sum())

    @property
    def size(self) -> int:
        return int(self.disagree.size)

    def summary(self) -> dict:
        """The map as JSON-ready data (grid, statuses, groups, counts)."""
        return {"axes": list(self.axes), "x": self.x.tolist(), "y": self.y.tolist(),
                "status": self.status.tolist(), "labels": self.labels.tolist(),
                "predicted_labels": None if self.predicted_labels is None else self.predicted_labels.tolist(),
                "groups": self.groups, "starts": self.size, "disagreements": self.disagreements,
                "not_converged": self.n_unconverged, "tol": self.tol, "t_max": self.t_max,
                "cluster_tol": self.cluster_tol, "gap": self.gap,
                "backend": self.extra.get("backend")}


def _system_dict(system) -> dict:
    """What a tile's integration depends on, of the system (its records' settings)."""
    from ..core._io import to_jsonable
    return to_jsonable({"layers": list(system.layers), "rule": system.rule.name,
                        "params": system.rule.parameter_values, "sigma_ii": system.stats.sigma_ii,
                        "sigma_ti": system.stats.sigma_ti, "feedback": list(system.feedback)})


def _tile_name(r0: int, r1: int) -> str:
    return f"tiles/rows-{r0:05d}-{r1 - 1:05d}.json"


def _tile_key(r0: int, r1: int) -> str:
    """The task key of the tile of rows r0..r1-1."""
    return f"rows {r0}..{r1 - 1}"


def _tile_ok(r0: int, r1: int, n: int, n_state: int):
    """Whether a saved tile is that of rows r0..r1-1 of an n x n grid."""
    def ok(t):
        m = (r1 - r0) * n
        return (isinstance(t, dict) and t.get("rows") == [r0, r1] and isinstance(t.get("status"), list)
                and len(t["status"]) == m and all(isinstance(x, str) for x in t["status"])
                and isinstance(t.get("ends"), list) and len(t["ends"]) == m
                and all(isinstance(e, list) and len(e) == n_state for e in t["ends"]))
    return ok


def _basin_tile(system, Y0, t_max, backend="auto"):
    """One tile: integrate its starts (batched, one thread; a task in any process)."""
    res = integrate_batch(system, Y0, t_max, workers=1, backend=backend)
    return res.status, res.y, res.info.get("backend")


def _group(system, states, ok, cluster_tol, gap, index):
    """Labels (-1: no limit) and groups of end states: by product (cluster_limits), each product
    group split into pieces at least ``gap`` apart (single linkage of asinh of the states: near
    the origin the plain distance, far out a relative one, so a branch sampled sparsely along an
    asymptote stays one piece)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    from ..sweeps._cluster import cluster_limits

    products = [system.product(system.unpack(s)[0]) if k else None for s, k in zip(states, ok)]
    plabels, pgroups = cluster_limits(products, cluster_tol)
    plabels = np.asarray(plabels)
    labels = np.full(len(states), -1)
    groups = []
    for g in pgroups:
        members = np.flatnonzero(plabels == g["label"])
        if len(members) > 1:
            pieces = fcluster(linkage(np.arcsinh(states[members]), "single"), t=gap, criterion="distance")
        else:
            pieces = np.ones(1, int)
        order = list(dict.fromkeys(pieces))            # pieces in order of first member
        for p in order:
            idx = members[pieces == p]
            labels[idx] = len(groups)
            lo, hi = states[idx][:, index].min(axis=0), states[idx][:, index].max(axis=0)
            groups.append({"label": len(groups), "count": int(len(idx)), "first": int(idx[0]),
                           "product": g["product"], "product_spread": g["spread"],
                           "range": [[float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])]]})
    # labels in order of first appearance
    return labels, groups


def basins(system: LinearSystem, state, *, axes, range=None, n=41, t_max=2000.0, tol=1e-6,
           predict="closed-form", cluster_tol=None, gap=None, workers: int = 1,
           scheduler: str | None = None, executor=None, backend: str = "auto", records=None,
           refuse: str | None = None, progress: bool | None = None) -> BasinMap:
    r"""Integrate an n x n grid of starts in the slice and group the limits they reach.

    Parameters
    ----------
    system : linrbp.LinearSystem
    state : array_like, shape (system.n_state,)
        The state the slice passes through (the other coordinates keep its values).
    axes : (str, str)
        Two coordinates, e.g. ``("A1[0,0]", "A2[0,0]")``.
    range : tuple of four floats, optional
        The grid's box (default as :func:`linrbp.plots.portrait`'s).
    n : int, default 41
        Grid points per axis (>= 2).
    t_max : float, default 2000
        Integration time limit per start.
    tol : float, default 1e-6
        A converged start disagrees with the closed form when a coordinate differs by more than
        ``tol (1 + max |predicted|)``.
    predict : 'closed-form', callable or None
        As in :func:`linrbp.plots.portrait`.
    cluster_tol : float, optional
        Tolerance of ``linrbp.sweeps.cluster_limits`` (default its ``CLUSTER_TOL``).
    gap : float, default 0.75
        Pieces of one product group further apart than this are separate limits (distance of
        asinh of the limit states: about the plain distance below 1, relative beyond; A[1,1,1]'s
        branches are 1.76 apart at alpha = beta = 1).
    workers, scheduler, executor
        What runs the tiles (serial by default; ``run_tasks``).
    backend : {"auto", "numpy", "numba", "torch"}, default "auto"
        :func:`linrbp.integrate_batch`'s backend. Auto is chosen here, once, and a new kernel
        compiled here before the tiles start; ``extra["backend"]`` records what ran.
    records : str or os.PathLike, optional
        A directory for the settings (``basins.json``) and each tile's statuses and end states
        (``tiles/rows-*.json``), written atomically as the tiles finish. Run again with the same
        system, state, axes, range, n, t_max and backend, the saved tiles are reused (the map is
        the same, bit for bit: a tile's numbers depend only on the tile); a directory holding
        other settings is refused. ``extra["resumed_tiles"]`` counts the tiles reused. Default
        None: nothing is saved.
    refuse : str, optional
        The message (one line) refusing ``records`` of other settings (default: one naming
        ``records``).
    progress : bool, optional
        Progress on stderr (None: on a terminal; False: none).

    Returns
    -------
    BasinMap

    Raises
    ------
    InputError
        Bad axes, range, grid size or state, or ``records`` holding other settings, before any
        integration.
    KeyboardInterrupt
        (linrbp's ``Interrupted``) on SIGINT/SIGTERM: the finished tiles are kept in ``records``;
        the message says how many.

    Examples
    --------
    BP on A[1,1,1] conserves :math:`a_1^2 - a_2^2` and its limits lie on :math:`a_1 a_2 = 1`
    (alpha = beta = 1), so each start's :math:`a_1(\infty)` solves
    :math:`a_1^2 - a_1^{-2} = a_1(0)^2 - a_2(0)^2`:

    >>> import numpy as np
    >>> import linrbp
    >>> from linrbp import plots
    >>> s = linrbp.LinearSystem.create([1, 1, 1], "bp", linrbp.DataStats.from_matrices([[1.0]], [[1.0]]))
    >>> b = plots.basins(s, [0.0, 0.0], axes=("A1[0,0]", "A2[0,0]"), range=(0.5, 2.0, 0.5, 2.0),
    ...                  n=3, t_max=500.0)
    >>> b.size, b.n_unconverged, len(b.groups), b.predicted_ends is None
    (9, 0, 1, True)
    >>> X, Y = np.meshgrid(b.x, b.y)
    >>> a = b.integrated
    >>> float(np.max(np.abs(a ** 2 - a ** -2 - (X ** 2 - Y ** 2)))) < 1e-6
    True
    """
    from ..core._executor import Interrupted, Task, run_tasks
    from ..sweeps._cluster import CLUSTER_TOL

    state = _check_state(system, state)
    index, names = check_axes(system, axes)
    xr, yr = check_range(range) if range is not None else default_range(state, index)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise InputError(f"n: expected an integer grid size >= 2, got {n!r}")
    t_max = check_t_max(t_max)
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not (np.isfinite(tol) and tol > 0):
        raise InputError(f"tol: expected a positive number, got {tol!r}")
    cluster_tol = CLUSTER_TOL if cluster_tol is None else cluster_tol
    gap = GAP if gap is None else float(gap)
    if not (np.isfinite(gap) and gap > 0):
        raise InputError(f"gap: expected a positive number, got {gap!r}")
    if backend not in ("auto", "numpy", "numba", "torch"):
        raise InputError(f"backend: expected 'auto', 'numpy', 'numba' or 'torch', got {backend!r}")
    predict = _predictor(system, predict)
    n = int(n)
    gx, gy = np.linspace(*xr, n), np.linspace(*yr, n)
    X, Y = np.meshgrid(gx, gy)
    Y0 = _in_slice(state, index, X.ravel(), Y.ravel())
    tiles = [(r, min(r + TILE_ROWS, n)) for r in np.arange(0, n, TILE_ROWS).tolist()]
    parts = {}
    store = None
    if records is not None:
        from ..core._records import Records
        config = {"system": _system_dict(system), "state": state, "axes": list(names),
                  "range": [list(xr), list(yr)], "grid": n, "t_max": float(t_max), "backend": backend,
                  "tile_rows": TILE_ROWS}
        store = Records(records, config, manifest="basins.json", what="records", refuse=refuse or (
            f"records: {records} holds a basin map with other settings; use another directory, or the "
            "same system, state, axes, range, grid, t_max and backend to resume it"))
        for r0, r1 in tiles:
            got = store.load(_tile_name(r0, r1), _tile_ok(r0, r1, n, system.n_state))
            if got is not None:
                parts[_tile_key(r0, r1)] = (got["status"], np.array(got["ends"], dtype=float), got["backend"])
    resumed = len(parts)
    pending = [(r0, r1) for r0, r1 in tiles if _tile_key(r0, r1) not in parts]
    from ..integration._auto import prepare, resolve_backend
    chosen, why = resolve_backend(system, backend)
    if pending and chosen == "numba":  # compile once here, not in every process that runs a tile
        from ..integration._integrate import DEFAULT_ATOL, DEFAULT_BOUND, DEFAULT_CONV_TOL, DEFAULT_RTOL
        prepare(system, DEFAULT_RTOL, DEFAULT_ATOL, DEFAULT_CONV_TOL, DEFAULT_BOUND, 200_000)
    # the tiles run auto where it chose numba (its collapse rerun, linrbp.integration._auto)
    task_backend = "auto" if backend == "auto" and chosen == "numba" else chosen
    tasks = [Task(_tile_key(r0, r1), _basin_tile, (system, Y0[r0 * n:r1 * n], float(t_max), task_backend),
                  f"basin map rows {r0}..{r1 - 1} of {n}") for r0, r1 in pending]
    rows = {_tile_key(r0, r1): (r0, r1) for r0, r1 in pending}

    def finish(task, res):
        status, ends, ran = [str(x) for x in res[0]], np.asarray(res[1], dtype=float), res[2]
        if store is not None:
            r0, r1 = rows[task.key]
            store.save(_tile_name(r0, r1), {"rows": [r0, r1], "status": status, "ends": ends, "backend": ran})
        parts[task.key] = (status, ends, ran)

    report = run_tasks(tasks, finish, workers=workers, scheduler=scheduler, executor=executor,
                       desc="basin map", unit="tile", initial=resumed, total=len(tiles), progress=progress)
    if report.interrupted:
        kept = (f"{len(parts)} of {len(tiles)} tiles are saved in {records}; rerun the same command to resume"
                if store is not None else f"{len(parts)} of {len(tiles)} tiles were done but not saved")
        raise Interrupted(f"basin map stopped after {report.seconds:.1f} s; {kept}")
    if report.failed:
        raise RuntimeError(f"basin map: {report.failed[0].line()}")
    keys = [_tile_key(r0, r1) for r0, r1 in tiles]
    status = np.array([x for k in keys for x in parts[k][0]])
    ends = np.concatenate([parts[k][1] for k in keys])
    ran = sorted({str(parts[k][2]) for k in keys})
    used = {"requested": backend, "ran": "+".join(ran), **({"auto_reason": why} if why else {})}
    conv = status == "converged"
    pred = None
    if predict is not None:
        pred = np.array([np.full(system.n_state, np.nan) if p is None else np.asarray(p, float)
                         for p in (predict(y0) for y0 in Y0)])
    states = ends if pred is None else np.concatenate([ends, pred])
    ok = np.concatenate([conv, np.all(np.isfinite(pred), axis=1)]) if pred is not None else conv
    labels, groups = _group(system, states, ok, float(cluster_tol), gap, list(index))
    N = len(Y0)
    for g in groups:   # counts per map: the integrated starts, and the closed form's
        g["predicted_only"] = g["first"] >= N
        g["first"] = g["first"] % N
        g["count"] = int(np.sum(labels[:N] == g["label"]))
        g["predicted_count"] = int(np.sum(labels[N:] == g["label"])) if pred is not None else None
    if pred is not None:
        scale = 1 + np.max(np.abs(np.nan_to_num(pred)), axis=1)
        bad = conv & (~np.isfinite(pred).all(axis=1) | (np.max(np.abs(pred - ends), axis=1) > tol * scale))
    else:
        bad = np.zeros(N, bool)
    shape = X.shape
    return BasinMap(system, state, names, index, gx, gy, status.reshape(shape),
                    ends.reshape(shape + (-1,)), labels[:N].reshape(shape), groups,
                    None if pred is None else pred.reshape(shape + (-1,)),
                    None if pred is None else labels[N:].reshape(shape),
                    bad.reshape(shape), (~conv).reshape(shape), float(tol), float(t_max),
                    float(cluster_tol), gap, {"backend": used, "resumed_tiles": resumed, "records": store})


def _group_text(b, g):
    P = np.asarray(g["product"])
    p = f"{P.ravel()[0]:.4g}" if P.size == 1 else f"|P|_F = {np.linalg.norm(P):.4g}"
    (x0, x1), _ = g["range"]
    where = f"{b.axes[0]} in [{x0:.3g}, {x1:.3g}]" if x0 != x1 else f"{b.axes[0]} = {x0:.3g}"
    return f"P = {p}, {where}" + (" (closed form only)" if g.get("predicted_only") else "")


def basin_map(system: LinearSystem | None = None, state=None, *, axes=None, data: BasinMap | None = None,
              symbolic=True, legend=True, title=None, **kwargs) -> Figure:
    """The basin map of ``system`` in the plane of two state coordinates: each grid start
    coloured by the limit it reaches, beside the closed form's answer where one is known.

    Parameters
    ----------
    system, state, axes
        As in :func:`linrbp.plots.portrait` (not needed with ``data``).
    data : BasinMap, optional
        A map computed by :func:`linrbp.plots.basins` (or ``chain111_basins``); otherwise it is
        computed here with ``kwargs`` (range, n, t_max, tol, predict, workers, scheduler, ...).
    symbolic : bool, default True
        Draw the fixed-point set's trace and the nullclines in the slice.
    legend : bool, default True
        A legend of the limit groups under the panels.
    title : str, optional
        The figure's title; default the system, the grid and the counts of disagreements and
        unconverged starts ("" for none).
    **kwargs
        Passed to :func:`basins` when ``data`` is not given (range, n, t_max, tol, predict,
        cluster_tol, gap, workers, scheduler, executor).

    Returns
    -------
    matplotlib.figure.Figure
        One panel (integrated) or two (closed form, integrated); the BasinMap as ``fig.basins``.

    Raises
    ------
    InputError
        As :func:`linrbp.plots.basins`.

    Examples
    --------
    >>> import linrbp
    >>> from linrbp import plots
    >>> s = linrbp.LinearSystem.create([1, 1, 1], "rbp", linrbp.DataStats.from_matrices([[1.0]], [[1.0]]), [[[1.0]]])
    >>> fig = plots.basin_map(s, [0.5, 0.5], axes=("A1[0,0]", "A2[0,0]"), n=5, t_max=200.0)
    >>> len(fig.basins.groups), fig.basins.disagreements
    (2, 0)
    """
    b = data if data is not None else basins(system, state, axes=axes, **kwargs)
    two = b.predicted_labels is not None
    fig, axs = _figure(1, 2 if two else 1, 12.4 if two else 7.0, 6.8)
    ngroups = len(b.groups)
    colors = [NO_LIMIT] + [GROUP_COLORS[k % len(GROUP_COLORS)] for k in range(ngroups)]
    cmap = ListedColormap(colors)
    sx, sy = (b.x[1] - b.x[0]) / 2, (b.y[1] - b.y[0]) / 2
    extent = (b.x[0] - sx, b.x[-1] + sx, b.y[0] - sy, b.y[-1] + sy)
    curves = plane_curves(b.system, b.state, b.index) if symbolic else {"skipped": "symbolic=False"}
    panels = ([(b.predicted_labels, "closed form")] if two else []) + [(b.labels, "integrated (integrate_batch)")]
    handles = []
    for ax, (labels, what) in zip(axs[0], panels):
        ax.imshow(labels + 1, origin="lower", extent=extent, cmap=cmap, vmin=0, vmax=ngroups,
                  alpha=0.6, interpolation="nearest")
        if "skipped" not in curves:
            handles = _draw_curves(ax, b.system, b.state, b.index, curves, extent[:2], extent[2:])
        for mask, style in ((b.disagree, dict(marker="x", color="k", ms=7, mew=1.8)),
                            (b.unconverged, dict(marker="s", mfc="none", mec="k", ms=7, mew=1.2))):
            pts = np.argwhere(mask)
            if pts.size:
                ax.plot(b.x[pts[:, 1]], b.y[pts[:, 0]], ls="", zorder=8, **style)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_xlabel(_label(b.axes[0]) + " at the start")
        ax.set_ylabel(_label(b.axes[1]) + " at the start")
        ax.set_title(f"limit by {what}", fontsize=11)
    fig.basin_handles = handles
    if legend:
        hs = [Line2D([], [], ls="", marker="s", ms=10, color=colors[g["label"] + 1], alpha=0.6,
                     label=_group_text(b, g)) for g in b.groups]
        hs += handles
        if b.disagreements:
            hs.append(Line2D([], [], ls="", marker="x", color="k", mew=1.8, label="disagreement"))
        if b.n_unconverged:
            hs.append(Line2D([], [], ls="", marker="s", mfc="none", mec="k",
                             label=f"not converged by t = {b.t_max:g}"))
        fig.legend(handles=hs, loc="outside lower center", ncol=3 if two else 2, fontsize=9, frameon=False)
    s = b.system
    counts = (f"{b.size} starts, {ngroups} limit group(s)"
              + (f", {b.disagreements} disagreement(s) (> {b.tol:g}(1 + |limit|))" if two else "")
              + f", {b.n_unconverged} not converged by t = {b.t_max:g}")
    fig.suptitle(title if title is not None else
                 f"Basins of A[{','.join(map(str, s.layers))}] under {s.rule.name}{_params(s)}\n{counts}",
                 fontsize=11)
    fig.basins = b
    return _settle(fig)
