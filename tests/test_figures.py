"""The figures: each draws what it says (artists, labels, titles), the basin map agrees with
integration, missing closed forms are named, and `linrbp figures` writes files atomically and
rejects bad input with exit 2."""

from __future__ import annotations

import os

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

import linrbp
from linrbp import plots
from linrbp.plots import _common, _matrix, _plane, _poly1d
from linrbp.cli import main


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _labelled(ax):
    assert ax.get_xlabel() and ax.get_ylabel(), "every panel has labelled axes"
    assert ax.get_title(), "every panel has a title"


def _has_closed_forms(*names):
    try:
        for n in names:
            plots.closed_form(n)
    except plots.MissingClosedForm:
        return False
    return True


def test_registry_names_and_needs():
    assert len(plots.FIGURES) == 14
    for name, spec in plots.FIGURES.items():
        assert spec.name == name and spec.title
        for need in spec.needs:
            assert need in plots._PROVIDERS


def test_missing_closed_form_is_named(monkeypatch):
    monkeypatch.setitem(plots._PROVIDERS, "no_such_limit", "scalar")
    with pytest.raises(plots.MissingClosedForm, match=r"linrbp\.no_such_limit.*'scalar'"):
        plots.closed_form("no_such_limit")


def test_jacobian_of_chain111_gives_the_theory_eigenvalues():
    # docs/theory.md 2: at a fixed point the eigenvalues are 0 and -beta (a1^2 + c1 a2).
    alpha, beta, c1 = 1.5, 0.7, -0.8
    system = plots.chain111_system(alpha, beta, c1)
    for a1 in (-2.0, -0.4, 0.6, 1.7):
        a2 = alpha / (beta * a1)
        ev = np.sort(np.real(np.linalg.eigvals(plots.jacobian(system, [a1, a2]))))
        expect = np.sort([0.0, -beta * (a1 ** 2 + c1 * a2)])
        np.testing.assert_allclose(ev, expect, atol=1e-7)


def test_bp_rbp_portraits_draw_streams_fixed_points_and_trajectories():
    fig = plots.bp_rbp_portraits(n_traj=3, seed=1, t_max=50.0, density=0.4)
    assert isinstance(fig, Figure)
    axes = fig.axes
    assert len(axes) == 2
    assert "BP" in axes[0].get_title() and "RBP" in axes[1].get_title()
    for ax in axes:
        _labelled(ax)
        assert any(isinstance(c, LineCollection) for c in ax.collections), "streamlines"
        # 2 branches x (stable, unstable) + 3 x (trajectory, start, end)
        assert len(ax.lines) >= 4 + 3 * 3
    # BP: every fixed point is stable (the stable line is drawn unmasked somewhere, the
    # unstable one nowhere); RBP with c1 > 0 has an unstable arc.
    def unstable_points(ax):
        return sum(np.ma.count(l.get_ydata()) for l in ax.lines
                   if l.get_color() == _common.UNSTABLE and l.get_linestyle() == "--")
    assert unstable_points(axes[0]) == 0
    assert unstable_points(axes[1]) > 0
    assert fig.legends and fig._suptitle.get_text()


def test_bp_rbp_is_deterministic_and_seeded():
    def ends(seed):
        fig = plots.bp_rbp_portraits(n_traj=2, seed=seed, t_max=20.0, density=0.2)
        return [l.get_xydata().copy() for l in fig.axes[1].lines if l.get_linewidth() == 1.6]  # trajectories
    a, b, c = ends(3), ends(3), ends(4)
    assert len(a) == 2
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_single_hidden_panels_and_invariant_at_rounding_level():
    fig = plots.single_hidden_convergence((2, 3, 2), seed=2, t_max=200.0, probe=None)
    ax0, ax1 = fig.axes
    for ax in (ax0, ax1):
        _labelled(ax)
    assert len(ax0.lines) == 2  # C1 A2 A1 distance and (full column rank) A2 A1 distance
    final = ax0.lines[0].get_ydata()[-1]
    assert final < 1e-6 * ax0.lines[0].get_ydata()[0]
    drift = ax1.lines[0].get_ydata()
    assert np.max(drift) < 1e-9


SUMMARY = {"config": {"base_seed": 7}, "per_shape": [
    {"shape": [3, 2, 4], "instances": 4, "converged": 4, "individual": 3, "jacobian_full_rank": 1},
    {"shape": [2, 2, 2], "instances": 4, "converged": 4, "individual": 4, "jacobian_full_rank": 4}]}


def test_single_hidden_probe_panel_draws_a_summary():
    fig = plots.single_hidden_convergence((2, 3, 2), seed=2, t_max=50.0, probe=SUMMARY)
    ax = fig.axes[2]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [4, 4, 4, 4, 3, 4, 1, 4]  # instances, converged, individual, full rank
    assert "7/8" in ax.get_title() and "base seed 7" in ax.get_title()
    _labelled(ax)
    with pytest.raises(linrbp.InputError, match="probe"):
        plots.single_hidden_convergence((2, 3, 2), seed=2, t_max=5.0, probe={"bad": 1})


def test_single_hidden_runs_its_own_probe_sweep(monkeypatch):
    calls = []

    def small_sweep(seed):  # the real sweep, on one shape and one seed
        from linrbp.sweeps._probe import probe_sweep
        calls.append(seed)
        return probe_sweep([(2, 2, 2)], 1, base_seed=seed, workers=1)
    monkeypatch.setattr(_matrix, "_probe_sweep", small_sweep)
    fig = plots.single_hidden_convergence((2, 3, 2), seed=3, t_max=50.0)
    assert calls == [3]
    assert [p.get_height() for p in fig.axes[2].patches][:1] == [1]


def test_arbp_difference_constant_and_asymmetry_falls():
    fig = plots.arbp_symmetry(layers=(2, 3, 2), seed=0, t_max=100.0)
    ax0, ax1 = fig.axes
    for ax in fig.axes:
        _labelled(ax)
    diff = ax0.lines[2].get_ydata()
    assert np.ptp(diff) < 1e-9
    assert len(ax1.lines) == 3
    for line in ax1.lines:
        y = line.get_ydata()
        assert y[-1] < y[0]


def test_autoencoder_figure_converges_to_the_closed_form():
    if not _has_closed_forms("autoencoder_limit", "autoencoder_product"):
        pytest.fail("autoencoder closed forms missing")
    fig = plots.autoencoder_convergence(N=3, seed=1, t_max=200.0)
    ax0, ax1, ax2 = fig.axes
    for ax in fig.axes:
        _labelled(ax)
    lam_t = ax1.lines[0].get_ydata()
    lam = ax1.lines[1].get_ydata()[0]
    assert abs(lam_t[-1] - lam) < 1e-8 * lam
    assert ax2.lines[0].get_ydata()[-1] < 1e-8


SCALAR = ("chain111_limit", "poly1d_limit", "chain_limit", "wide_limit", "nonlinear_field",
          "nonlinear_limit", "nonlinear_moments")
needs_scalar = pytest.mark.skipif(not _has_closed_forms(*SCALAR),
                                  reason="scalar closed forms not in this build")


@needs_scalar
def test_basin_map_agrees_with_integration_on_a_small_grid():
    data = plots.chain111_basins(1.0, 1.0, 1.0, lim=2.5, n=9, t_max=500.0)
    assert data.size == 81
    assert data.disagreements == 0 and data.n_unconverged == 0
    # both basins appear on this grid
    assert np.any(data.predicted > 0) and np.any(data.predicted < 0)
    fig = plots.chain111_basin_map(data=data)
    assert "0 disagreements" in fig._suptitle.get_text()
    assert len(fig.axes) == 2 and all(ax.images for ax in fig.axes)


@needs_scalar
def test_basin_map_counts_disagreements_of_a_wrong_closed_form(monkeypatch):
    right = plots.closed_form("chain111_limit")

    def wrong(alpha, beta, c1, a1, a2):  # a deliberately wrong closed form: the other branch
        x, y = right(alpha, beta, c1, a1, a2)
        return -x, -y
    monkeypatch.setattr(linrbp, "chain111_limit", wrong, raising=False)
    data = plots.chain111_basins(1.0, 1.0, 1.0, lim=2.5, n=5, t_max=500.0)
    assert data.disagreements == data.size - data.n_unconverged > 0


@needs_scalar
def test_chain111_portrait_panels():
    fig = plots.chain111_portrait(c1s=(1.0, -1.0), n_traj=2, seed=0, t_max=50.0, density=0.4)
    assert [ax.get_title() for ax in fig.axes] == ["$c_1 = 1$", "$c_1 = -1$"]
    for ax in fig.axes:
        _labelled(ax)
        assert any(isinstance(c, LineCollection) for c in ax.collections)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    for want in ("flow in the slice (streamlines)", "stable fixed points", "unstable fixed points",
                 "critical parabola", "parabola meets hyperbola", "integrated limit", "closed-form limit"):
        assert any(want in label for label in labels), (want, labels)


@needs_scalar
def test_poly1d_marks_the_blow_up_time_where_the_integrator_diverged():
    fig = plots.poly1d_flow()
    axes = fig.axes
    assert len(axes) == 4
    for ax in axes:
        _labelled(ax)
    text = " ".join(t.get_text() for t in axes[3].texts)
    assert "T^*" in text
    ts = [float(s) for s in __import__("re").findall(r"= ([0-9.]+)", text)]
    assert len(ts) == 2 and abs(ts[0] - ts[1]) < 1e-3 * ts[0]


@needs_scalar
def test_chain_depths_and_wide_and_nonlinear_draw():
    fig = plots.chain_depths(depths=(2, 3), seed=0, t_max=100.0)
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[1].lines) == 4
    for line, limit in zip(fig.axes[1].lines[0::2], fig.axes[1].lines[1::2]):
        assert abs(line.get_ydata()[-1] - limit.get_ydata()[0]) < 1e-7
    fig = plots.wide_trajectories(N=2, seed=0, t_max=100.0)
    assert len(fig.axes) == 3 and len(fig.axes[0].lines) == 4
    fig = plots.nonlinear_portraits(n_traj=2, seed=0, t_max=5.0, density=0.4)
    assert len(fig.axes) == 2 and len(fig.axes[1].lines) >= 2 + 2 * 2


# -- the command ------------------------------------------------------------------------------
def test_cli_writes_files_deterministically(tmp_path, capsys):
    out = tmp_path / "figs"
    probe = tmp_path / "probe.json"
    probe.write_text(__import__("json").dumps(SUMMARY))
    assert main(["figures", "--out", str(out), "--only", "single-hidden,autoencoder",
                 "--probe", str(probe)]) == 0
    printed = capsys.readouterr().out
    files = sorted(p.name for p in out.iterdir())
    assert files == ["autoencoder.png", "single-hidden.png"]
    assert str(out / "single-hidden.png") in printed and "seed 0" in printed
    first = (out / "single-hidden.png").read_bytes()
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"linrbp figures --only single-hidden --seed 0" in first  # provenance in the file
    again = tmp_path / "again"
    assert main(["figures", "--out", str(again), "--only", "single-hidden", "--probe", str(probe)]) == 0
    assert (again / "single-hidden.png").read_bytes() == first  # same seed, same bytes
    assert main(["figures", "--out", str(again), "--only", "single-hidden", "--probe", str(probe),
                 "--seed", "1"]) == 0
    assert (again / "single-hidden.png").read_bytes() != first


def test_cli_formats(tmp_path):
    assert main(["figures", "--out", str(tmp_path), "--only", "autoencoder", "--format", "svg"]) == 0
    assert (tmp_path / "autoencoder.svg").read_text().lstrip().startswith("<?xml")
    mode = (tmp_path / "autoencoder.svg").stat().st_mode & 0o777
    assert mode == 0o666 & ~_umask()  # not mkstemp's 0600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def _rc(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own errors
        return exc.code


@pytest.mark.parametrize("argv, message", [
    (["--only", "nope"], "unknown figure 'nope'"),
    (["--only", ","], "--only"),
    (["--seed", "-1"], "--seed"),
    (["--format", "jpg"], "invalid choice"),
    (["--seed", "x"], "invalid int"),
    (["--probe", "/nonexistent/probe.json"], "no such file"),
])
def test_cli_rejects_bad_input(tmp_path, capsys, argv, message):
    out = tmp_path / "o"
    assert _rc(["figures", "--out", str(out)] + argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_cli_out_must_be_a_directory(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["figures", "--out", str(f), "--only", "arbp"]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_public_module_reexports():
    from linrbp.plots import _chain111, _registry
    assert plots.FIGURES is _registry.FIGURES and plots.chain111_basins is _chain111.chain111_basins


@needs_scalar
def test_linearisation_colouring_agrees_with_chain111_stable():
    # Two routes to the same answer: eigenvalues of the finite-difference Jacobian of the
    # LinearSystem field (what the portraits colour by) and the scalar module's stability test.
    stable = plots.closed_form("chain111_stable")
    rng = np.random.default_rng(5)
    for _ in range(40):
        alpha, c1 = rng.choice([-1, 1]) * rng.uniform(0.3, 2), rng.choice([-1, 1]) * rng.uniform(0.3, 2)
        beta = rng.uniform(0.3, 2)
        system = plots.chain111_system(alpha, beta, c1)
        a1 = rng.choice([-1, 1]) * rng.uniform(0.2, 3)
        a2 = alpha / (beta * a1)
        if abs(a1 ** 2 + c1 * a2) < 1e-3:
            continue  # the degenerate point itself: neither test is meaningful there
        sign = _plane._stability(system, np.array([[a1, a2]]))[0]
        assert (sign > 0) == bool(stable(alpha, beta, c1, a1, a2))


def test_cli_rejects_a_file_that_is_not_a_probe_summary(tmp_path, capsys):
    bad = tmp_path / "p.json"
    bad.write_text('{"instances": 3}')
    assert main(["figures", "--out", str(tmp_path / "o"), "--only", "single-hidden",
                 "--probe", str(bad)]) == 2
    assert "not a linrbp probe summary" in capsys.readouterr().err
    bad.write_text("{")
    assert main(["figures", "--out", str(tmp_path / "o"), "--only", "single-hidden",
                 "--probe", str(bad)]) == 2
    assert "malformed JSON" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_names_a_missing_closed_form_and_draws_the_rest(tmp_path, capsys, monkeypatch):
    real = plots.closed_form

    def lacking_poly1d(name):
        if name == "poly1d_limit":
            raise plots.MissingClosedForm("needs the closed form linrbp.poly1d_limit (from the "
                                          "'scalar' work), which this build of linrbp does not provide")
        return real(name)
    monkeypatch.setattr(_poly1d, "closed_form", lacking_poly1d)
    assert main(["figures", "--out", str(tmp_path), "--only", "poly1d,autoencoder"]) == 1
    err = capsys.readouterr().err
    assert "poly1d: needs the closed form linrbp.poly1d_limit" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["autoencoder.png"]
