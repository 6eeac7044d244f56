"""Code a user brings can never make a check pass that did not hold, nor hang a run.

Claims: an ``error`` (or ``errors``) value that is not a finite non-negative real number fails
its check, with a message saying what the check returned, under ``Check.run`` (what
``linrbp verify --claims`` and the pytest plugin both run). Rules: a field that is NaN at a
finite state ends the run with status ``non-finite`` naming the rule, in every integrator.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import linrbp
from linrbp.catalogue._catalogue import check_rng, claim_record
from linrbp.cli import main

ROOT = Path(__file__).resolve().parents[1]

INVALID = [
    (-5, "returned the negative number -5"),
    (-1e-300, "returned the negative number"),
    (float("nan"), "returned NaN"),
    (float("inf"), "returned inf"),
    (np.float64(-np.inf), "returned -inf"),
    (1j, "(complex), not a real number"),
    (np.complex128(0.0), "(complex128), not a real number"),
    (True, "returned the boolean True"),
    (np.bool_(False), "returned the boolean False"),
    ("0", "('0' (str), not a real number)".strip("()")),
    (None, "returned None (NoneType), not a real number"),
    (np.array([0.0, 0.0]), "(ndarray), not a real number"),
]


def _check(value, vectorised=False, samples=3):
    if vectorised:
        return linrbp.Check("c", 1e-8, lambda rng: 0, errors=lambda insts: [value] * len(insts), samples=samples)
    return linrbp.Check("c", 1e-8, lambda rng: 0, lambda inst: value, samples=samples)


@pytest.mark.parametrize("vectorised", [False, True], ids=["error", "errors"])
@pytest.mark.parametrize("value, why", INVALID, ids=[repr(v)[:24] for v, _ in INVALID])
def test_an_invalid_error_value_fails_its_check_saying_what_it_returned(value, why, vectorised):
    chk = _check(value, vectorised)
    ev = chk.run(check_rng(0, "my-c", "c"))
    assert not ev.passed and ev.max_error == math.inf
    assert why in ev.message and "instance 1 of 3" in ev.message, ev.message
    claim = linrbp.Claim("my-c", "t", "r", "s", [chk])
    rec = claim_record(claim, [ev], 0.0)
    assert rec["status"] == "fail" and why in rec["message"]


def test_one_invalid_value_among_valid_ones_fails_and_is_the_one_reported():
    values = [0.0, 1e-12, -1e-20, 1e-9]
    chk = linrbp.Check("c", 1e-8, lambda rng: float(rng.random()), errors=lambda insts: values, samples=4)
    ev = chk.run(check_rng(0, "my-c", "c"))
    assert not ev.passed and "instance 3 of 4" in ev.message and "negative" in ev.message


@pytest.mark.parametrize("value", [0, 0.0, -0.0, 3e-9, np.float32(1e-9), np.int64(0), np.array(2e-9)],
                         ids=repr)
def test_valid_error_values_still_pass(value):
    for vectorised in (False, True):
        ev = _check(value, vectorised).run(check_rng(0, "my-c", "c"))
        assert ev.passed and ev.message == "" and ev.max_error == float(value)


def test_sympy_zero_is_a_valid_error():
    import sympy

    ev = _check(sympy.Integer(0)).run(check_rng(0, "my-c", "c"))
    assert ev.passed and ev.max_error == 0.0


NEGATIVE = """import linrbp
linrbp.register(linrbp.Claim("my-negative", "t", "r", "s",
    [linrbp.Check("minus-five", 1e-8, lambda rng: float(rng.random()), lambda inst: -5.0, samples=4)]))
"""


def test_verify_claims_fails_a_negative_error_and_prints_the_comparison_that_holds(tmp_path, capsys):
    f = tmp_path / "negative_claims.py"
    f.write_text(NEGATIVE)
    out = tmp_path / "r.json"
    assert main(["verify", "--claims", str(f), "--json", str(out)]) == 1
    text = capsys.readouterr().out
    line = next(ln for ln in text.splitlines() if "FAIL" in ln)
    assert "minus-five" in line and " > 1.0e-08" in line and "<=" not in line, line
    assert "why: minus-five: error returned the negative number -5" in text
    rec = json.loads(out.read_text())["claims"][0]
    assert rec["status"] == "fail" and not rec["checks"][0]["passed"]
    assert not (tmp_path / "__pycache__").exists()  # loading the file wrote nothing beside it


def test_pytest_plugin_fails_a_negative_error(tmp_path):
    f = tmp_path / "negative_claims.py"
    f.write_text(NEGATIVE)
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "linrbp_pytest",
                        f"--linrbp-claims={f}"], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed" in r.stdout and "returned the negative number -5" in r.stdout


# -- rules whose field is not finite -------------------------------------------------------

def _nan_rule():
    from linrbp.core._rules import transpose

    return linrbp.Rule("my-nan", channel="weights",
                       backward=lambda h, A, C, p: transpose(A[h + 1]) * float("nan"))


def _system(rule):
    stats = linrbp.DataStats.from_matrices([[2.0, 0.3], [0.3, 1.0]], [[1.0, -0.5]])
    s = linrbp.LinearSystem.create([2, 3, 1], rule, stats)
    y0 = s.pack([np.array([[0.1, 0.2], [0.0, -0.3], [0.4, 0.1]]), np.array([[0.2, -0.1, 0.3]])])
    return s, y0


def _within(seconds, fn):
    """fn() run in a thread: its result, or a failure if it has not returned within ``seconds``
    (the bug this guards against is a run that never ends)."""
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("r", fn()), daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still running after {seconds} s"
    return box["r"]


def test_a_nan_rule_ends_integrate_at_once_naming_the_rule():
    s, y0 = _system(_nan_rule())
    res = _within(60, lambda: linrbp.integrate(s, y0, 10.0))
    assert res.status[0] == "non-finite" and res.t_end[0] == 0.0
    assert "rule my-nan" in res.info["message"] and "NaN" in res.info["message"]


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_nan_rule_ends_integrate_batch_at_once_naming_the_rule(backend):
    if backend == "numba":
        pytest.importorskip("numba")
    s, y0 = _system(_nan_rule())
    res = _within(120, lambda: linrbp.integrate_batch(s, np.stack([y0, 2 * y0]), 10.0, backend=backend))
    assert list(res.status) == ["non-finite"] * 2 and np.all(res.t_end == 0.0)
    assert "rule my-nan" in res.info["message"]


def _nan_above(y):
    """dy/dt = y, NaN once y passes 1.5: from y(0) = 1 that is at t = ln 1.5."""
    y = np.asarray(y, dtype=float)
    return np.where(y > 1.5, np.nan, y)


def test_a_field_turning_nan_mid_run_ends_there_not_as_a_blow_up():
    t_star = math.log(1.5)
    res = _within(60, lambda: linrbp.integrate(_nan_above, np.array([1.0]), 10.0))
    assert res.status[0] == "non-finite" and 0.0 < res.t_end[0] <= t_star
    assert "the function" in res.info["message"]
    batch = _within(60, lambda: linrbp.integrate_batch(_nan_above, np.array([[1.0], [0.5]]), 10.0))
    assert list(batch.status) == ["non-finite", "non-finite"]
    # the step collapses at the NaN boundary: t_end is where y reaches 1.5 (closed form)
    np.testing.assert_allclose(batch.t_end, [t_star, math.log(3.0)], rtol=1e-6)


def test_a_blow_up_is_still_diverged():
    """y' = y^2 from 1 blows up at t = 1 (closed form): diverged, not non-finite."""
    sq = lambda y: np.asarray(y, dtype=float) ** 2  # noqa: E731
    for res in (linrbp.integrate(sq, np.array([1.0]), 10.0), linrbp.integrate_batch(sq, np.array([[1.0]]), 10.0)):
        assert res.status[0] == "diverged" and abs(res.t_end[0] - 1.0) < 1e-6


def test_a_start_past_the_bound_is_diverged_at_once_without_warnings():
    s, y0 = _system("bp")
    big = np.full_like(y0, 1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = _within(60, lambda: linrbp.integrate(s, big, 10.0))
        many = linrbp.integrate_batch(s, np.stack([big, y0]), 10.0)
    assert one.status[0] == "diverged" and one.t_end[0] == 0.0
    alone = linrbp.integrate_batch(s, y0[None], 10.0)  # the other start runs as it would alone
    assert many.status[0] == "diverged" and many.t_end[0] == 0.0
    assert many.status[1] == alone.status[0] and many.t_end[1] == alone.t_end[0]
    np.testing.assert_array_equal(many.y[1], alone.y[0])


def test_simulate_with_a_nan_rule_exits_1_naming_the_rule(tmp_path, capsys):
    rules = tmp_path / "nan_rules.py"
    rules.write_text("import linrbp\nfrom linrbp.core._rules import transpose\n"
                     "linrbp.register_rule(linrbp.Rule('my-nan-file', channel='weights', "
                     "backward=lambda h, A, C, p: transpose(A[h + 1]) * float('nan')), replace_existing=True)\n")
    inst = tmp_path / "inst.json"
    inst.write_text(json.dumps({
        "layers": [2, 3, 1], "rule": "my-nan-file", "sigma_ii": [[2.0, 0.3], [0.3, 1.0]],
        "sigma_ti": [[1.0, -0.5]],
        "weights": [[[0.1, 0.2], [0.0, -0.3], [0.4, 0.1]], [[0.2, -0.1, 0.3]]]}))
    out = tmp_path / "r.json"
    code = _within(120, lambda: main(["simulate", str(inst), "--rules", str(rules), "--json", str(out)]))
    err = capsys.readouterr().err
    assert code == 1 and "rule my-nan-file computes a non-finite value" in err
    rec = json.loads(out.read_text())
    assert rec["status"] == "non-finite" and "my-nan-file" in rec["message"]


def test_a_rule_using_dot_t_is_refused_before_it_runs_on_a_batch():
    """.T on a batch of states transposes the batch axis too; the rule is refused when checked."""
    rule = linrbp.Rule("my-dot-t", channel="weights", backward=lambda h, A, C, p: A[h + 1].T)
    with pytest.raises(linrbp.InputError, match="does not act state by state"):
        linrbp.check_rule(rule, [2, 3, 1])


# -- train: interrupted, it keeps the epochs done and resumes -------------------------------

def _interrupt_at(monkeypatch, call):
    """run_epoch raising KeyboardInterrupt (Ctrl-C) on its ``call``-th call, once."""
    import linrbp.trainer._train as tr

    real, n = tr.run_epoch, {"calls": 0}

    def run_epoch(*a, **k):
        n["calls"] += 1
        if n["calls"] == call:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(tr, "run_epoch", run_epoch)
    return lambda: monkeypatch.setattr(tr, "run_epoch", real)


def _epochs(history):
    return [{k: v for k, v in h.items() if k != "seconds"} for h in history]


def test_train_interrupted_resumes_to_the_uninterrupted_run(tmp_path, monkeypatch):
    from linrbp.trainer import TrainConfig, train

    cfg = TrainConfig(dataset="teacher", hidden=(6,), epochs=4, seed=3)
    full = train(cfg, progress=False)
    ckpt = tmp_path / ".r.json.checkpoint"
    restore = _interrupt_at(monkeypatch, 3)
    part = train(cfg, progress=False, checkpoint=ckpt, interruptible=True)
    restore()
    assert part["status"] == "interrupted" and not part["complete"] and len(part["history"]) == 2
    assert _epochs(part["history"]) == _epochs(full["history"][:2]) and ckpt.exists()
    again = train(cfg, progress=False, checkpoint=ckpt)
    assert again["resumed_from_epoch"] == 2 and again["complete"] and not ckpt.exists()
    # the same run as the one never interrupted: every epoch's accuracies, lr and alignment
    assert _epochs(again["history"]) == _epochs(full["history"]) and again["updates"] == full["updates"]


def test_train_cli_keeps_the_json_so_far_and_the_same_command_resumes(tmp_path, monkeypatch, capsys):
    out = tmp_path / "r.json"
    argv = ["train", "--dataset", "teacher", "--hidden", "6", "--epochs", "3", "--no-progress",
            "--json", str(out)]
    restore = _interrupt_at(monkeypatch, 2)
    assert main(argv) == 130
    restore()
    err = capsys.readouterr().err
    assert "stopped after 1 of 3 epochs" in err and "the same command resumes" in err
    rec = json.loads(out.read_text())
    assert rec["complete"] is False and len(rec["history"]) == 1
    assert main(argv) == 0
    rec = json.loads(out.read_text())
    assert rec["complete"] and rec["resumed_from_epoch"] == 1 and len(rec["history"]) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # the checkpoint is gone


def test_pytest_plugin_refuses_a_file_that_exits_on_import(tmp_path):
    f = tmp_path / "exits.py"
    f.write_text("import sys\nsys.exit(0)\n")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "linrbp_pytest",
                        f"--linrbp-claims={f}"], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 4 and "calls sys.exit(0) on import" in r.stderr, r.stdout + r.stderr
