"""The compiled backend (``backend="numba"``): agreement with the numpy path, accuracy against
closed forms at finite times, the fallback without numba, and the on-disk kernel cache.

The tests that run compiled code skip without numba; the fallback test runs everywhere."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.linalg import expm

import linrbp
from linrbp import DataStats, LinearSystem, feedback_shapes, integrate_batch
from linrbp.benchmarks import _bench
from linrbp.integration._integrate import STATUSES

ROOT = Path(__file__).resolve().parents[1]


# Kernels compile into the test run's cache (tests/conftest.py: one temporary directory per
# run, shared with every other test that integrates the same system); the cache tests below
# use fresh directories of their own.


def needs_numba():
    pytest.importorskip("numba")


def assert_agree(a, b, rel=1e-10):
    """Identical statuses, states equal to ``rel`` relative (per trajectory, sup norms)."""
    assert np.array_equal(a.status, b.status), (a.counts(), b.counts())
    scale = np.maximum(np.abs(a.y).max(axis=1), np.abs(b.y).max(axis=1))
    diff = np.abs(a.y - b.y).max(axis=1)
    assert np.all(diff <= rel * scale), float(np.max(diff / scale))


def both(system, Y0, t_max, **kw):
    ref = integrate_batch(system, Y0, t_max, backend="numpy", **kw)
    out = integrate_batch(system, Y0, t_max, backend="numba", **kw)
    assert out.info["backend"] == "numba" and "fallback" not in out.info
    return ref, out


BENCH = dict(rtol=_bench.RTOL, atol=_bench.ATOL)


def test_chain111_bench_system_agrees_and_reaches_the_closed_form():
    needs_numba()
    case = _bench._chain111(np.random.default_rng(3), 3000)
    ref, out = both(case["system"], case["starts"], _bench.T_MAX["chain111"],
                    conv_tol=_bench.CONV_TOL["chain111"], **BENCH)
    assert set(out.status) == {"converged"}
    assert_agree(ref, out)
    assert np.max(case["error"](case["starts"], out.y)) <= 1e-8


def test_chain4_bench_system_agrees_and_reaches_the_closed_form():
    needs_numba()
    case = _bench._chain4(np.random.default_rng(4), 1000)
    ref, out = both(case["system"], case["starts"], _bench.T_MAX["chain4"],
                    conv_tol=_bench.CONV_TOL["chain4"], **BENCH)
    assert_agree(ref, out)
    assert np.max(case["error"](case["starts"], out.y)) <= 1e-8


def test_single_hidden_543_agrees_at_a_finite_time_and_converged():
    """A[5,4,3] RBP (32 states): at t = 5 (all still running, none near a fixed point) states to 1e-10; run to
    convergence, the statuses agree and the product reaches S_TI S_II^-1 as closely as the
    numpy path's. (Its fixed points are not isolated: near them the step size follows the
    error estimate's rounding noise and the converged state drifts along the set of fixed
    points by ~conv_tol, in the numpy path too when its stage sums change order; see
    docs/performance.md. So converged states are compared through the closed form.)"""
    needs_numba()
    case = _bench._single_hidden(np.random.default_rng(5), 24)
    system, Y0 = case["system"], case["starts"]
    ref, out = both(system, Y0, 5.0, conv_tol=1e-15, **BENCH)
    assert set(out.status) == {"time-limit"}
    assert_agree(ref, out)
    ref, out = both(system, Y0, 1e3, conv_tol=1e-8, **BENCH)
    assert np.array_equal(ref.status, out.status) and set(out.status) == {"converged"}
    assert np.max(case["error"](Y0, out.y)) <= 2 * np.max(case["error"](Y0, ref.y))


def test_single_hidden_543_statuses_agree_at_the_bench_tolerance():
    """At the bench's conv_tol 1e-10, where |f| at step ends used to stall above the threshold
    and which of converged and time-limit a start got depended on rounding (12 of the bench's
    200 starts differed between the backends), every start converges on both, with the same
    statuses and stopping times within 5% (measured: 2.6%; which damped step first sees |f| below the
    threshold depends on rounding), the products at S_TI S_II^-1."""
    needs_numba()
    case = _bench._single_hidden(np.random.default_rng(5), 40)
    system, Y0 = case["system"], case["starts"]
    ref, out = both(system, Y0, 1e3, conv_tol=1e-10, **BENCH)
    assert set(ref.status) == {"converged"} and np.array_equal(ref.status, out.status)
    assert np.all(np.abs(out.t_end - ref.t_end) <= 0.05 * ref.t_end), np.max(np.abs(out.t_end / ref.t_end - 1))
    assert np.max(case["error"](Y0, out.y)) <= 2e-9


def test_adaptive_rule_agrees():
    needs_numba()
    rng = np.random.default_rng(6)
    X = rng.normal(size=(2, 8))
    system = LinearSystem.create([2, 3, 2], "arbp", DataStats.from_samples(X, rng.normal(size=(2, 8))))
    Y0 = 0.6 * rng.normal(size=(300, system.n_state))
    ref, out = both(system, Y0, 4.0, conv_tol=1e-15, rtol=1e-11, atol=1e-13)
    assert set(out.status) == {"time-limit"}
    assert_agree(ref, out)
    # To convergence: the fixed points form a set (as for A[5,4,3]), so converged states are
    # compared through the product, which tends to S_TI S_II^-1.
    ref, out = both(system, Y0, 200.0, conv_tol=1e-9, rtol=1e-11, atol=1e-13)
    assert np.array_equal(ref.status, out.status)
    conv = out.status == "converged"
    assert conv.mean() > 0.9

    def product_error(Y):
        weights, _ = system.unpack(Y)
        return np.abs(system.product(weights) - system.stats.optimum()).max(axis=(-2, -1))

    assert np.max(product_error(out.y[conv])) <= 2 * np.max(product_error(ref.y[conv])) + 1e-12


def test_single_layer_matches_the_matrix_exponential_at_finite_times():
    """A[3,2] trained by BP is linear: dA/dt = S_TI - A S_II, so
    A(t) = A* + (A(0) - A*) expm(-S_II t) with A* = S_TI S_II^-1."""
    needs_numba()
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3, 9))
    stats = DataStats.from_samples(X, rng.normal(size=(2, 9)))
    system = LinearSystem.create([3, 2], "bp", stats)
    Y0 = rng.normal(size=(200, 6))
    star = stats.optimum()
    for t in (0.3, 2.5):
        out = integrate_batch(system, Y0, t, backend="numba", conv_tol=1e-16, rtol=1e-12, atol=1e-14)
        assert set(out.status) == {"time-limit"} and np.allclose(out.t_end, t, rtol=1e-14, atol=0)
        exact = star + (Y0.reshape(-1, 2, 3) - star) @ expm(-np.asarray(stats.sigma_ii) * t)
        assert np.abs(out.y - exact.reshape(-1, 6)).max() <= 1e-10


def test_chain111_at_finite_times_against_its_quadrature():
    """chain111 (docs/theory.md 2): K = a2 - a1^2/(2 c1) is conserved and a1' = Q(a1) =
    c1 (alpha - beta a1 (K + a1^2/(2 c1))), so t = int_{a1(0)}^{a1(t)} dx / Q(x)."""
    needs_numba()
    alpha, beta, c1 = 1.2, 0.8, -0.7
    system = LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[beta]], [[alpha]]),
                                 feedback=[[[c1]]])
    Y0 = np.random.default_rng(8).uniform(-1.5, 1.5, (100, 2))
    t = 0.8
    out = integrate_batch(system, Y0, t, backend="numba", conv_tol=1e-16, rtol=1e-12, atol=1e-14)
    assert set(out.status) == {"time-limit"}
    K0 = Y0[:, 1] - Y0[:, 0] ** 2 / (2 * c1)
    K1 = out.y[:, 1] - out.y[:, 0] ** 2 / (2 * c1)
    assert np.abs(K1 - K0).max() <= 1e-11
    worst = 0.0
    for (a10, _), (a1, _), K in zip(Y0[:20], out.y[:20], K0[:20]):
        def inv_q(x):
            return 1.0 / (c1 * (alpha - beta * x * (K + x * x / (2 * c1))))
        val, _ = quad(inv_q, a10, a1, epsabs=1e-13, epsrel=1e-13, limit=200)
        worst = max(worst, abs(val - t))
    assert worst <= 1e-9


def test_the_backend_can_fail_with_a_broken_tableau(monkeypatch, tmp_path):
    """The agreement tests can fail: a kernel generated from perturbed 8th-order weights
    leaves the matrix-exponential solution by more than the tolerance."""
    needs_numba()
    import linrbp.integration._dop853 as integ
    import linrbp.integration._numba_backend as nb
    monkeypatch.setattr(integ, "_B", integ._B * (1 + 1e-6))
    monkeypatch.setattr(nb, "_SOURCE_HASH", "broken-tableau")
    monkeypatch.setattr(nb, "_MODULES", {})
    monkeypatch.setenv("LINRBP_CACHE_DIR", str(tmp_path))
    system = LinearSystem.create([1, 1], "bp", DataStats.from_matrices([[1.0]], [[0.0]]))
    x0 = np.linspace(0.5, 3.0, 100)[:, None]
    out = integrate_batch(system, x0, 3.0, backend="numba", conv_tol=1e-16)
    assert out.info["backend"] == "numba"
    assert np.abs(out.y[:, 0] / (x0[:, 0] * np.exp(-3.0)) - 1).max() > 1e-8


def test_per_start_parameters_equal_separate_systems():
    """One call with a parameter row per start gives bit for bit what one call per system
    gives (the same kernel, so the same arithmetic: this checks the rows reach their starts)."""
    needs_numba()
    from linrbp.integration._numba_backend import run_numba
    rng = np.random.default_rng(9)
    params = np.stack([rng.uniform(0.5, 2, 6), rng.uniform(-2, 2, 6), rng.uniform(-1.5, 1.5, 6)], 1)
    Y0 = rng.uniform(-2, 2, (6, 2))
    base = LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[1.0]], [[1.0]]), feedback=[[[1.0]]])
    code, t_end, y, steps, _ = run_numba(base, Y0, np.full(6, 1e4), 1e-10, 1e-12, 1e-12, 1e8, 10 ** 5,
                                         None, 1, params=params)
    for i, (beta, alpha, c1) in enumerate(params):
        one = LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[beta]], [[alpha]]),
                                  feedback=[[[c1]]])
        ref = integrate_batch(one, Y0[i:i + 1], 1e4, backend="numba", rtol=1e-10, atol=1e-12)
        assert ref.status[0] == STATUSES[code[i] - 1]
        assert ref.t_end[0] == t_end[i] and ref.n_steps[0] == steps[i]
        assert np.array_equal(ref.y[0], y[i])


SCRIPT = """
import json, sys, numpy as np
from linrbp import DataStats, LinearSystem, integrate_batch
s = LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[0.9]], [[1.1]]), feedback=[[[-0.6]]])
Y0 = np.random.default_rng(1).uniform(-2, 2, (300, 2))
r = integrate_batch(s, Y0, 1e4, backend="numba", rtol=1e-10, atol=1e-12)
ref = integrate_batch(s, Y0, 1e4, backend="numpy", rtol=1e-10, atol=1e-12)
info = {k: v for k, v in r.info.items() if isinstance(v, (int, str, bool, float, type(None)))}
print(json.dumps({"info": info, "same": bool((r.status == ref.status).all()),
                  "diff": float(abs(r.y - ref.y).max())}))
"""


def run_script(cache, prelude=""):
    env = dict(os.environ, LINRBP_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", prelude + SCRIPT], capture_output=True, text=True,
                          env=env, cwd=str(ROOT), timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def test_without_numba_it_falls_back_with_one_line(tmp_path):
    """A real process in which numba cannot be imported (sys.modules entry None)."""
    out, err = run_script(tmp_path, "import sys; sys.modules['numba'] = None\n")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "numba is not installed" in lines[0] and "numpy" in lines[0], err
    assert out["info"]["fallback"].startswith("numba is not installed")
    assert out["same"] and out["diff"] == 0.0
    assert not list(tmp_path.iterdir())  # nothing generated


def test_a_plain_callable_falls_back(capfd):
    res = integrate_batch(lambda Y: -Y, np.ones((5, 1)), 1.0, backend="numba", conv_tol=1e-16)
    err = capfd.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "falls back to 'numpy'" in err
    assert "fallback" in res.info and set(res.status) == {"time-limit"}


def test_a_second_process_loads_the_compiled_kernel_from_the_cache(tmp_path):
    needs_numba()
    first, err = run_script(tmp_path)
    assert first["info"]["kernel_generated"] and first["info"]["jit_cache_misses"] >= 1
    lines = [ln for ln in err.splitlines() if ln.strip()]  # a fresh cache never stalls silently
    assert len(lines) == 1 and lines[0].startswith("linrbp: numba is compiling"), err
    assert lines[0].endswith(f"kept in {tmp_path / 'numba'}")
    assert first["same"] and first["diff"] <= 1e-9
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    compiled = [p for p in files if p.suffix in (".nbi", ".nbc")]
    assert len([p for p in files if p.name.startswith("linrbp_kernel_") and p.suffix == ".py"]) == 1
    assert compiled, files
    stamps = {p: p.stat().st_mtime_ns for p in files}
    second, err = run_script(tmp_path)
    assert not second["info"]["kernel_generated"] and err.strip() == ""
    assert second["info"]["jit_cache_misses"] == 0 and second["info"]["jit_cache_hits"] >= 1
    after = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert after == files and {p: p.stat().st_mtime_ns for p in after} == stamps


def _vector_form_ran(out):
    return out.info["backend"] == "numba" and "linrbp_kernel_vector_" in out.info["kernel"]


def test_vector_form_agrees_on_every_status_and_any_batch_size():
    """The vector form (16 trajectories side by side for this 2-state system, a lane refilled
    as its trajectory ends): a batch whose size is no multiple of the lanes, with trajectories
    that converge at the start, converge, leave the bound, reach t_max or run out of steps,
    gives the numpy path's statuses and step counts, on 1 and 3 workers, and its states:
    to 1e-10 where a trajectory stops at a fixed time (t_max) or at a fixed point; where it
    stops after an accepted step (bound, step limit), up to what the stopping times' own
    difference explains (|f| |dt|): a step size follows the error estimate, whose rounding
    error is ~1e-16 / rtol relative, so t_end carries ~1e-7 relative noise there, in the
    array form too."""
    needs_numba()
    system = LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[0.9]], [[1.1]]),
                                 feedback=[[[-0.6]]])
    rng = np.random.default_rng(11)
    Y0 = rng.uniform(-3, 3, (203, 2))
    Y0[5] = fixed = _bench.chain111_limits(1.1, 0.9, -0.6, Y0[5:6])[0]  # converged at t = 0
    kw = dict(rtol=1e-10, atol=1e-12, conv_tol=1e-6, bound=2.5, max_steps=25)
    ref = integrate_batch(system, Y0, 3.0, backend="numpy", **kw)
    assert set(ref.status) == {"converged", "diverged", "time-limit", "step-limit"}, ref.counts()
    assert ref.status[5] == "converged" and ref.n_steps[5] == 0 and np.array_equal(ref.y[5], fixed)
    fixed_time = np.isin(ref.status, ["converged", "time-limit"])
    speed = np.array([np.abs(system(y)).max() for y in ref.y])
    for workers in (1, 3):
        out = integrate_batch(system, Y0, 3.0, backend="numba", workers=workers, **kw)
        assert _vector_form_ran(out)
        assert np.array_equal(ref.status, out.status) and np.array_equal(ref.n_steps, out.n_steps)
        limit = ref.status == "time-limit"
        assert np.allclose(ref.t_end[limit], out.t_end[limit], rtol=1e-14, atol=0)
        scale = np.abs(ref.y).max(axis=1)
        diff = np.abs(ref.y - out.y).max(axis=1)
        assert np.all(diff[fixed_time] <= 1e-10 * scale[fixed_time])
        explained = 2 * speed * np.abs(ref.t_end - out.t_end) + 1e-10 * scale
        assert np.all(diff <= explained), float(np.max(diff - explained))


def _array_form_module(system, tmp_path):
    """The array form (one trajectory at a time) of ``system``'s kernel, loaded from a file."""
    import importlib.util

    from linrbp.integration import _numba_backend as nb
    path = tmp_path / "array_form_kernel.py"
    path.write_text(nb.generate_source(system))
    spec = importlib.util.spec_from_file_location("linrbp_test_array_form", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vector_form_equals_the_array_form_bit_for_bit_on_every_status(tmp_path):
    """The vector form (8 trajectories side by side, the step as LLVM vector code) does the
    array form's operations per trajectory, so on a batch of 203 starts of a 10-state system
    (no multiple of the lanes) that converge, leave the bound, reach t_max or run out of steps,
    on 1 and 3 workers, its statuses, step counts, stopping times and states equal the array
    form's bit for bit, and its statuses the numpy path's."""
    needs_numba()
    rng = np.random.default_rng(12)
    layers = [3, 2, 3]
    X = rng.normal(size=(3, 12))
    stats = DataStats.from_samples(X, rng.normal(size=(3, 12)))
    system = LinearSystem.create(layers, "rbp", stats, [rng.normal(size=s) for s in feedback_shapes(layers, "rbp")])
    Y0 = rng.normal(size=(203, system.n_state)) * rng.choice([0.3, 1.0, 3.0], size=(203, 1))
    kw = dict(rtol=1e-10, atol=1e-12, conv_tol=1e-3, bound=6.0, max_steps=100)
    t_max = 30.0
    ref = integrate_batch(system, Y0, t_max, backend="numpy", **kw)
    assert set(ref.status) == {"converged", "diverged", "time-limit", "step-limit"}, ref.counts()
    array = _array_form_module(system, tmp_path)
    B = len(Y0)
    want = (np.zeros(B, np.int8), np.zeros(B), Y0.copy(), np.zeros(B, np.int64))
    P = np.asarray(system._field_parameters(), dtype=np.float64)[None]
    array.run(Y0, np.full(B, t_max), P, kw["rtol"], kw["atol"], kw["conv_tol"], kw["bound"], kw["max_steps"],
              0, B, *want, np.zeros(1, np.int64))
    for workers in (1, 3):
        out = integrate_batch(system, Y0, t_max, backend="numba", workers=workers, **kw)
        assert _vector_form_ran(out)
        assert np.array_equal(np.array(("",) + STATUSES)[want[0]], out.status)
        assert np.array_equal(want[1], out.t_end) and np.array_equal(want[2], out.y)
        assert np.array_equal(want[3], out.n_steps)
        assert np.array_equal(ref.status, out.status)


def test_a_kernel_file_another_process_wrote_meanwhile_is_kept(tmp_path):
    """Two processes that generate one kernel at once (xdist workers, pool workers on a fresh
    cache): the second keeps the first's file, so its mtime, recorded in numba's cache index,
    stays valid and the saved machine code is not compiled again; no temporary file is left."""
    from linrbp.integration._numba_backend import _write_atomic
    path = tmp_path / "linrbp_kernel_x.py"
    _write_atomic(path, "first")
    inode = path.stat().st_ino
    _write_atomic(path, "first")
    assert path.stat().st_ino == inode and path.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
