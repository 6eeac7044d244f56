"""Sweeps on Dask, with real processes on 127.0.0.1: a `dask scheduler` and two `dask worker`
processes started by a fixture. The four routes (serial, --workers 2, --scheduler local, the
separate scheduler) write identical records for probe, experiments (quick), verify and the
basin map; a worker killed with -9 mid-sweep loses nothing; a task that raises is reported."""

from __future__ import annotations

import json
import signal
import sys

import numpy as np
import pytest

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow  # a scheduler, workers and local clusters start: about a minute

from _sweeps_common import HELPERS, DaskCluster, cli, records, strip, wait_for_files  # noqa: E402

sys.path.insert(0, str(HELPERS))
import sweep_tasks  # noqa: E402

from linrbp.cli import main  # noqa: E402
from linrbp.core._executor import Task, run_tasks  # noqa: E402
from linrbp import plots  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    c = DaskCluster(2)
    try:
        yield c
    finally:
        c.stop()


def routes(cluster):
    return {"serial": ["--workers", "1"], "workers-2": ["--workers", "2"],
            "scheduler-local": ["--workers", "2", "--scheduler", "local"],
            "scheduler": ["--scheduler", cluster.address]}


def test_probe_records_are_the_same_on_every_route(cluster, tmp_path, capsys):
    got = {}
    for name, opts in routes(cluster).items():
        out = tmp_path / name
        assert main(["probe", "--shapes", "2x2x2,3x2x4", "--seeds", "2", "--t-max", "1e5",
                     "--out", str(out), *opts]) == 0
        got[name] = records(out, "*-seed*.json"), records(out / "instances")
    assert "executor: the Dask scheduler at " + cluster.address in capsys.readouterr().out
    assert len(got["serial"][0]) == 4 and len(got["serial"][1]) == 4
    for name in got:
        assert got[name] == got["serial"], name


def test_experiments_quick_records_are_the_same_on_every_route(cluster, tmp_path):
    got = {}
    for name, opts in routes(cluster).items():
        out = tmp_path / name
        assert main(["experiments", "variants", "--quick", "--seeds", "2", "--only", "bp,rbp",
                     "--dataset", "teacher", "--epochs", "2", "--no-progress", "--out", str(out),
                     *opts]) == 0
        got[name] = records(out / "runs"), strip(json.loads((out / "summary.json").read_text()))
    assert len(got["serial"][0]) == 4
    for name in got:
        assert got[name] == got["serial"], name


def test_verify_reports_are_the_same_on_every_route(cluster, tmp_path):
    got = {}
    for name, opts in routes(cluster).items():
        out = tmp_path / f"{name}.json"
        assert main(["verify", "--only", "nonlinear,wide1N1", "--json", str(out), *opts]) == 0
        got[name] = strip(json.loads(out.read_text()))
    assert [c["id"] for c in got["serial"]["claims"]] == ["wide1N1", "nonlinear"]
    for name in got:
        assert got[name] == got["serial"], name


def test_basin_map_is_the_same_on_every_route(cluster, tmp_path):
    kw = dict(lim=2.5, n=9, t_max=500.0)
    maps = {"serial": plots.chain111_basins(1.0, 1.0, 1.0, workers=1, **kw),
            "workers-2": plots.chain111_basins(1.0, 1.0, 1.0, workers=2, **kw),
            "scheduler-local": plots.chain111_basins(1.0, 1.0, 1.0, workers=2, scheduler="local", **kw),
            "scheduler": plots.chain111_basins(1.0, 1.0, 1.0, scheduler=cluster.address, **kw)}
    ref = maps["serial"]
    assert ref.disagreements == 0 and ref.n_unconverged == 0
    for name, b in maps.items():
        for field in ("integrated", "predicted", "status", "disagree"):
            assert np.array_equal(getattr(b, field), getattr(ref, field)), (name, field)
    # the figure through the CLI: the same bytes from the separate scheduler as serially
    for name in ("serial", "scheduler"):
        assert main(["figures", "--only", "basin-map", "--out", str(tmp_path / name),
                     *routes(cluster)[name]]) == 0
    assert (tmp_path / "serial" / "basin-map.png").read_bytes() == \
        (tmp_path / "scheduler" / "basin-map.png").read_bytes()


def test_a_task_that_raises_on_the_cluster_is_reported_and_the_others_finish(cluster):
    tasks = [Task(f"t{i}", sweep_tasks.boom if i == 1 else sweep_tasks.square, (i,), f"input {i}")
             for i in range(4)]
    got = {}
    report = run_tasks(tasks, lambda t, r: got.__setitem__(t.key, r), scheduler=cluster.address,
                       progress=False)
    assert got == {"t0": 0, "t2": 4, "t3": 9}
    assert [f.line() for f in report.failed] == [
        "task t1 (input 1) failed: ValueError: task input 1 is not accepted"]


def test_integrate_batch_in_chunks_on_the_cluster_gives_the_same_bits(cluster):
    from distributed import Client
    from linrbp.core._executor import SerialExecutor
    from linrbp.integration._integrate import integrate_batch

    system = plots.chain111_system(1.0, 1.0, 1.0)
    rng = np.random.default_rng(3)
    Y0 = rng.uniform(-3, 3, (900, 2))
    serial = integrate_batch(system, Y0, 500.0, executor=SerialExecutor(), chunk=200)
    with Client(cluster.address) as client:
        dask = integrate_batch(system, Y0, 500.0, executor=client.get_executor(), chunk=200)
    assert dask.info["chunks"] == 5
    for field in ("status", "t_end", "y", "n_steps"):
        assert np.array_equal(getattr(dask, field), getattr(serial, field)), field
    # and each start reached the closed-form limit the chunks do not know about
    limit = plots.closed_form("chain111_limit")
    pred = np.array([limit(1.0, 1.0, 1.0, x, y)[0] for x, y in Y0])
    ok = dask.status == "converged"
    assert ok.mean() > 0.9 and np.max(np.abs(dask.y[ok, 0] - pred[ok]) / (1 + np.abs(pred[ok]))) < 1e-6


def test_a_dask_worker_killed_with_9_mid_sweep_loses_nothing(tmp_path):
    argv = ["probe", "--shapes", "2x2x2,3x2x4", "--seeds", "3", "--t-max", "1e5"]
    assert main([*argv, "--workers", "1", "--out", str(tmp_path / "serial")]) == 0
    c = DaskCluster(2)
    try:
        out = tmp_path / "dask"
        p = cli(*argv, "--scheduler", c.address, "--out", out)
        assert wait_for_files(out, "*-seed*.json", 1, p, 120), p.communicate()
        c.workers[0].send_signal(signal.SIGKILL)  # both workers are busy: one task dies with it
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert c.workers[0].wait(10) == -signal.SIGKILL
    finally:
        c.stop()
    assert records(out, "*-seed*.json") == records(tmp_path / "serial", "*-seed*.json")
    assert len(records(out, "*-seed*.json")) == 6
