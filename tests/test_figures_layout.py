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
