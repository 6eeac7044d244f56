"""Output rules (symlinks written through, specials refused, checks before work), quiet broken
pipes, warnings, and the derive/bench/help fixes of the hardening issue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import sympy as sp

import linrbp
from linrbp.cli import main
from linrbp.core._io import atomic_write_text, check_output_file

from test_bad_input import INSTANCE

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(os.path.abspath(linrbp.__file__)))]
                                                  + os.environ.get("PYTHONPATH", "").split(os.pathsep)))


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path, capsys):
    (tmp_path / "inst.json").write_text(json.dumps(INSTANCE))
    target = tmp_path / "results" / "out.json"
    target.parent.mkdir()
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert main(["simulate", str(tmp_path / "inst.json"), "--t-max", "1", "--json", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["status"] == "time-limit"
    assert (target.stat().st_mode & 0o777) == 0o640  # the replaced file keeps its permissions
    # the temporary file lived beside the target and is gone
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst.json", "link.json", "results"]


def test_a_chain_of_links_and_a_dangling_link(tmp_path):
    real = tmp_path / "real.txt"
    (tmp_path / "b").symlink_to(real)
    (tmp_path / "a").symlink_to(tmp_path / "b")
    atomic_write_text(tmp_path / "a", "hello")  # dangling: the target is created
    assert real.read_text() == "hello"
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(linrbp.InputError, match="loop"):
        check_output_file(loop, "--json")
    assert loop.is_symlink()


def test_output_is_checked_before_the_work_starts(tmp_path, capsys):
    """`train --epochs 3 --json DIR` used to train fully, then fail naming a temporary file."""
    rc = main(["train", "--dataset", "teacher", "--hidden", "4", "--epochs", "3", "--no-progress",
               "--json", str(tmp_path)])
    out = capsys.readouterr()
    assert rc == 2
    assert "status" not in out.out and "accuracy" not in out.out  # nothing trained
    assert out.err.strip() == f"linrbp train: error: --json {tmp_path}: is a directory; refusing to write there (give a file name)"
    assert ".tmp" not in out.err


def test_figures_check_every_file_before_drawing(tmp_path, capsys):
    out = tmp_path / "figs"
    out.mkdir()
    (out / "poly1d.png").mkdir()  # the second figure's file is a directory
    assert main(["figures", "--out", str(out), "--only", "arbp,poly1d"]) == 2
    assert not (out / "arbp.png").exists()  # the first figure was not drawn either
    assert "poly1d.png: is a directory" in capsys.readouterr().err


@pytest.fixture
def read_only_dir(tmp_path):
    """A directory nobody may write in: permissions for an ordinary user, a read-only tmpfs
    mount for root (who ignores permissions; CI runs as root)."""
    d = tmp_path / "ro"
    d.mkdir()
    if os.geteuid() != 0:
        os.chmod(d, 0o500)
        yield d
        os.chmod(d, 0o700)
        return
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(d)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"root without a read-only mount (mount said: {r.stderr.strip()})")
    try:
        yield d
    finally:
        subprocess.run(["umount", str(d)], capture_output=True)


def test_write_errors_name_the_users_path(read_only_dir):
    d = read_only_dir
    assert not os.access(d, os.W_OK)
    with pytest.raises(linrbp.InputError, match=f"--json {d}/x.json: directory {d} is not writable"):
        check_output_file(d / "x.json", "--json")


# A write that fails part-way: the file-size limit (RLIMIT_FSIZE) makes the kernel refuse the
# write past 4 KiB with EFBIG, for root too. The old file must survive whole, and no partial or
# temporary file may remain.
_FAIL_PART_WAY = """
import os, resource, signal, sys
from linrbp.core._io import atomic_write_text
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    atomic_write_text(sys.argv[1], "x" * 100000, "--json")
except OSError as exc:
    print("OSError", exc.errno, exc.filename)
else:
    print("written")
"""


def test_a_write_failing_part_way_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old contents")
    r = subprocess.run([sys.executable, "-c", _FAIL_PART_WAY, str(target)], capture_output=True,
                       text=True, env=ENV, timeout=60)
    import errno
    assert r.stdout.split() == ["OSError", str(errno.EFBIG), str(target)], r.stdout + r.stderr
    assert target.read_text() == "old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_an_exception_while_writing_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    from linrbp.core._io import atomic_open
    target = tmp_path / "out.json"
    target.write_text("old contents")
    with pytest.raises(RuntimeError, match="stop here"):
        with atomic_open(target, "w", "--json") as fh:
            fh.write("half of the new")
            fh.flush()
            raise RuntimeError("stop here")
    assert target.read_text() == "old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_closed_pipe_ends_quietly():
    """`linrbp ... | head`: the reader leaves; no 'Broken pipe' message, status 141 like `yes | head`."""
    p = subprocess.Popen([sys.executable, "-m", "linrbp", "derive", "chain", "--depth", "3"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    p.stdout.close()  # the reader is gone before anything is written
    err = p.stderr.read().decode()
    assert p.wait() == 141
    assert err == ""


CHAIN111 = {"layers": [1, 1, 1], "rule": "rbp", "sigma_ii": [[2.0]], "sigma_ti": [[1.5]],
            "feedback": [[[0.7]]], "weights": [[[1e200]], [[-0.5]]]}


@pytest.mark.parametrize("data", [
    dict(INSTANCE, weights=[[[1e200, 0.2], [0.0, -0.3], [0.4, 0.1]], [[0.2, -0.1, 1e200]]]),
    CHAIN111,  # its closed form (K = a2 - a1^2/(2 c1)) overflows: no prediction from it, no warning
], ids=["A[2,3,1]", "A[1,1,1]"])
def test_divergence_from_huge_weights_is_reported_without_warnings(tmp_path, data):
    inst = linrbp.parse_instance(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning fails the test
        for method in ("scipy", "batched"):
            out = linrbp.simulate(inst, 10.0, method=method)
            assert out["status"] == "diverged" and out["t_end"] == 0.0


# -- derive ---------------------------------------------------------------------------------

@pytest.mark.parametrize("rule", ["arbp", "asrbp"])
@pytest.mark.parametrize("power", [None, "2", "3"])
def test_derive_nonlinear_adaptive_rules(rule, power, capsys):
    from linrbp.symbolic._describe import derive_system
    d = derive_system("nonlinear", rule=rule, power=power)
    a1, a2, c1 = d.system.states
    f = dict(zip(d.system.states, d.system.field))
    # the feedback learns like the top weight: c1' = a2' identically (checked here directly)
    assert sp.simplify(f[c1] - f[a2]) == 0
    assert [n for n, _, ok in d.invariants if ok] == ["c1 - (A2^T)"]
    argv = ["derive", "nonlinear", "--rule", rule] + (["--power", power] if power else [])
    assert main(argv) == 0
    assert "c1 - (A2^T) = -a2 + c1    [conserved]" in capsys.readouterr().out


def test_derive_nonlinear_without_fprime_adaptive_names_its_invariant(capsys):
    assert main(["derive", "nonlinear", "--rule", "arbp", "--no-fprime"]) == 0
    out = capsys.readouterr().out
    assert "[conserved]" in out and "no other invariant is known" in out


@pytest.mark.parametrize("power, powers, top", [("0.5", "-1/2, 0, 2", "2"), ("1.5", "1/2, 2, 4", "4")])
def test_derive_non_integer_power_is_not_called_a_polynomial(power, powers, top, capsys):
    assert main(["derive", "nonlinear", "--power", power]) == 0
    out = capsys.readouterr().out
    assert "degree" not in out
    assert f"not a polynomial in a1: a1 appears with the powers {powers}; the highest, {top}, has coefficient -beta/2" in out
    # independently: Q = c1 mu a1^(mu-1) (alpha - beta a1^mu (a1^2/(2 c1 mu) + K))
    from linrbp.symbolic._reduce import nonlinear_reduction
    mu = sp.Rational(power)
    red = nonlinear_reduction(mu)
    a1 = red.system.states[0]
    alpha, beta, c1 = (s for s in red.system.parameters if s.name in ("alpha", "beta", "c1"))
    K = sp.Symbol("K", real=True)
    by_hand = c1 * mu * a1 ** (mu - 1) * (alpha - beta * a1 ** mu * (a1 ** 2 / (2 * c1 * mu) + K))
    assert sp.simplify(red.Q - by_hand) == 0 and red.degree is None


def test_derive_wide_names_kprime_alike_in_invariants_and_q(capsys):
    assert main(["derive", "wide", "--width", "3"]) == 0
    out = capsys.readouterr().out
    assert "K'2 = " in out and "K'3 = " in out
    q = next(line for line in out.splitlines() if line.startswith("Reduced"))
    assert "K'2" in q and "Kp" not in out
    assert main(["derive", "wide", "--width", "3", "--latex"]) == 0
    tex = capsys.readouterr().out
    assert "K'_{2} &=" in tex and "{K'_{2}}" in tex and "Kp" not in tex and "K'2" not in tex


@pytest.mark.parametrize("argv", [["chain", "--depth", "3"], ["wide", "--width", "2"],
                                  ["nonlinear", "--power", "0.5"], ["nonlinear", "--rule", "arbp", "--no-fprime"],
                                  ["chain", "--rule", "bp"]])
def test_derive_latex_is_a_complete_document(argv, capsys, tmp_path):
    assert main(["derive", *argv, "--latex"]) == 0
    tex = capsys.readouterr().out
    lines = tex.strip().splitlines()
    assert lines[0] == "\\documentclass{article}" and lines[-1] == "\\end{document}"
    assert "\\begin{document}" in tex and "\\usepackage{amsmath}" in tex
    import shutil
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed (Debian: texlive-latex-base)")
    (tmp_path / "d.tex").write_text(tex)
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:]
    assert (tmp_path / "d.pdf").stat().st_size > 0


# -- bench and the CPU count ----------------------------------------------------------------

def test_usable_cpus_honours_the_affinity_mask():
    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from linrbp.core._resources import usable_cpus; print(usable_cpus())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV)
    assert r.stdout.strip() == "1", r.stderr


def test_quick_bench_does_not_judge_speed_targets(capsys, monkeypatch):
    from linrbp.benchmarks import _bench
    from linrbp.cli._bench import _print_integrate
    res = {"seed": 0, "rtol": 1e-10, "atol": 1e-12, "cpu_count": 1, "systems": [],
           "meets_targets": {"batched_traj_per_s": None, "ratio_vs_loop": None, "max_error": True}}
    _print_integrate(res)
    out = capsys.readouterr().out
    assert "batched_traj_per_s not measured at quick size" in out and "MISSED" not in out
    assert "max_error met" in out
    assert _bench.TARGET_SIZE == 100_000


@pytest.mark.slow
def test_quick_bench_run_prints_not_measured(capsys):
    assert main(["bench", "integrate", "--size", "60", "--loop", "2", "--stacked", "20"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if "targets (chain111)" in l)
    assert "ratio_vs_loop not measured at quick size" in line and "MISSED" not in line


# -- help, the full protocol's duration, Ctrl-C in simulate ---------------------------------

def _help(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("command, shown", [
    ("train", ["--rule RULE learning rule (default bp): bp, rbp, srbp", "--rules FILE.py", "passes over the training set (default 100)",
               "initial learning rate (default 0.1)", "examples per SGD step (default 100)",
               "(default 100,100,100,100)", "dropout) (default 0)", "(default float32)",
               "--no-progress hide the progress bar"]),
    ("experiments", ["(0..K-1) (default 3)", "(default float32)", "(default 100; quick 4)",
                     "--no-progress hide the progress bars", "(default fashion- mnist)"]),
])
def test_help_shows_every_default(command, shown, capsys):
    text = _help(command, capsys)
    for piece in shown:
        assert piece in text, piece


def test_full_protocol_announces_its_duration_before_the_first_run(tmp_path):
    from linrbp.trainer import run_experiments
    seen = []

    def announce(plan):
        seen.append((plan, sorted((tmp_path / "e" / "runs").glob("*.json")) if (tmp_path / "e" / "runs").exists() else []))

    run_experiments("variants", 2, tmp_path / "e", False, {"dataset": "teacher", "epochs": 1},
                    ["bp", "srbp"], progress=False, announce=announce)
    (plan, runs_before), = seen
    assert runs_before == []  # announced before any run was written
    assert plan["runs"] == 4 and plan["images"] == 4 * 1 * 2000  # 2 variants x 2 seeds x 1 epoch x 2000
    assert plan["images_per_s"] > 0 and plan["seconds"] == pytest.approx(plan["images"] / plan["images_per_s"])
    seen.clear()  # a rerun has nothing to do: no announcement
    run_experiments("variants", 2, tmp_path / "e", False, {"dataset": "teacher", "epochs": 1},
                    ["bp", "srbp"], progress=False, announce=announce)
    assert seen == []


def test_ctrl_c_in_simulate_reports_the_state_so_far(tmp_path, capsys, monkeypatch):
    from linrbp.instances import _simulate
    real = _simulate.integrate
    steps = []

    def integrate_then_ctrl_c(*args, on_step=None, **kw):
        def on_step_interrupting(t, y, fn):
            steps.append((t, np.array(y)))
            if len(steps) == 5:
                raise KeyboardInterrupt
        return real(*args, on_step=on_step_interrupting, **kw)

    monkeypatch.setattr(_simulate, "integrate", integrate_then_ctrl_c)
    (tmp_path / "inst.json").write_text(json.dumps(INSTANCE))
    out = tmp_path / "r.json"
    assert main(["simulate", str(tmp_path / "inst.json"), "--json", str(out)]) == 130
    res = json.loads(out.read_text())
    t5, y5 = steps[-1]
    assert res["status"] == "interrupted" and res["t_end"] == t5 > 0
    np.testing.assert_array_equal(np.concatenate([np.ravel(w) for w in res["weights"]]), y5)
    cap = capsys.readouterr()
    assert "interrupted at t = " in cap.err and "status       interrupted" in cap.out


def test_integrate_without_interruptible_propagates_ctrl_c():
    s = linrbp.LinearSystem.create([1, 1], "bp", linrbp.DataStats.from_matrices([[1.0]], [[1.0]]))

    def stop(t, y, fn):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        linrbp.integrate(s, np.array([0.1]), 10.0, on_step=stop)


def test_prove_verbose_prints_every_step(capsys):
    from linrbp.cli import main as cli
    assert cli(["prove", "bp-balance", "--verbose"]) == 0
    out = capsys.readouterr().out
    steps = [l for l in out.splitlines() if l.startswith("    [ok]")]
    n = int(next(l for l in out.splitlines() if l.startswith("bp-balance")).split()[1])
    assert len(steps) == n > 0
    assert cli(["prove", "bp-balance"]) == 0
    assert "[ok]" not in capsys.readouterr().out  # without --verbose only failures are listed


def _sigint_after(fun, calls):
    """``fun`` that sends this process a real SIGINT on its ``calls``-th evaluation."""
    import os
    import signal
    count = [0]

    def field(Y):
        count[0] += 1
        if count[0] == calls:
            os.kill(os.getpid(), signal.SIGINT)
        return fun(Y)
    return field


def test_ctrl_c_in_the_batched_integrator_keeps_the_last_accepted_step():
    s = linrbp.LinearSystem.create([2, 3, 2], "rbp", linrbp.DataStats.from_matrices(
        [[1.0, 0.2], [0.2, 0.8]], [[0.5, -0.3], [0.1, 0.9]]), [np.array([[0.3, -1.1], [0.7, 0.9], [0.4, -0.5]])])
    y0 = 0.3 * np.random.default_rng(0).standard_normal((3, s.n_state))
    res = linrbp.integrate_batch(_sigint_after(s, 200), y0, 1e4, workers=1, interruptible=True)
    assert list(res.status) == ["interrupted"] * 3
    assert np.all(res.t_end > 0) and np.all(res.n_steps > 0) and np.all(np.isfinite(res.y))
    # One start: its state is the last accepted step's, bit for bit the same run (same callable
    # field, same batch) stopped by a step limit there. (Across batch compositions step sizes
    # differ beyond rounding: the error estimate is a difference of nearly equal solutions.)
    one = linrbp.integrate_batch(_sigint_after(s, 120), y0[:1], 1e4, workers=1, interruptible=True)
    assert one.status[0] == "interrupted" and one.n_steps[0] > 0
    ref = linrbp.integrate_batch(lambda Y: s(Y), y0[:1], 1e4, max_steps=int(one.n_steps[0]), workers=1)
    assert ref.status[0] == "step-limit"
    assert ref.t_end[0] == one.t_end[0]
    np.testing.assert_array_equal(ref.y[0], one.y[0])
    with pytest.raises(KeyboardInterrupt):  # not interruptible: Ctrl-C propagates
        linrbp.integrate_batch(_sigint_after(s, 50), y0, 1e4, workers=1)


def test_ctrl_c_in_simulate_batched_reports_the_state_so_far(tmp_path, capsys, monkeypatch):
    from linrbp.instances import _simulate
    real = _simulate.integrate_batch
    monkeypatch.setattr(_simulate, "integrate_batch",
                        lambda fun, *a, **kw: real(_sigint_after(fun, 100), *a, **kw))
    (tmp_path / "inst.json").write_text(json.dumps(INSTANCE))
    out = tmp_path / "r.json"
    assert main(["simulate", str(tmp_path / "inst.json"), "--method", "batched", "--json", str(out)]) == 130
    res = json.loads(out.read_text())
    assert res["status"] == "interrupted" and res["t_end"] > 0
    assert "interrupted at t = " in capsys.readouterr().err
