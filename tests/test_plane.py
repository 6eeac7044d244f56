"""Portraits and basin maps of any system in the plane of two state coordinates (issue 25):
a user's rule from a file with a parameter set on the command line, the fixed points drawn
against the symbolic fixed-point set of the whole system, the axes, the basins' limits."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import linrbp
from linrbp import plots
from linrbp.cli import main

RULE_FILE = '''
import linrbp
from linrbp import Parameter, Rule
from linrbp.core._rules import transpose

# feedback that drifts toward the transpose of the next weights: dC/dt = kappa (A2^T - C)
linrbp.register_rule(Rule(
    "drift-mirror", channel="feedback", adaptive=True, learning="none",
    parameters=(Parameter("kappa", 0.5, "drift rate of C toward A^T", "kappa"),),
    feedback_drift=lambda h, A, C, p: (transpose(A[h + 1]) + C[h] * -1) * p["kappa"]),
    replace_existing=True)
'''
INSTANCE = {"layers": [1, 1, 1], "rule": "drift-mirror", "sigma_ii": [[1.0]], "sigma_ti": [[1.0]],
            "feedback": [[[0.5]]], "weights": [[[0.5]], [[0.5]]]}


@pytest.fixture
def user_rule(tmp_path):
    rules = tmp_path / "my_rules.py"
    rules.write_text(RULE_FILE)
    inst = tmp_path / "inst.json"
    inst.write_text(json.dumps(INSTANCE))
    from linrbp.cli._rule_files import load_rule_files
    load_rule_files([str(rules)])
    return rules, inst


def _system(kappa=0.25):
    rule = linrbp.get_rule("drift-mirror").with_parameters(kappa=kappa)
    return linrbp.LinearSystem.create([1, 1, 1], rule, linrbp.DataStats.from_matrices([[1.0]], [[1.0]]))


def _drawn_points(ax):
    """The isolated fixed points drawn: markers 'o' of size 8 with a green or red edge."""
    return [(float(l.get_xdata()[0]), float(l.get_ydata()[0])) for l in ax.lines
            if l.get_marker() == "o" and l.get_markersize() == 8]


def _full_set(system, alpha=1, beta=1):
    """The whole system's fixed-point set from the symbolic layer, with the instance's data
    substituted: (components as {canonical name: expr}, hypersurface expressions)."""
    from linrbp.symbolic import derive_ode, fixed_point_set
    from linrbp.symbolic._invariants import canonical_names

    derived = derive_ode(list(system.layers), system.rule)
    fps = fixed_point_set(derived)
    values = {derived.moments["S_II"][0, 0]: sp.nsimplify(beta), derived.moments["S_TI"][0, 0]: sp.nsimplify(alpha)}
    ren = {str(v): v for v in canonical_names(derived).values()}
    comps = [{k: sp.sympify(v).subs(values) for k, v in c["point"].items()} for c in fps["components"] or []]
    hyper = [sp.sympify(b).subs(values) for b, _ in fps["common"]]
    return comps, hyper, ren


def test_portrait_of_a_users_rule_from_the_command_line(user_rule, tmp_path, capsys):
    rules, inst = user_rule
    out = tmp_path / "p.png"
    assert main(["portrait", str(inst), "--rules", str(rules), "--param", "kappa=0.25", "--axes", "A1[0,0]",
                 "C1[0,0]", "--starts", "3", "--t-max", "100", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "drift-mirror (kappa=0.25)" in text and "isolated fixed points: 1" in text
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fixed_points_drawn_are_the_symbolic_fixed_point_set(user_rule):
    system = _system(0.25)
    state = system.pack([[[0.5]], [[0.5]]], [[[0.5]]])
    fig = plots.portrait(system, state, axes=("A1[0,0]", "C1[0,0]"), n_starts=2, t_max=50.0)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "$A_{1}[0,0]$" and ax.get_ylabel() == "$C_{1}[0,0]$"
    pts = _drawn_points(ax)
    assert len(pts) == 1
    x, y = pts[0]
    comps, hyper, ren = _full_set(system)
    assert hyper == []  # no factor common to every component: the set is a curve, not a surface
    full = {ren["A1_0_0"]: x, ren["A2_0_0"]: 0.5, ren["C1_0_0"]: y}
    on = [all(abs(float((ren[k] - v).subs(full))) < 1e-12 for k, v in c.items()) for c in comps]
    assert any(on), (pts, comps)
    # and the numeric field vanishes there (a third route)
    assert np.abs(system(np.array([x, 0.5, y]))).max() < 1e-12
    # the slice meets the set where C1 = A2 = 0.5, A1 = 1 / C1: one point, (2, 0.5)
    assert abs(x - 2.0) < 1e-12 and abs(y - 0.5) < 1e-12


def test_fixed_curve_drawn_is_the_hyperbola_coloured_by_the_theory():
    st = linrbp.DataStats.from_matrices([[0.7]], [[1.5]])
    system = linrbp.LinearSystem.create([1, 1, 1], "rbp", st, [[[-0.8]]])
    fig = plots.portrait(system, [0.4, 0.3], axes=("A1[0,0]", "A2[0,0]"), n_starts=2, t_max=50.0)
    ax = fig.axes[0]
    stable = np.vstack([np.column_stack([l.get_xdata(), np.ma.filled(l.get_ydata(), np.nan)])
                        for l in ax.lines if l.get_color() == "tab:green" and l.get_linestyle() == "-"])
    unstable = np.vstack([np.column_stack([l.get_xdata(), np.ma.filled(l.get_ydata(), np.nan)])
                          for l in ax.lines if l.get_color() == "tab:red" and l.get_linestyle() == "--"])
    stable, unstable = (a[np.isfinite(a[:, 1])] for a in (stable, unstable))
    assert len(stable) > 50 and len(unstable) > 10
    # on the symbolic set: alpha - beta a1 a2 = 0 (theory page section 2), to rounding
    comps, hyper, ren = _full_set(system, alpha=1.5, beta=0.7)
    assert len(hyper) == 1   # one factor common to both components: the error e = 0
    g = sp.lambdify((ren["A1_0_0"], ren["A2_0_0"]), hyper[0])
    both = np.vstack([stable, unstable])
    scale = float(sp.Poly(hyper[0], ren["A1_0_0"], ren["A2_0_0"]).max_norm())
    assert max(abs(g(a1, a2)) for a1, a2 in both) < 1e-9 * scale
    for a1, a2 in both:   # the theory's alpha - beta a1 a2, written out here
        assert abs(1.5 - 0.7 * a1 * a2) < 1e-9
    # coloured as the theory says: stable where a1^2 + c1 a2 > 0
    assert np.all(stable[:, 0] ** 2 - 0.8 * stable[:, 1] > -1e-2)
    assert np.all(unstable[:, 0] ** 2 - 0.8 * unstable[:, 1] < 1e-2)
    # and it covers the hyperbola inside the view
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    a1 = np.concatenate([np.linspace(x0, -0.3, 50), np.linspace(0.3, x1, 50)])
    a2 = 1.5 / (0.7 * a1)
    keep = (a2 > y0) & (a2 < y1)
    d = np.min(np.hypot(a1[keep, None] - both[None, :, 0], a2[keep, None] - both[None, :, 1]), axis=1)
    assert d.max() < 0.05


def test_basin_map_of_a_users_rule(user_rule, tmp_path, capsys):
    rules, inst = user_rule
    system = _system(0.25)
    state = system.pack([[[0.5]], [[0.5]]], [[[0.5]]])
    fig = plots.basin_map(system, state, axes=("A1[0,0]", "A2[0,0]"), n=7, t_max=500.0)
    b = fig.basins
    assert len(fig.axes) == 1  # no closed form for this rule: the integrated map alone
    assert fig.axes[0].get_xlabel() == "$A_{1}[0,0]$ at the start"
    assert b.n_unconverged == 0 and len(b.groups) == 2
    ends = b.ends.reshape(-1, 3)
    P = ends[:, 1] * ends[:, 0]   # A2 A1
    assert np.abs(P - 1.0).max() < 1e-6   # every limit on alpha/beta = 1
    labels = b.labels.ravel()
    for g in b.groups:   # a group is one branch: one sign of A1 at the limit
        signs = np.sign(ends[labels == g["label"], 0])
        assert len(set(signs)) == 1
    out, js = tmp_path / "b.png", tmp_path / "b.json"
    assert main(["basins", str(inst), "--rules", str(rules), "--param", "kappa=0.25", "--axes", "A1[0,0]",
                 "A2[0,0]", "--grid", "7", "--t-max", "500", "--out", str(out), "--json", str(js)]) == 0
    data = json.loads(js.read_text())
    assert data["params"] == {"kappa": 0.25} and data["rule"] == "drift-mirror"
    assert data["labels"] == b.labels.tolist() and data["not_converged"] == 0
    assert "limit 0:" in capsys.readouterr().out


def test_basin_map_against_the_closed_form():
    st = linrbp.DataStats.from_matrices([[1.0]], [[1.0]])
    system = linrbp.LinearSystem.create([1, 1, 1], "srbp", st, [[[1.0]]])
    b = plots.basins(system, [0.0, 0.0], axes=("A1[0,0]", "A2[0,0]"), range=(-2.5, 2.5, -2.5, 2.5), n=9,
                     t_max=500.0)
    assert b.predicted_labels is not None and b.disagreements == 0 and b.n_unconverged == 0
    conv = ~b.unconverged
    assert np.array_equal(b.labels[conv], b.predicted_labels[conv])
    assert sum(g["count"] for g in b.groups) == b.size - b.n_unconverged
    assert sum(g["predicted_count"] for g in b.groups) == b.size   # a closed form for every start
    # the closed form chain111_limit, called here directly, is what was predicted
    lim = linrbp.chain111_limit
    for (i, j) in [(0, 0), (4, 7), (8, 2)]:
        np.testing.assert_allclose(b.predicted_ends[i, j], lim(1.0, 1.0, 1.0, b.x[j], b.y[i]), rtol=1e-12)


def test_coordinate_names_follow_the_state_layout():
    system = linrbp.LinearSystem.create([1, 2, 1], "arbp", linrbp.DataStats.from_matrices([[1.0]], [[1.0]]))
    A1, A2, C1 = np.array([[11.0], [12.0]]), np.array([[21.0, 22.0]]), np.array([[31.0], [32.0]])
    y = system.pack([A1, A2], [C1])
    names = plots.coordinate_names(system)
    assert dict(zip(names, y)) == {"A1[0,0]": 11, "A1[1,0]": 12, "A2[0,0]": 21, "A2[0,1]": 22,
                                   "C1[0,0]": 31, "C1[1,0]": 32}


@pytest.mark.parametrize("axes, message", [
    (("A1[0,0]", "A3[0,0]"), "unknown state coordinate 'A3[0,0]'"),
    (("A1[0,0]", "A1[0,0]"), "the same coordinate A1[0,0] twice"),
    ("A1[0,0]", "expected two state coordinates"),
])
def test_bad_axes(axes, message):
    st = linrbp.DataStats.from_matrices([[1.0]], [[1.0]])
    system = linrbp.LinearSystem.create([1, 1, 1], "rbp", st, [[[1.0]]])
    with pytest.raises(linrbp.InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        plots.portrait(system, [0.1, 0.1], axes=axes)
    with pytest.raises(linrbp.InputError, match="X0 < X1"):
        plots.basins(system, [0.1, 0.1], axes=("A1[0,0]", "A2[0,0]"), range=(1, 0, 0, 1))


def test_basins_of_a_lambda_rule_are_the_same_bits_on_two_processes(user_rule):
    # the rule's functions are lambdas from a file the worker processes never imported
    system = _system(0.25)
    state = system.pack([[[0.5]], [[0.5]]], [[[0.5]]])
    kw = dict(axes=("A1[0,0]", "A2[0,0]"), n=5, t_max=300.0, predict=None)
    serial = plots.basins(system, state, workers=1, **kw)
    pool = plots.basins(system, state, workers=2, **kw)
    assert np.array_equal(serial.ends, pool.ends) and np.array_equal(serial.status, pool.status)
    assert np.array_equal(serial.labels, pool.labels)
