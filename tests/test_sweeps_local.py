"""The executor path on this machine: serial and local process pools, with real processes and
signals. A probe sweep interrupted by SIGINT exits 130 within 5 s and resumes to the serial
run's records; a pool worker killed with -9 loses nothing; a task that raises is reported by
name and instance while the others finish; bad worker counts exit 2 with one line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psutil
import pytest

from _sweeps_common import HELPERS, ROOT, cli, env, records, wait_for_files

sys.path.insert(0, str(HELPERS))
import sweep_tasks  # noqa: E402

from linrbp.cli import main  # noqa: E402
from linrbp.core._errors import InputError  # noqa: E402
from linrbp.core._executor import Task, check_workers, max_local_workers, run_tasks  # noqa: E402

# 8 probe instances, about 0.3 s each alone: long enough to interrupt, short enough to repeat
PROBE = ["probe", "--shapes", "2x2x2,3x2x4", "--seeds", "4", "--t-max", "1e5"]


@pytest.fixture(scope="module")
def serial_probe(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "rec"
    assert main([*PROBE, "--workers", "1", "--out", str(out)]) == 0
    recs = records(out, "*-seed*.json")
    assert len(recs) == 8
    return recs


@pytest.mark.parametrize("workers", [1, 2])
def test_a_task_that_raises_is_reported_and_the_others_finish(workers, capsys):
    tasks = [Task(f"t{i}", sweep_tasks.boom if i == 3 else sweep_tasks.square, (i,), f"input {i}")
             for i in range(6)]
    got = {}
    report = run_tasks(tasks, lambda t, r: got.__setitem__(t.key, r), workers=workers)
    assert got == {f"t{i}": i * i for i in range(6) if i != 3}
    assert [f.key for f in report.failed] == ["t3"] and not report.ok
    line = report.failed[0].line()
    assert "t3" in line and "input 3" in line and "ValueError: task input 3 is not accepted" in line
    assert report.executor == ("serial (this process)" if workers == 1 else "2 local processes")
    err = capsys.readouterr().err
    assert "6/6" not in err and "5/6 tasks done, 0 running, 1 failed" in err  # the final progress line


def test_worker_counts(capsys):
    assert check_workers(3) == 3
    for bad in (0, -2, 1000, 2.5, True):
        with pytest.raises(InputError, match="workers"):
            check_workers(bad)
    assert main(["probe", "--workers", "1000", "--shapes", "2x2x2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"at most {max_local_workers()}" in err[0] and "--scheduler" in err[0]
    # never more processes than tasks, and the header says so
    assert main(["probe", "--shapes", "2x2x2", "--seeds", "1", "--workers", "5", "--t-max", "0.5"]) == 0
    assert "executor: serial (this process) (--workers 5 capped at the number of tasks, 1)" in capsys.readouterr().out


def test_scheduler_without_dask_exits_2_with_one_line():
    code = ("import sys; sys.modules['distributed'] = None; from linrbp.cli import main; "
            "sys.exit(main(['verify', '--only', 'chain111', '--scheduler', 'tcp://127.0.0.1:1']))")
    r = subprocess.run([sys.executable, "-c", code], env=env(), cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip() == ("linrbp verify: error: scheduler: Dask is not installed; install it "
                                "with pip install 'linrbp[dask]' (or pip install 'dask[distributed]')")


def test_sigint_stops_a_two_worker_sweep_within_5_s_and_a_rerun_resumes(tmp_path, serial_probe):
    out = tmp_path / "rec"
    p = cli(*PROBE, "--workers", "2", "--out", out)
    assert wait_for_files(out, "*-seed*.json", 2, p, 120), p.communicate()
    # the pool's workers are the CLI process's children (by pid, not by any name in their command
    # line: a virtual environment's path may contain "linrbp" for unrelated processes)
    workers = psutil.Process(p.pid).children(recursive=True)
    assert workers, "no worker processes seen while the sweep ran"
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    stopped = time.monotonic() - sent
    assert p.returncode == 130, err
    assert stopped < 5.0, stopped
    assert "interrupted" in err and "rerun the same command to resume" in err
    kept = records(out, "*-seed*.json")
    assert 2 <= len(kept) < 8  # finished records kept, the rest not run
    assert all(kept[k] == serial_probe[k] for k in kept)
    gone, alive = psutil.wait_procs(workers, timeout=10)  # no pool process left behind
    assert alive == [], [(w.pid, w.cmdline()) for w in alive]
    p = cli(*PROBE, "--workers", "2", "--out", out)
    stdout, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert f"({len(kept)} resumed" in stdout
    assert records(out, "*-seed*.json") == serial_probe


def test_sigterm_stops_verify_and_the_same_command_resumes(tmp_path):
    report = tmp_path / "v.json"
    # four claims: about 10 s on 2 workers on a quiet machine, so the signal at 2 s lands
    # while checks run (chain111 alone finished in under 3 s once the machine was quiet)
    only = "poly1d,chain111,chain,wide1N1"
    argv = ["verify", "--only", only, "--workers", "2", "--json", report]
    p = cli(*argv)
    assert "linrbp verify: 4 claims" in p.stdout.readline()  # printed as the checks start
    time.sleep(2.0)  # a few of its checks finish
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 130, err
    partial = json.loads(report.read_text())
    assert partial["complete"] is False and not partial["passed"]
    done = sum(len(c["checks"]) for c in partial["claims"])
    assert f"{done} of " in err and "the same command resumes" in err
    p = cli(*argv)
    stdout, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert "resuming the interrupted report" in stdout
    resumed = json.loads(report.read_text())
    assert main(["verify", "--only", only, "--workers", "1", "--json", str(tmp_path / "serial.json")]) == 0
    assert records(tmp_path, "v.json") == {"v.json": records(tmp_path, "serial.json")["serial.json"]}
    assert resumed["complete"] is True


def test_a_pool_worker_killed_with_9_loses_nothing(tmp_path, serial_probe):
    out = tmp_path / "rec"
    p = cli(*PROBE, "--workers", "2", "--out", out)
    assert wait_for_files(out, "*-seed*.json", 1, p, 120), p.communicate()
    workers = psutil.Process(p.pid).children()
    victims = [w for w in workers if "resource_tracker" not in " ".join(w.cmdline())]
    assert victims, [w.cmdline() for w in workers]
    victims[0].kill()  # SIGKILL, mid-task
    stdout, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert records(out, "*-seed*.json") == serial_probe


def test_integrate_batch_in_chunks_on_a_process_pool_gives_the_serial_bits():
    import concurrent.futures as cf

    import numpy as np

    from linrbp.core._executor import SerialExecutor
    from linrbp.integration._integrate import integrate_batch
    from linrbp.plots import chain111_system

    system = chain111_system(1.0, 1.0, -1.0)
    Y0 = np.random.default_rng(5).uniform(-3, 3, (700, 2))
    serial = integrate_batch(system, Y0, 300.0, executor=SerialExecutor(), chunk=150)
    with cf.ProcessPoolExecutor(2) as pool:
        pooled = integrate_batch(system, Y0, 300.0, executor=pool, chunk=150)
    assert pooled.info["chunks"] == 5 and pooled.info["executor"] == "the given ProcessPoolExecutor"
    for field in ("status", "t_end", "y", "n_steps"):
        assert np.array_equal(getattr(pooled, field), getattr(serial, field)), field
    # the chunks are integrate_batch itself: the same answers as one batch, to rounding
    whole = integrate_batch(system, Y0, 300.0, workers=1)
    assert np.array_equal(whole.status, serial.status)
    assert np.max(np.abs(whole.y - serial.y)) < 1e-12
    with pytest.raises(InputError, match="chunk"):
        integrate_batch(system, Y0, 300.0, chunk=10)
