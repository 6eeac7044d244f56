"""``integrate_batch(..., backend="auto")``, the default: the compiled integrator (numba) where
it can run, else numpy, saying why; the same statuses and states to rounding as numpy; one
line without numba per process; the CLI's ``--backend``.

The suite runs with ``LINRBP_AUTO_BACKEND=numpy`` (tests/conftest.py: auto would compile a
kernel for each of the suite's many system structures); these tests unset it, and use only
the structures the numba tests compile anyway (A[1,1,1] and A[5,4,3] under rbp), which the
run's shared kernel cache holds once."""

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import linrbp
from linrbp import InputError, integrate_batch
from linrbp.benchmarks import _bench
from linrbp.integration import _auto
from linrbp.integration._auto import AUTO_ENV

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def auto(monkeypatch):
    """auto as users get it (the suite's conftest sets LINRBP_AUTO_BACKEND=numpy)."""
    monkeypatch.delenv(AUTO_ENV, raising=False)


def needs_numba():
    pytest.importorskip("numba")


def chain111():
    s = linrbp.LinearSystem.create([1, 1, 1], "rbp", linrbp.DataStats.from_matrices([[2.0]], [[1.5]]),
                                   feedback=[[[0.7]]])
    return s, np.random.default_rng(3).uniform(-2, 2, (40, 2))


def assert_agree(a, b, rel=1e-10):
    """Identical statuses, states equal to ``rel`` relative (per trajectory, sup norms)."""
    assert np.array_equal(a.status, b.status), (a.counts(), b.counts())
    scale = np.maximum(np.abs(a.y).max(axis=1), np.abs(b.y).max(axis=1))
    diff = np.abs(a.y - b.y).max(axis=1)
    assert np.all(diff <= rel * scale), float(np.max(diff / scale))


def test_the_default_is_auto_and_runs_the_compiled_integrator(auto):
    assert inspect.signature(integrate_batch).parameters["backend"].default == "auto"
    needs_numba()
    s, Y0 = chain111()
    res = integrate_batch(s, Y0, 1e4)
    assert res.info["backend"] == "numba" and res.info["requested"] == "auto"
    assert "auto_reason" not in res.info and "fallback" not in res.info
    ref = integrate_batch(s, Y0, 1e4, backend="numpy")
    assert ref.info["backend"] == "numpy" and "requested" not in ref.info
    assert_agree(ref, res)


@pytest.mark.parametrize("case", ["chain111", "single_hidden_543"])
def test_auto_gives_the_numpy_statuses_and_states(auto, case):
    """Every status of the lane form (chain111: converged, diverged past a small bound,
    time-limit, step-limit) and the wide form (A[5,4,3] at t = 5, all running)."""
    needs_numba()
    if case == "chain111":
        s, Y0 = chain111()
        Y0 = np.concatenate([Y0, [[40.0, 40.0], [0.01, -0.01]]])  # diverged; 68 steps (> 47)
        t_max = np.where(np.arange(len(Y0)) % 5 == 0, 0.3, 1e4)
        kw = dict(bound=30.0, max_steps=np.int64(47), rtol=1e-10, atol=1e-12)
    else:
        c = _bench._single_hidden(np.random.default_rng(5), 12)
        s, Y0, t_max, kw = c["system"], c["starts"], 5.0, dict(rtol=1e-10, atol=1e-12, conv_tol=1e-15)
    ref = integrate_batch(s, Y0, t_max, backend="numpy", **kw)
    res = integrate_batch(s, Y0, t_max, **kw)
    assert res.info["backend"] == "numba"
    if case == "chain111":  # the case covers the statuses it claims to
        assert {"converged", "diverged", "time-limit", "step-limit"} <= set(ref.status), ref.counts()
    assert_agree(ref, res)
    # where a run ends: t_max, the bound, the step limit. (Near a fixed point the error
    # estimate is rounding noise, which chooses the late steps, so the converged and step-limit
    # runs' t_end differ beyond rounding, measured up to 7% and 2e-7; their states agree above.)
    end = np.isin(ref.status, ["time-limit", "diverged"])
    np.testing.assert_allclose(res.t_end[end], ref.t_end[end], rtol=1e-12)
    limit = ref.status == "step-limit"
    assert np.array_equal(res.n_steps[limit], ref.n_steps[limit])


def test_auto_runs_numpy_where_the_compiled_integrator_cannot_and_says_why(auto, capfd):
    r = integrate_batch(lambda Y: -Y, np.ones((4, 1)), 1.0, conv_tol=1e-16)
    assert r.info["backend"] == "numpy" and "plain callable" in r.info["auto_reason"]
    big = linrbp.LinearSystem.create([8, 8, 1], "bp", linrbp.DataStats.from_matrices(np.eye(8), np.ones((1, 8))))
    assert big.n_state > 64
    r = integrate_batch(big, np.zeros((2, big.n_state)) + 0.01, 0.1)
    assert r.info["backend"] == "numpy" and "above the generated field's limit" in r.info["auto_reason"]
    s, Y0 = chain111()
    r = integrate_batch(s, Y0, 1e4, interruptible=True)
    assert r.info["backend"] == "numpy" and "interruptible" in r.info["auto_reason"]
    os.environ[AUTO_ENV] = "numpy"
    r = integrate_batch(s, Y0, 1e4)
    assert r.info["backend"] == "numpy" and r.info["auto_reason"] == f"{AUTO_ENV}=numpy"
    assert capfd.readouterr().err == ""  # none of these is worth a line on stderr
    os.environ[AUTO_ENV] = "fast"
    with pytest.raises(InputError, match=f"^{AUTO_ENV}: expected 'numpy' or unset, got 'fast'$"):
        integrate_batch(s, Y0, 1e4)
    del os.environ[AUTO_ENV]
    with pytest.raises(InputError, match="backend: expected 'auto', 'numpy', 'numba' or 'torch', got 'fast'"):
        integrate_batch(s, Y0, 1e4, backend="fast")


def _nan_above(y):
    """dy/dt = y, NaN once y passes 1.5 (tests/test_trust.py)."""
    y = np.asarray(y, dtype=float)
    return np.where(y > 1.5, np.nan, y)


def test_a_compiled_run_that_collapses_inside_the_bound_is_rerun_on_numpy(monkeypatch):
    """The kernels end a step that collapsed on a NaN field as ``diverged`` (the numpy loop:
    ``non-finite``); auto reruns exactly those trajectories on numpy. The compiled run is
    played by the numpy loop with its non-finite statuses relabelled as the kernels report
    them (compiling a NaN rule's kernel would cost the suite a new structure)."""
    monkeypatch.setattr(_auto, "resolve_backend", lambda fun, backend, interruptible=False: ("numba", None))
    calls = []

    def compiled_like(fun, Y, t_max, *, backend, **kw):
        calls.append((backend, len(Y)))
        res = integrate_batch(fun, Y, t_max, backend="numpy", **kw)
        if backend == "numba":
            res.status = np.where(res.status == "non-finite", "diverged", res.status)
            res.info = {"backend": "numba"}
        return res

    Y = np.array([[1.0], [-0.2], [0.5]])
    square = np.array([[1.0], [-0.2], [0.5]])
    kw = dict(rtol=1e-12, atol=1e-14, conv_tol=1e-12, bound=1e8, max_steps=200_000, workers=1, device=None)
    out = _auto.integrate_auto(compiled_like, _nan_above, Y, np.full(3, 10.0), False, kw,
                               dict(progress=None, executor=None, chunk=None))
    ref = integrate_batch(_nan_above, Y, 10.0, backend="numpy")
    assert list(ref.status) == ["non-finite", "time-limit", "non-finite"]
    assert calls == [("numba", 3), ("numpy", 2)]  # only the two collapsed runs again
    assert np.array_equal(out.status, ref.status) and np.array_equal(out.y, ref.y)
    assert np.array_equal(out.t_end, ref.t_end) and out.info["numpy_rerun"] == 2
    assert "the function computes a non-finite value" in out.info["message"]
    # a blow-up that passes the bound is the kernels' diverged too: not rerun
    calls.clear()
    out = _auto.integrate_auto(compiled_like, lambda y: np.asarray(y) ** 2, square[:1], np.full(1, 10.0),
                               False, kw, dict(progress=None, executor=None, chunk=None))
    assert list(out.status) == ["diverged"] and calls == [("numba", 1)] and "numpy_rerun" not in out.info


SCRIPT = """
import json, os, sys, numpy as np
from linrbp import DataStats, LinearSystem, integrate_batch
os.environ.pop("LINRBP_AUTO_BACKEND", None)
s = LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[0.9]], [[1.1]]), feedback=[[[-0.6]]])
Y0 = np.random.default_rng(1).uniform(-2, 2, (50, 2))
ref = integrate_batch(s, Y0, 1e4, backend="numpy")
out = []
for _ in range(3):
    r = integrate_batch(s, Y0, 1e4)
    out.append([r.info["backend"], r.info["auto_reason"], bool((r.status == ref.status).all()),
                bool((r.y == ref.y).all())])
print(json.dumps(out))
"""


def test_without_numba_auto_runs_numpy_with_one_line_per_process(tmp_path):
    """A real process in which numba cannot be imported (sys.modules entry None)."""
    env = dict(os.environ, LINRBP_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.modules['numba'] = None\n" + SCRIPT],
                          capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "numba is not installed" in lines[0], proc.stderr
    assert "pip install 'linrbp[jit]'" in lines[0]
    runs = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(runs) == 3
    for backend, why, same_status, same_y in runs:
        assert backend == "numpy" and why.startswith("numba is not installed") and same_status and same_y
    assert not list(tmp_path.iterdir())  # nothing generated


INSTANCE = {"layers": [1, 1, 1], "rule": "rbp", "sigma_ii": [[2.0]], "sigma_ti": [[1.5]],
            "feedback": [[[0.7]]], "weights": [[[0.1]], [[0.1]]]}


@pytest.mark.parametrize("backend", [None, "numpy"])
def test_sweep_and_basins_take_backend_and_record_what_ran(auto, tmp_path, capsys, backend):
    from linrbp.cli import main
    if backend is None:
        needs_numba()
    inst = tmp_path / "inst.json"
    inst.write_text(json.dumps(INSTANCE))
    opt = [] if backend is None else ["--backend", backend]
    assert main(["sweep", str(inst), "--starts", "6", "--scale", "0.5", "--seed", "0", "--workers", "1",
                 "--json", str(tmp_path / "s.json")] + opt) == 0
    rep = json.loads((tmp_path / "s.json").read_text())
    ran = backend or "numba"
    assert rep["backend"] == {"requested": backend or "auto", "chosen": ran, "ran": {ran: 6}}
    assert {r["backend"] for r in rep["records"]} == {ran}
    assert main(["basins", str(inst), "--axes", "A1[0,0]", "A2[0,0]", "--grid", "3", "--no-symbolic",
                 "--out", str(tmp_path / "b.png"), "--json", str(tmp_path / "b.json")] + opt) == 0
    assert json.loads((tmp_path / "b.json").read_text())["backend"] == {"requested": backend or "auto", "ran": ran}
    assert f"integrated on {ran}" in capsys.readouterr().out


@pytest.mark.parametrize("command", [["sweep", "X", "--starts", "1", "--scale", "1", "--seed", "0"],
                                     ["basins", "X", "--axes", "A1[0,0]", "A2[0,0]", "--out", "x.png"]])
def test_a_bad_backend_option_exits_2_with_one_line(command, capsys):
    from linrbp.cli import main
    with pytest.raises(SystemExit) as e:
        main(command + ["--backend", "fast"])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and "argument --backend: invalid choice: 'fast'" in err[0]
    with pytest.raises(SystemExit):
        main([command[0], "--help"])
    assert "(default auto;" in " ".join(capsys.readouterr().out.split())
