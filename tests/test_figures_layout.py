"""Figure layout: legends never cover curves, labels and markers stay inside their axes, and a
zero count is drawn, not an invisible bar (the issue's figure fixes; the PNGs were looked at)."""

from __future__ import annotations

import numpy as np

from linrbp import plots as _plots
from linrbp.plots import _matrix


def _extent(artist, fig):
    return artist.get_window_extent(fig.canvas.get_renderer())


def _legend_outside(ax, fig):
    leg = ax.get_legend()
    assert leg is not None
    box, axbox = _extent(leg, fig), _extent(ax.patch, fig)
    return box.y1 <= axbox.y0 + 1  # entirely below the axes


def test_poly1d_legends_are_outside_and_the_blowup_label_inside():
    fig = _plots.poly1d_flow()
    fig.canvas.draw()
    for ax in fig.axes[2:]:  # the trajectory panels
        assert _legend_outside(ax, fig)
    ax = fig.axes[3]  # x^2 - 1: one blow-up
    labels = [t for t in ax.texts if "T^*" in t.get_text()]
    assert labels
    axbox = _extent(ax.patch, fig)
    for t in labels:
        box = _extent(t, fig)
        assert axbox.x0 <= box.x0 and box.x1 <= axbox.x1, (box, axbox)


def test_chain_depths_legend_covers_no_closed_form_line():
    fig = _plots.chain_depths(depths=(2, 3))
    fig.canvas.draw()
    assert _legend_outside(fig.axes[1], fig)


def test_probe_panel_shows_a_zero_count():
    from matplotlib.figure import Figure
    fig = Figure()
    ax = fig.subplots()
    rows = [{"shape": [3, 2, 4], "instances": 2, "converged": 2, "individual": 2, "jacobian_full_rank": 0,
             "jacobian_nullity": {"1": 2}},
            {"shape": [2, 2, 2], "instances": 2, "converged": 2, "individual": 1, "jacobian_full_rank": 1}]
    _matrix._probe_panel(ax, {"per_shape": rows})
    zeros = [t for t in ax.texts if t.get_text() == "0"]
    assert len(zeros) == 1  # the one zero, labelled
    outlined = [p for p in ax.patches if p.get_height() > 0 and not p.get_fill()]
    assert len(outlined) == 1  # and drawn with a visible outline


def test_basin_map_markers_lie_inside_the_axes():
    b = _plots.chain111_basins(1.0, 1.0, 1.0, lim=3.0, n=9)
    b.unconverged[-1, 0] = True  # a marker on the corner point (-3, 3)
    fig = _plots.basin_map(data=b)
    for ax in fig.axes[:2]:
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        assert x0 < b.a1[0] and b.a1[-1] < x1 and y0 < b.a2[0] and b.a2[-1] < y1
        # half a cell of margin: a marker of 7 points fits at this size
        assert np.isclose(b.a1[0] - x0, (b.a1[1] - b.a1[0]) / 2)


# -- the figure defects of issue 29, each with its layout check --------------------------------
# Independent of the figures' own _settle: every overlap is measured here on the Agg renderer.
def _boxes(fig, texts):
    r = fig.canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(r)) for t in texts if t.get_visible() and t.get_text()]


def _text_overlaps(fig):
    """(what, what) pairs: the figure title against every panel title, and every figure legend
    against every panel's x label and x tick labels, and either outside the figure."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    out = []
    sup = fig._suptitle
    heads, feet = [], []
    for ax in fig.axes:
        heads += _boxes(fig, [ax.title])
        feet += _boxes(fig, [ax.xaxis.label] + list(ax.get_xticklabels()))
    fb = fig.bbox
    for ax in fig.axes:
        for t, b in _boxes(fig, [ax.title]):
            if b.x0 < fb.x0 or b.x1 > fb.x1 or b.y1 > fb.y1:
                out.append((t, "outside the figure"))
    if sup is not None and sup.get_text():
        b = sup.get_window_extent(r)
        out += [("suptitle", t) for t, hb in heads if b.overlaps(hb)]
        if b.x0 < fb.x0 or b.x1 > fb.x1 or b.y1 > fb.y1:
            out.append(("suptitle", "outside the figure"))
    for lg in fig.legends:
        b = lg.get_window_extent(r)
        out += [("legend", t) for t, hb in feet if b.overlaps(hb)]
        if b.x0 < fb.x0 or b.x1 > fb.x1 or b.y0 < fb.y0:
            out.append(("legend", "outside the figure"))
    return out


def _line_points_in(ax, box, lines):
    """How many vertices of ``lines`` (display coordinates) fall inside ``box``."""
    n = 0
    for line in lines:
        xy = np.column_stack([np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)])
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) == 1 and line.get_linestyle() in ("--", "-", ":") and line.get_xdata()[0] == 0:
            pass
        d = ax.transData.transform(xy) if len(xy) else xy
        n += int(np.sum((d[:, 0] > box.x0) & (d[:, 0] < box.x1) & (d[:, 1] > box.y0) & (d[:, 1] < box.y1))) if len(d) else 0
    return n


def _markers_inside(fig, ax):
    """Every marker of ax (lines drawn with a marker and no line) whole inside the axes."""
    r = fig.canvas.get_renderer()
    axbox = ax.patch.get_window_extent(r)
    bad = []
    for line in ax.lines:
        if line.get_marker() in (None, "None", "", " ") or line.get_linestyle() not in ("None", "", " "):
            continue
        xy = ax.transData.transform(np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float))
        half = line.get_markersize() / 2 * fig.dpi / 72
        for x, y in xy:
            if not (axbox.x0 <= x - half and x + half <= axbox.x1 and axbox.y0 <= y - half and y + half <= axbox.y1):
                bad.append((line.get_marker(), x, y))
    return bad


def test_bp_rbp_titles_and_legend_overlap_nothing():
    fig = _plots.bp_rbp_portraits(n_traj=3, seed=0, t_max=50.0, density=0.4)
    assert _text_overlaps(fig) == []
    for ax in fig.axes:
        assert _markers_inside(fig, ax) == []


def test_chain111_portrait_keeps_its_limit_markers_inside_and_labels_off_the_hyperbola():
    fig = _plots.chain111_portrait(seed=0, t_max=200.0, density=0.4)  # the default starts of linrbp figures
    assert _text_overlaps(fig) == []
    for ax in fig.axes:
        assert _markers_inside(fig, ax) == []
        # no text inside the panel may cover a curve: there is none left (the limits are in view)
        r = fig.canvas.get_renderer()
        for t in ax.texts:
            box = t.get_window_extent(r)
            assert _line_points_in(ax, box, [l for l in ax.lines if l.get_linestyle() in ("-", "--")]) == 0


def test_autoencoder_middle_legend_is_off_the_root_line_and_the_curve():
    fig = _plots.autoencoder_convergence(N=4, seed=0, t_max=1e4)
    fig.canvas.draw()
    ax = fig.axes[1]
    box = ax.get_legend().get_window_extent(fig.canvas.get_renderer())
    root = ax.lines[1]
    y = ax.transData.transform([[1.0, root.get_ydata()[0]]])[0, 1]
    assert not (box.y0 <= y <= box.y1), "the legend sits on the root line"
    assert _line_points_in(ax, box, [ax.lines[0]]) == 0
    for t, b in _boxes(fig, [ax.xaxis.label] + list(ax.get_xticklabels())):
        assert not box.overlaps(b), t
    assert _text_overlaps(fig) == []


def test_wide1N1_title_writes_the_feedback_as_numbers():
    fig = _plots.wide_trajectories(N=4, seed=0, t_max=1e4)
    title = fig._suptitle.get_text()
    c = np.random.default_rng(0).normal(size=4)   # the figure's first draw from its seed
    assert "$c$ = (" + ", ".join(f"{v:.2f}" for v in c) + ")" in title
    assert "[ " not in title and "  " not in title
    assert _text_overlaps(fig) == []


def test_rbp_modes_legend_lists_modes_first_and_draws_every_limit():
    from linrbp.plots._second_tier import rbp_modes_figure

    fig = rbp_modes_figure(seed=0)
    fig.canvas.draw()
    for ax in fig.axes:
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        n = sum(t.startswith("mode ") for t in texts)
        assert n >= 2 and [t.startswith("mode ") for t in texts[:n]] == [True] * n
        assert texts[:n] == [f"mode {i + 1}" + t[len(f"mode {i + 1}"):] for i, t in enumerate(texts[:n])]
        assert any("dotted" in t for t in texts[n:]) and any("dashed" in t for t in texts[n:])
        limits = [l for l in ax.lines if l.get_linestyle() == ":"]
        curves = [l for l in ax.lines if l.get_linestyle() == "-" and len(l.get_ydata()) > 2]
        assert len(limits) == len(curves) == n
        # each mode's integrated strength ends at its limit line (t = 8: within 1e-3)
        for curve, limit in zip(curves, limits):
            assert abs(curve.get_ydata()[-1] - limit.get_ydata()[0]) < 1e-3
        box = ax.get_legend().get_window_extent(fig.canvas.get_renderer())
        assert _line_points_in(ax, box, curves) == 0


def test_sgd_ode_writes_eta_one_way_and_states_the_ratio(monkeypatch):
    from linrbp.claims import sgd_ode as S
    from linrbp.plots._second_tier import sgd_ode_figure

    rng = np.random.default_rng(1)   # a small stand-in for Fashion-MNIST (the layout, not the claim)
    X = rng.uniform(0, 1, size=(40, 16))  # 16 pixels: the ODE integrates in a second
    Y = np.eye(10)[rng.integers(0, 10, size=40)]
    monkeypatch.setattr(S, "fashion_data", lambda *a, **k: (X, Y))
    fig = sgd_ode_figure(seed=0, etas=(1e-3, 1e-4), T=0.064)
    fig.canvas.draw()
    texts = [t.get_text() for ax in fig.axes for t in [ax.title, ax.xaxis.label, ax.yaxis.label]]
    texts += [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
    assert not any("eta" in t.replace(r"\eta", "") for t in texts), texts
    right = fig.axes[1].get_title()
    assert r"\|P_{ODE}(T)\|_F" in right and "ratio 10 gives distance ratio" in right and r"\sqrt{10}" in right
    assert _text_overlaps(fig) == []
