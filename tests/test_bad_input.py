"""The bad-input table: every command and the API answer malformed or adversarial input with one
line naming the problem (exit 2 from the CLI, InputError/ValueError from the API), write nothing,
and never replace a symlink or a device. The table grows; it never shrinks.

Each CLI row is (argv, text the one-line message must contain); ``{tmp}`` is a directory holding
the fixtures of :func:`fixtures` (nothing else may appear in it). Each API row is (call, text).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import stat

import numpy as np
import pytest

import linrbp
from linrbp.cli import main

INSTANCE = {
    "layers": [2, 3, 1], "rule": "rbp",
    "sigma_ii": [[2.0, 0.3], [0.3, 1.0]], "sigma_ti": [[1.0, -0.5]],
    "feedback": [[[0.5], [-0.2], [0.9]]],
    "weights": [[[0.1, 0.2], [0.0, -0.3], [0.4, 0.1]], [[0.2, -0.1, 0.3]]],
}


@pytest.fixture(autouse=True)
def _rules_restored():
    """Rule files registered by a row (--rules) leave the registry as it was."""
    from linrbp.core._rules import RULES

    saved = dict(RULES)
    yield
    RULES.clear()
    RULES.update(saved)


def _write_idx(path, arr):
    arr = np.asarray(arr, dtype=np.uint8)
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in arr.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + arr.tobytes())


def _idx_dir(d, n_train=20, train_labels=None):
    d.mkdir()
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, n_train) if train_labels is None else np.asarray(train_labels)
    if n_train and train_labels is None:
        labels[:3] = [0, 1, 2]
    _write_idx(d / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (n_train, 4, 4)))
    _write_idx(d / "train-labels-idx1-ubyte.gz", labels)
    _write_idx(d / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (6, 4, 4)))
    _write_idx(d / "t10k-labels-idx1-ubyte.gz", [0, 1, 2, 0, 1, 2])


def fixtures(tmp):
    """Every file the rows refer to."""
    (tmp / "inst.json").write_text(json.dumps(INSTANCE))
    (tmp / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp / "bigint.json").write_text(json.dumps(dict(INSTANCE, layers=[2, 3, 1])).replace(
        '"layers": [2, 3, 1]', '"layers": [2, ' + "7" * 5000 + ', 1]'))
    (tmp / "huge.json").write_text(json.dumps(dict(INSTANCE, layers=[1, 1], rule="bp", feedback=[],
                                                   sigma_ii=[[1e308]], sigma_ti=[[1e308]],
                                                   weights=[[[1.0]]])))
    (tmp / "latin1.json").write_bytes(b'{"layers": "\xe9"}')
    (tmp / "chain-bad.json").write_text(json.dumps({"alpha": 1.0, "beta": "-1/2", "rule": "rbp",
                                                    "feedback": [1.0], "weights": [0.5, 0.5]}))
    (tmp / "dir").mkdir()
    ts = {"model": "teacher-student", "activation": "erf", "rule": "rbp", "eta": 1.0, "sigma": 0.0,
          "Q": [[1.0, 0.0], [0.0, 1.0]], "R": [[0.1], [0.0]], "T": [[1.0]], "v": [0.1, 0.2], "A": [1.0],
          "b": [1.0, -1.0], "t_max": 1.0}
    (tmp / "ts.json").write_text(json.dumps(ts))
    (tmp / "ts_q.json").write_text(json.dumps(dict(ts, Q=[[1.0, 2.0], [2.0, 1.0]])))
    (tmp / "ts_c.json").write_text(json.dumps(dict(ts, R=[[1.5], [0.0]])))
    (tmp / "ts_act.json").write_text(json.dumps(dict(ts, activation="relu")))
    (tmp / "ts_b.json").write_text(json.dumps({k: v for k, v in ts.items() if k != "b"}))
    (tmp / "ts_shape.json").write_text(json.dumps(dict(ts, R=[[0.1, 0.0], [0.0, 0.0]])))
    (tmp / "ts_key.json").write_text(json.dumps(dict(ts, etaa=1.0)))
    # Devices behind links in tmp: a regression replaces the link, never the device itself.
    os.symlink("/dev/full", tmp / "full")
    os.symlink("/dev/null", tmp / "null")
    (tmp / "dir.md").mkdir()
    (tmp / "file.txt").write_text("x")
    os.mkfifo(tmp / "fifo")
    os.mkfifo(tmp / "fifo.md")
    (tmp / "figs").mkdir()
    (tmp / "figs" / "arbp.png").mkdir()
    (tmp / "exp").mkdir()
    (tmp / "exp" / "summary.json").mkdir()
    _idx_dir(tmp / "idx0", n_train=0, train_labels=[])
    _idx_dir(tmp / "idx200", train_labels=[0, 1, 2, 200] * 5)
    for name, text in USER_FILES.items():  # rule and claim files a user brings
        (tmp / name).write_text(text)
    (tmp / "dup.json").write_text(json.dumps(INSTANCE)[:-1] + ', "rule": "bp"}')
    for rule in ("my-none", "my-t"):
        (tmp / f"inst-{rule}.json").write_text(json.dumps(dict(INSTANCE, rule=rule, feedback=[])))


_CLAIM = ("import linrbp\nlinrbp.register(linrbp.Claim({id!r}, 't', 'r', 's', [linrbp.Check("
          "'c', {tol}, lambda rng: 0, lambda i: 0.0, samples={samples})]))\n")
_RULE = ("import linrbp\nfrom linrbp.core._rules import transpose\nimport numpy as np\n"
         "linrbp.register_rule(linrbp.Rule({name!r}, channel='weights', backward=lambda h, A, C, p: {body}))\n")
USER_FILES = {  # code a user brings: each must be refused in its own words (exit 2, one line)
    "exits.py": "import sys\nsys.exit(0)\n",
    "claim_str.py": "import linrbp\nlinrbp.register('hello')\n",
    "claim_int.py": "import linrbp\nlinrbp.register(5)\n",
    "claim_samples0.py": _CLAIM.format(id="my-c", tol="1e-8", samples="0"),
    "claim_samples_float.py": _CLAIM.format(id="my-c", tol="1e-8", samples="2.5"),
    "claim_tol_str.py": _CLAIM.format(id="my-c", tol="'1e-8'", samples="3"),
    "claim_tol_nan.py": _CLAIM.format(id="my-c", tol="float('nan')", samples="3"),
    "claim_tol_neg.py": _CLAIM.format(id="my-c", tol="-1.0", samples="3"),
    "claim_bad_id.py": _CLAIM.format(id="my claim!", tol="1e-8", samples="3"),
    "claim_no_checks.py": "import linrbp\nlinrbp.register(linrbp.Claim('my-c', 't', 'r', 's', []))\n",
    "claim_check_str.py": "import linrbp\nlinrbp.register(linrbp.Claim('my-c', 't', 'r', 's', ['c']))\n",
    "claim_error_str.py": ("import linrbp\nlinrbp.register(linrbp.Claim('my-c', 't', 'r', 's', "
                           "[linrbp.Check('c', 1.0, lambda rng: 0, error='abs')]))\n"),
    "claim_sample_none.py": ("import linrbp\nlinrbp.register(linrbp.Claim('my-c', 't', 'r', 's', "
                             "[linrbp.Check('c', 1.0, None, lambda i: 0.0)]))\n"),
    "rule_sign.py": _RULE.format(name="my-sign", body="np.sign(transpose(A[h + 1]))"),
    "rule_dot_t.py": _RULE.format(name="my-t", body="A[h + 1].T"),
    "rule_none.py": _RULE.format(name="my-none", body="None"),
    "rules.txt": "x = 1\n",
}

TEACHER = ["--dataset", "teacher", "--hidden", "4", "--epochs", "1", "--no-progress"]
QUICK = ["--quick", "--dataset", "teacher", "--no-progress"]

CLI_BAD = [
    # verify
    (["verify", "--seed", "-1"], "--seed: must be a non-negative integer"),
    (["verify", "--seed", str(2**63)], "below 2^63"),
    (["verify", "--only", ""], "--only: empty selection"),
    (["verify", "--only", ","], "--only: empty selection"),
    (["verify", "--only", "no-such-claim"], "unknown claim ID no-such-claim"),
    (["verify", "--samples", "0"], "samples: must be at least 1"),
    (["verify", "--json", "{tmp}/dir"], "--json {tmp}/dir: is a directory"),
    (["verify", "--json", "{tmp}/full"], "--json {tmp}/full: is a device"),
    (["verify", "--json", "{tmp}/fifo"], "is a FIFO"),
    (["verify", "--json", "{tmp}/file.txt/r.json"], "{tmp}/file.txt is not a directory"),
    (["verify", "--json", ""], "empty output path"),
    (["verify", "--json", "{tmp}/r.json", "--html", "{tmp}/r.json"], "--html {tmp}/r.json: the same path as --json"),
    (["verify", "--html", "/proc/version"], "--html /proc/version: cannot create files in directory /proc"),
    (["verify", "--html", ""], "empty output path"),
    (["verify", "--scheduler", "nonsense"], "scheduler: expected an address like tcp://HOST:8786"),
    (["verify", "--scheduler", "tcp://127.0.0.1:1"], "scheduler: cannot connect to tcp://127.0.0.1:1"),
    # claim files (verify --claims; the pytest plugin loads them the same way)
    (["verify", "--claims", "{tmp}/exits.py"], "claims: {tmp}/exits.py: calls sys.exit(0) on import"),
    (["verify", "--claims", "{tmp}/rules.txt"], "claims: {tmp}/rules.txt: not a .py file"),
    (["verify", "--claims", "{tmp}/dir"], "claims: {tmp}/dir: is a directory"),
    (["verify", "--claims", "/dev/zero"], "claims: /dev/zero: is a device"),
    (["verify", "--claims", "{tmp}/claim_str.py"], "register: expects a linrbp.Claim, got str 'hello'"),
    (["verify", "--claims", "{tmp}/claim_int.py"], "register: expects a linrbp.Claim, got int 5"),
    (["verify", "--claims", "{tmp}/claim_samples0.py"], "Check 'c': samples must be a positive integer, got 0"),
    (["verify", "--claims", "{tmp}/claim_samples_float.py"], "samples must be a positive integer, got 2.5"),
    (["verify", "--claims", "{tmp}/claim_tol_str.py"], "tolerance must be a finite non-negative number, got '1e-8'"),
    (["verify", "--claims", "{tmp}/claim_tol_nan.py"], "tolerance must be a finite non-negative number, got nan"),
    (["verify", "--claims", "{tmp}/claim_tol_neg.py"], "tolerance must be a finite non-negative number, got -1.0"),
    (["verify", "--claims", "{tmp}/claim_bad_id.py"], "Claim id: letters, digits"),
    (["verify", "--claims", "{tmp}/claim_no_checks.py"], "checks must be a non-empty list of linrbp.Check"),
    (["verify", "--claims", "{tmp}/claim_check_str.py"], "checks must hold linrbp.Check objects, got str"),
    (["verify", "--claims", "{tmp}/claim_error_str.py"], "error must be a function, got 'abs'"),
    (["verify", "--claims", "{tmp}/claim_sample_none.py"], "sample must be a function"),
    # simulate
    (["simulate", "{tmp}/deep.json"], "nested deeper than 64 levels"),
    (["simulate", "{tmp}/ts_q.json"], "Q: must be positive semi-definite"),
    (["simulate", "{tmp}/ts_c.json"], "R: the joint covariance"),
    (["simulate", "{tmp}/ts_act.json"], "activation: expected one of erf, linear"),
    (["simulate", "{tmp}/ts_b.json"], "b: missing"),
    (["simulate", "{tmp}/ts_shape.json"], "R: shape 2x2 does not match the expected 2x1"),
    (["simulate", "{tmp}/ts_key.json"], "etaa: unknown teacher-student instance key"),
    (["simulate", "{tmp}/ts.json", "--times", "1,0.5"], "--times: times must be strictly increasing"),
    (["simulate", "{tmp}/ts.json", "--times", "0,x"], "--times: 'x' is not a number"),
    (["simulate", "{tmp}/ts.json", "--sgd", "2"], "--sgd: N must be >= K + M = 3"),
    (["simulate", "{tmp}/ts.json", "--sgd", "10", "--seed", "a"], "--seed: expected seeds"),
    (["simulate", "{tmp}/ts.json", "--json", "{tmp}/dir"], "--json {tmp}/dir: is a directory"),
    (["simulate", "{tmp}/inst.json", "--sgd", "10"], "--sgd: only for teacher-student"),
    (["simulate", "{tmp}/ts.json", "--sgd-method", "order-parameters"], "--sgd-method: only with --sgd"),
    (["simulate", "{tmp}/ts.json", "--sgd", "10", "--sgd-method", "op"], "--sgd-method: invalid choice"),
    (["simulate", "{tmp}/ts.json", "--sgd", "10", "--backend", "torch"], "--backend: SGD runs on auto, numba or numpy"),
    (["simulate", "{tmp}/inst.json", "--sgd-method", "order-parameters"], "--sgd-method: only for teacher-student"),
    (["simulate", "{tmp}/ts.json", "--method", "bdf"], "--method/--max-steps: not for teacher-student"),
    (["simulate", "{tmp}/bigint.json"], "5000 digits"),
    (["simulate", "/dev/zero"], "larger than the 64 MiB cap on input files"),
    (["simulate", "{tmp}/huge.json"], "overflow"),
    (["simulate", "{tmp}/latin1.json"], "not UTF-8"),
    (["simulate", "{tmp}/dir"], "is a directory"),
    (["simulate", "{tmp}/nope.json"], "no such file"),
    (["simulate", "{tmp}/inst.json", "--json", "{tmp}/dir"], "--json {tmp}/dir: is a directory"),
    (["simulate", "{tmp}/inst.json", "--json", "{tmp}/null"], "--json {tmp}/null: is a device"),
    (["simulate", "{tmp}/inst.json", "--json", ""], "empty output path"),
    (["simulate", "{tmp}/inst.json", "--json", "{tmp}/dir/"], "is a directory"),
    (["simulate", "{tmp}/inst.json", "--t-max", "0"], "t_max: must be positive"),
    (["simulate", "{tmp}/inst.json", "--t-max", "inf"], "t_max: must be positive and finite"),
    (["simulate", "{tmp}/dup.json"], "duplicate key 'rule'"),
    (["simulate", "{tmp}/inst.json", "--rules", "{tmp}/exits.py"], "rules: {tmp}/exits.py: calls sys.exit(0) on import"),
    (["simulate", "{tmp}/inst.json", "--rules", "{tmp}/rules.txt"], "rules: {tmp}/rules.txt: not a .py file"),
    (["simulate", "{tmp}/inst.json", "--rules", "/dev/zero"], "rules: /dev/zero: is a device"),
    (["simulate", "{tmp}/inst-my-none.json", "--rules", "{tmp}/rule_dot_t.py", "--rules", "{tmp}/rule_none.py"],
     "rule my-none: the backward matrix B_h of layer 1 returned None"),
    (["simulate", "{tmp}/inst-my-t.json", "--rules", "{tmp}/rule_dot_t.py"],
     "rule my-t: the backward matrix B_h of layer 1 does not act state by state"),
    (["simulate", "{tmp}/inst.json", "--observe", "alignment"], "observe: give --times"),
    (["sweep", "{tmp}/inst.json", "--starts", "2", "--scale", "1", "--seed", "0", "--observe", "alignment"],
     "observe: give --times"),
    (["sweep", "{tmp}/inst.json", "--starts", "2", "--scale", "1", "--seed", "0", "--times", "1,1"],
     "--times: times must be strictly increasing"),
    (["simulate", "{tmp}/inst.json", "--times", "1,x"], "--times: 'x' is not a number"),
    (["simulate", "{tmp}/inst.json", "--times", "2,1"], "--times: times must be strictly increasing"),
    (["simulate", "{tmp}/inst.json", "--times", "-1"], "--times: times must be finite and >= 0"),
    (["simulate", "{tmp}/inst.json", "--times", "1", "--observe", "alignmnt"], "did you mean 'alignment'"),
    (["simulate", "{tmp}/inst.json", "--times", "1", "--observe", "alignment,alignment"], "a name repeats"),
    # derive
    (["derive", "wide", "--depth", "3"], "--depth: applies to chain only, not to wide"),
    (["derive", "nonlinear", "--depth", "3"], "--depth: applies to chain only"),
    (["derive", "chain", "--no-fprime"], "--no-fprime: applies to nonlinear only"),
    (["derive", "chain", "--power", "2"], "--power: applies to nonlinear only"),
    (["derive", "chain", "--width", "3"], "--width: applies to wide only"),
    (["derive", "nonlinear", "--width", "3"], "--width: applies to wide only"),
    (["derive", "wide", "--no-fprime"], "--no-fprime: applies to nonlinear only"),
    (["derive", "chain", "--depth", "0"], "depth: must be a positive integer"),
    (["derive", "nonlinear", "--power", "0"], "power: expected a positive number"),
    (["derive", "nonlinear", "--rule", "xrbp"], "unknown rule 'xrbp'"),
    (["derive", "chain", "--degree", "3"], "--degree: applies to --invariants only"),
    (["derive", "chain", "--rules", "{tmp}/exits.py"], "rules: {tmp}/exits.py: calls sys.exit(0) on import"),
    (["derive", "chain", "--rules", "{tmp}/dir"], "rules: {tmp}/dir: is a directory"),
    (["derive", "chain", "--rules", "{tmp}/rule_sign.py", "--rule", "my-sign"],
     "rule my-sign: the backward matrix B_h of layer 1 raised TypeError"),
    (["derive", "chain", "--rules", "{tmp}/rule_dot_t.py", "--rule", "my-t"],
     "rule my-t: the backward matrix B_h of layer 1 does not act state by state"),
    (["derive", "chain", "--rules", "{tmp}/rule_none.py", "--rule", "my-none"],
     "rule my-none: the backward matrix B_h of layer 1 returned None"),
    # prove
    (["prove", "--out", "{tmp}/p.txt"], "expected a .md or .tex file name"),
    (["prove", "--out", "{tmp}/dir.md"], "--out {tmp}/dir.md: is a directory"),
    (["prove", "--out", "{tmp}/fifo.md"], "is a FIFO"),
    (["prove", "--out", "{tmp}/nodir/deeper/p.md", "no-such-proof"], "directory {tmp}/nodir/deeper does not exist"),
    (["simulate", "{tmp}/inst.json", "--json", "{tmp}/nodir/r.json"], "--json {tmp}/nodir/r.json: directory {tmp}/nodir does not exist"),
    (["prove", "no-such-proof"], "unknown proof no-such-proof"),
    # probe
    (["probe", "--seed", "-1"], "--seed: must be a non-negative integer"),
    (["probe", "--json", "{tmp}/dir"], "--json {tmp}/dir: is a directory"),
    (["probe", "--out", "{tmp}/file.txt"], "--out {tmp}/file.txt: is a file, not a directory"),
    (["probe", "--seeds", "0"], "seeds: must be at least 1"),
    (["probe", "--workers", "0"], "workers: must be at least 1"),
    (["probe", "--t-max", "-1"], "t_max: must be positive"),
    # figures
    (["figures", "--seed", "-1", "--out", "{tmp}/o"], "--seed: must be a non-negative integer"),
    (["figures", "--only", "", "--out", "{tmp}/o"], "--only: empty selection"),
    (["figures", "--probe", "{tmp}/deep.json", "--out", "{tmp}/o"], "--probe {tmp}/deep.json: JSON nested deeper"),
    (["figures", "--probe", "/dev/zero", "--out", "{tmp}/o"], "cap on input files"),
    (["figures", "--probe", "{tmp}/inst.json", "--out", "{tmp}/o"], "not a linrbp probe summary"),
    (["figures", "--out", "{tmp}/file.txt"], "--out {tmp}/file.txt: is a file, not a directory"),
    (["figures", "--out", "{tmp}/figs", "--only", "arbp"], "--out {tmp}/figs/arbp.png: is a directory"),
    (["figures", "--out", "{tmp}/null"], "--out {tmp}/null: is a device, not a directory"),
    # portrait, basins
    (["portrait", "{tmp}/inst.json", "--axes", "A1[0,0]", "A9[0,0]", "--out", "{tmp}/p.png"],
     "axes: unknown state coordinate 'A9[0,0]'"),
    (["portrait", "{tmp}/inst.json", "--axes", "A1[0,0]", "A1[0, 0]", "--out", "{tmp}/p.png"],
     "axes: the same coordinate A1[0,0] twice"),
    (["portrait", "{tmp}/inst.json", "--axes", "A1[0,0]", "A2[0,1]", "--range", "1", "-1", "0", "1",
      "--out", "{tmp}/p.png"], "--range: expected X0 < X1 and Y0 < Y1"),
    (["portrait", "{tmp}/inst.json", "--axes", "A1[0,0]", "A2[0,1]", "--out", "{tmp}/p.txt"],
     "--out: expected a .png, .pdf or .svg file name"),
    (["portrait", "{tmp}/inst.json", "--axes", "A1[0,0]", "A2[0,1]", "--param", "mix=2", "--out",
      "{tmp}/p.png"], "rule rbp has no parameter 'mix'"),
    (["basins", "{tmp}/inst.json", "--axes", "A1[0,0]", "C1[0,0]", "--out", "{tmp}/b.png"],
     "axes: unknown state coordinate 'C1[0,0]'"),
    (["basins", "{tmp}/inst.json", "--axes", "A1[0,0]", "A2[0,1]", "--grid", "1", "--out", "{tmp}/b.png"],
     "--grid: expected at least 2"),
    (["basins", "{tmp}/inst.json", "--axes", "A1[0,0]", "A2[0,1]", "--out", "{tmp}/dir"],
     "--out: expected a .png"),
    (["basins", "{tmp}/inst.json", "--axes", "A1[0,0]", "A2[0,1]", "--out", "{tmp}/b.png",
      "--json", "{tmp}/dir"], "--json {tmp}/dir: is a directory"),
    # train
    (["train", *TEACHER, "--seed", "-1"], "--seed: must be a non-negative integer"),
    (["train", *TEACHER, "--json", "{tmp}/dir"], "--json {tmp}/dir: is a directory"),
    (["train", *TEACHER, "--json", "{tmp}/full"], "--json {tmp}/full: is a device"),
    (["train", *TEACHER, "--hidden", "10000000,10000000"], "hidden: a 20-10000000-10000000-4 network needs about"),
    (["train", "--dataset", "idx", "--data-dir", "{tmp}/idx0", "--epochs", "1", "--no-progress"], "holds 0 images"),
    (["train", "--dataset", "idx", "--data-dir", "{tmp}/idx200", "--epochs", "1", "--no-progress"],
     "never occur among the training labels"),
    (["train", *TEACHER, "--batch-size", "0"], "batch"),
    (["train", *TEACHER, "--rules", "{tmp}/exits.py"], "rules: {tmp}/exits.py: calls sys.exit(0) on import"),
    (["train", *TEACHER, "--rules", "{tmp}/rule_none.py", "--rule", "my-none"],
     "rule my-none: the backward matrix B_h of layer 1 returned None"),
    # experiments
    (["experiments", "variants", *QUICK, "--only", ""], "--only: empty selection"),
    (["experiments", "variants", *QUICK, "--only", ","], "--only: empty selection"),
    (["experiments", "variants", *QUICK, "--only", "nope"], "unknown variant(s) nope"),
    (["experiments", "variants", *QUICK, "--seeds", "0"], "seeds: expected a positive integer"),
    (["experiments", "variants", *QUICK, "--out", "{tmp}/file.txt"], "out {tmp}/file.txt: is a file, not a directory"),
    (["experiments", "variants", *QUICK, "--out", "{tmp}/exp"], "out {tmp}/exp/summary.json: is a directory"),
    # sweep, and --param wherever a rule is chosen
    (["sweep", "{tmp}/inst.json", "--starts", "0", "--scale", "1", "--seed", "0"], "starts: expected a positive integer"),
    (["sweep", "{tmp}/inst.json", "--starts", "2", "--scale", "-1", "--seed", "0"], "scale: expected a finite positive number"),
    (["sweep", "{tmp}/inst.json", "--starts", "2", "--scale", "1", "--seed", "-1"], "--seed: "),
    (["sweep", "{tmp}/inst.json", "--starts", "2", "--scale", "1", "--seed", "0", "--cluster-tol", "0"],
     "tol: expected a finite positive number"),
    (["sweep", "{tmp}/inst.json", "--starts", "2", "--scale", "1", "--seed", "0", "--out", "{tmp}/file.txt"],
     "--out {tmp}/file.txt: is a file, not a directory"),
    (["sweep", "{tmp}/inst.json", "--starts", "2", "--scale", "1", "--seed", "0", "--param", "weight_decay=abc"],
     "weight_decay: rule rbp expects a number, got 'abc'"),
    (["sweep", "{tmp}/inst.json", "--starts", "2", "--scale", "1", "--seed", "0", "--param", "kappa=1"],
     "kappa: rule rbp has no parameter 'kappa'"),
    (["sweep", "{tmp}/inst.json", "--starts", "2", "--scale", "1", "--seed", "0", "--rule", "nope"],
     "rule: unknown rule 'nope'"),
    (["simulate", "{tmp}/inst.json", "--param", "weight_decay=-1"], "weight_decay: rule rbp expects a finite number >= 0"),
    (["simulate", "{tmp}/inst.json", "--param", "weight_decay"], "param: expected NAME=VALUE"),
    (["derive", "chain", "--rule", "rbp", "--param", "mirror_rate=1"], "mirror_rate: rule rbp has no parameter"),
    (["train", *TEACHER, "--rule", "rbp", "--param", "weight_decay=x"], "weight_decay: rule rbp expects a number, got 'x'"),
    (["experiments", "rules", *QUICK, "--only", "bp,rbp", "--param", "mirror_rate=1"],
     "mirror_rate: no rule of this set has a parameter"),
    (["experiments", "rules", *QUICK, "--only", "bp,nope"], "unknown rule(s) nope"),
    # docs
    (["docs", "--source", "{tmp}/dir"], "is not a linrbp docs folder (no conf.py)"),
    (["docs", "--out", "{tmp}/null"], "--out {tmp}/null: is a device, not a directory"),
    (["docs", "--out", "{tmp}/file.txt"], "--out {tmp}/file.txt: is a file, not a directory"),
    (["docs", "--out", ""], "--out: empty output directory"),
    # bench
    (["bench", "--seed", "-1"], "--seed: must be a non-negative integer"),
    (["bench", "--json", "{tmp}/dir"], "--json {tmp}/dir: is a directory"),
    (["bench", "--json", "{tmp}/full"], "--json {tmp}/full: is a device"),
    (["bench", "trainer", "--images", "100000000000"], "--images: 100000000000 random 784-pixel images needs about"),
    (["bench", "all", "--images", "100000000000"], "--images:"),
    (["bench", "verify", "--workers", "0"], "workers: expected a positive integer, got 0"),
    (["bench", "--stacked", "0"], "stacked: must be a positive integer"),
    # certify, check-certificate
    (["certify", "chain", "--depth", "9", "--out", "{tmp}/o"], "depth: must be 2..7"),
    (["certify", "chain111", "--depth", "3", "--out", "{tmp}/o"], "depth: only for claim chain"),
    (["certify", "--out", "{tmp}/o"], "claim: name chain111 or chain"),
    (["certify", "chain111", "--samples", "0", "--out", "{tmp}/o"], "samples: must be at least 1"),
    (["certify", "chain111", "--out", "{tmp}/file.txt"], "--out {tmp}/file.txt: is a file, not a directory"),
    (["certify", "--instance", "{tmp}/inst.json", "--out", "{tmp}/o"], "instance: claim chain needs alpha, beta"),
    (["certify", "--instance", "{tmp}/chain-bad.json", "--out", "{tmp}/o"], "beta: must be positive"),
    (["certify", "--instance", "{tmp}/deep.json", "--out", "{tmp}/o"], "JSON nested deeper"),
    (["check-certificate", "{tmp}/nope.json"], "{tmp}/nope.json: no such file or directory"),
    (["check-certificate", "{tmp}/dir"], "no certificate files in {tmp}/dir"),
]


def _ids(rows):
    return [" ".join(r[0])[:70] for r in rows]


def _listing(tmp):
    """Every entry under tmp with its type (a link that became a file shows)."""
    return sorted((str(p.relative_to(tmp)), stat.S_IFMT(os.lstat(p).st_mode)) for p in tmp.rglob("*"))


@pytest.mark.parametrize("argv, message", CLI_BAD, ids=_ids(CLI_BAD))
def test_cli_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, monkeypatch, argv, message):
    fixtures(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = _listing(tmp_path)
    full = os.stat("/dev/full").st_mode
    tmp = str(tmp_path)
    try:
        code = main([a.replace("{tmp}", tmp) for a in argv])
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2, (code, err)
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert message.replace("{tmp}", tmp) in err, err
    assert err.startswith(f"linrbp {argv[0]}: error: ")
    assert _listing(tmp_path) == before  # nothing written, no temporary left behind
    assert os.stat("/dev/full").st_mode == full and stat.S_ISCHR(full)  # the device is still a device
    assert len(captured.out.splitlines()) <= 1  # at most the header: failed before any work


def test_table_covers_every_command():
    from linrbp.cli import COMMANDS
    assert {row[0][0] for row in CLI_BAD} == set(COMMANDS)
    assert len(CLI_BAD) + len(API_BAD) >= 60
    assert len({tuple(r[0]) for r in CLI_BAD}) == len(CLI_BAD)  # distinct cases


# -- the API ------------------------------------------------------------------------------

def _system():
    stats = linrbp.DataStats.from_matrices(INSTANCE["sigma_ii"], INSTANCE["sigma_ti"])
    return linrbp.LinearSystem.create(INSTANCE["layers"], "rbp", stats, INSTANCE["feedback"])


def _plain_field(y):
    return -y[:, :3] if y.ndim == 2 else -y[:3]


def _api(name):
    """Calls by name (built lazily, inside the test)."""
    from linrbp.claims import get_claims
    from linrbp.claims._run import verify
    from linrbp.core._checks import check_seed
    from linrbp.core._io import atomic_write_json, atomic_write_text, load_json_file
    from linrbp import integrate, integrate_batch
    from linrbp.trainer import TrainConfig, load_idx_dir, run_experiments, train
    s = _system()
    y0 = s.pack([np.array(w) for w in INSTANCE["weights"]])
    state_rule = lambda **kw: linrbp.register_rule(linrbp.Rule("state-bad", **kw))  # noqa: E731
    gain = linrbp.StateVariable("g", drift=lambda h, A, C, p: p["g"][h] * 0)
    calls = {
        "observe times not increasing": lambda tmp: linrbp.observe(INSTANCE, [2, 1]),
        "observe unknown name": lambda tmp: linrbp.observe(INSTANCE, [1], ["loss"]),
        "register_observable built-in": lambda tmp: linrbp.register_observable("alignment", len),
        "Rule state not a StateVariable": lambda tmp: state_rule(state=("g",)),
        "Rule state bad shape": lambda tmp: state_rule(state=(linrbp.StateVariable("g", shape="cube"),)),
        "Rule state name of a parameter": lambda tmp: state_rule(
            parameters=(linrbp.Parameter("g", 0.0, "a gain"),), state=(gain,)),
        "instance state for a rule without": lambda tmp: linrbp.parse_instance({**INSTANCE, "state": {"g": [1]}}),
        "velocity without the state": lambda tmp: linrbp.LinearSystem.create(
            [2, 3, 1], linrbp.Rule("state-ok", state=(gain,)), s.stats, s.feedback).velocity(
            [np.array(w) for w in INSTANCE["weights"]]),
        "integrate y0 too short": lambda tmp: integrate(s, y0[:-1], 1.0),
        "integrate y0 too long": lambda tmp: integrate(s, np.append(y0, 1.0), 1.0),
        "integrate y0 2-d": lambda tmp: integrate(s, y0[None], 1.0),
        "integrate y0 text": lambda tmp: integrate(s, "abc", 1.0),
        "integrate rtol=-1": lambda tmp: integrate(s, y0, 1.0, rtol=-1),
        "integrate bound=0": lambda tmp: integrate(s, y0, 1.0, bound=0),
        "integrate atol='x'": lambda tmp: integrate(s, y0, 1.0, atol="x"),
        "integrate plain field width": lambda tmp: integrate(_plain_field, np.ones(5), 1.0),
        "integrate_batch width": lambda tmp: integrate_batch(s, np.ones((3, y0.size + 2)), 1.0),
        "integrate_batch plain field width": lambda tmp: integrate_batch(_plain_field, np.ones((3, 5)), 1.0),
        "integrate_batch rtol=-1": lambda tmp: integrate_batch(s, y0[None], 1.0, rtol=-1),
        "integrate_batch conv_tol=nan": lambda tmp: integrate_batch(s, y0[None], 1.0, conv_tol=float("nan")),
        "LinearSystem.create(stats=None)": lambda tmp: linrbp.LinearSystem.create([2, 3, 1], "bp", None),
        "LinearSystem.create(stats=dict)": lambda tmp: linrbp.LinearSystem.create([2, 3, 1], "bp", {}),
        "chain111_limit('1', ...)": lambda tmp: linrbp.chain111_limit("1", 1.0, 1.0, 0.5, 0.5),
        "chain111_limit(c1='x')": lambda tmp: linrbp.chain111_limit(1.0, 1.0, "x", 0.5, 0.5),
        "chain_limit(weights=[True, 1])": lambda tmp: linrbp.chain_limit(1.0, 1.0, [1.0], [True, 1.0]),
        "DataStats 1e308": lambda tmp: linrbp.DataStats.from_matrices([[1e308]], [[1e308]]),
        "verify(seed=-1)": lambda tmp: verify(["chain111"], seed=-1),
        "get_claims([''])": lambda tmp: get_claims([""]),
        "check_seed(True)": lambda tmp: check_seed(True),
        "check_seed(1.5)": lambda tmp: check_seed(1.5),
        "run_experiments(only=[])": lambda tmp: run_experiments("variants", 1, tmp / "e", True,
                                                                {"dataset": "teacher"}, []),
        "load_idx_dir 0 images": lambda tmp: load_idx_dir(tmp / "idx0"),
        "load_idx_dir label 200": lambda tmp: load_idx_dir(tmp / "idx200"),
        "load_idx_dir label 200 of 10 classes": lambda tmp: load_idx_dir(tmp / "idx200", n_classes=10),
        "load_instance deep": lambda tmp: linrbp.load_instance(tmp / "deep.json"),
        "load_json_file /dev/zero": lambda tmp: load_json_file("/dev/zero"),
        "atomic_write_text device": lambda tmp: atomic_write_text(tmp / "full", "x"),
        "atomic_write_json directory": lambda tmp: atomic_write_json(tmp / "dir", {}),
        "train huge hidden": lambda tmp: train(TrainConfig(hidden=(10**7, 10**7), dataset="teacher",
                                                           epochs=1), progress=False),
        "integrate(None)": lambda tmp: integrate(None, y0, 1.0),
        "integrate_batch(None)": lambda tmp: integrate_batch(None, y0[None], 1.0),
        "integrate_batch(executor=5)": lambda tmp: integrate_batch(s, y0[None], 1.0, executor=5),
        "register(5)": lambda tmp: linrbp.register(5),
        "register('hello')": lambda tmp: linrbp.register("hello"),
        "LinearSystem.create(feedback='abc')": lambda tmp: linrbp.LinearSystem.create(
            [2, 3, 1], "rbp", s.stats, "abc"),
        "Check(samples=0)": lambda tmp: linrbp.Check("c", 1.0, lambda rng: 0, lambda i: 0.0, samples=0),
        "Check(samples=True)": lambda tmp: linrbp.Check("c", 1.0, lambda rng: 0, lambda i: 0.0, samples=True),
        "Check(tolerance=inf)": lambda tmp: linrbp.Check("c", float("inf"), lambda rng: 0, lambda i: 0.0),
        "Check(no error)": lambda tmp: linrbp.Check("c", 1.0, lambda rng: 0),
        "Check(name='')": lambda tmp: linrbp.Check("", 1.0, lambda rng: 0, lambda i: 0.0),
        "Claim(checks=Check)": lambda tmp: linrbp.Claim("my-c", "t", "r", "s", linrbp.Check(
            "c", 1.0, lambda rng: 0, lambda i: 0.0)),
        "Claim(id=5)": lambda tmp: linrbp.Claim(5, "t", "r", "s", []),
        "scheduler not Dask": lambda tmp: _not_dask(tmp),
    }
    return calls[name]


API_BAD = [
    ("integrate y0 too short", "y0: states of this system have 9 components, got 8"),
    ("integrate y0 too long", "y0: states of this system have 9 components, got 10"),
    ("integrate y0 2-d", "y0: expected one state"),
    ("integrate y0 text", "y0: expected an array of numbers"),
    ("integrate rtol=-1", "rtol: must be positive and finite, got -1"),
    ("integrate bound=0", "bound: must be positive and finite, got 0"),
    ("integrate atol='x'", "atol: must be positive and finite"),
    ("integrate plain field width", "y0: the field returns shape (3,) for a start of shape (5,)"),
    ("integrate_batch width", "y0: states of this system have 9 components, got 11"),
    ("integrate_batch plain field width", "y0: the field returns shape (1, 3) for one start of width 5"),
    ("integrate_batch rtol=-1", "rtol: must be positive"),
    ("integrate_batch conv_tol=nan", "conv_tol: must be positive and finite"),
    ("LinearSystem.create(stats=None)", "stats: expected a DataStats"),
    ("LinearSystem.create(stats=dict)", "got dict"),
    ("chain111_limit('1', ...)", "alpha: expected a number, got '1'"),
    ("chain111_limit(c1='x')", "feedback: expected numbers, got 'x'"),
    ("chain_limit(weights=[True, 1])", "weights: expected numbers, got True"),
    ("DataStats 1e308", "overflow"),
    ("verify(seed=-1)", "seed: must be a non-negative integer"),
    ("get_claims([''])", "only: empty selection"),
    ("check_seed(True)", "seed: expected a non-negative integer, got True"),
    ("check_seed(1.5)", "seed: expected a non-negative integer, got 1.5"),
    ("run_experiments(only=[])", "only: empty selection"),
    ("load_idx_dir 0 images", "holds 0 images"),
    ("load_idx_dir label 200", "never occur among the training labels"),
    ("load_idx_dir label 200 of 10 classes", "train labels contain 200, outside 0..9"),
    ("load_instance deep", "nested deeper than 64 levels"),
    ("load_json_file /dev/zero", "cap on input files"),
    ("atomic_write_text device", "full: is a device"),
    ("atomic_write_json directory", "is a directory"),
    ("train huge hidden", "hidden: a 20-10000000-10000000-4 network needs about"),
    ("integrate(None)", "fun: expected a LinearSystem or a function"),
    ("integrate_batch(None)", "fun: expected a LinearSystem or a function"),
    ("integrate_batch(executor=5)", "executor: expected a concurrent.futures.Executor"),
    ("register(5)", "register: expects a linrbp.Claim, got int 5"),
    ("register('hello')", "register: expects a linrbp.Claim, got str 'hello'"),
    ("LinearSystem.create(feedback='abc')", "feedback: expected a list of feedback matrices"),
    ("Check(samples=0)", "Check 'c': samples must be a positive integer, got 0"),
    ("Check(samples=True)", "Check 'c': samples must be a positive integer, got True"),
    ("Check(tolerance=inf)", "Check 'c': tolerance must be a finite non-negative number, got inf"),
    ("Check(no error)", "Check 'c': give error"),
    ("Check(name='')", "Check name: expected a non-empty string"),
    ("Claim(checks=Check)", "Claim my-c: checks must be a non-empty list of linrbp.Check"),
    ("Claim(id=5)", "Claim id: letters, digits"),
    ("scheduler not Dask", "is not a Dask scheduler"),
    ("observe times not increasing", "times: must increase strictly"),
    ("observe unknown name", "unknown observable 'loss'"),
    ("register_observable built-in", "'alignment' is already registered"),
    ("Rule state not a StateVariable", "state must be linrbp.StateVariable objects"),
    ("Rule state bad shape", "shape must be one of scalar, weights, feedback, backward"),
    ("Rule state name of a parameter", "repeats a parameter or state name"),
    ("instance state for a rule without", "state: rule rbp has no state variables"),
    ("velocity without the state", "it has state variables (g); pass their values"),
]


def _not_dask(tmp):
    """integrate_batch on an executor at a port where a non-Dask server answers (an SSH banner)."""
    import socket
    import threading

    from linrbp.core._executor import open_executor

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def answer():
        with contextlib.suppress(OSError):
            conn, _ = srv.accept()
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
            conn.close()

    threading.Thread(target=answer, daemon=True).start()
    try:
        with open_executor(1, scheduler=f"tcp://127.0.0.1:{srv.getsockname()[1]}"):
            pass
    finally:
        srv.close()


@pytest.mark.parametrize("name, message", API_BAD, ids=[r[0] for r in API_BAD])
def test_api_bad_input_raises_input_error_naming_the_argument(tmp_path, name, message):
    fixtures(tmp_path)
    before = _listing(tmp_path)
    call = _api(name)
    with pytest.raises(linrbp.InputError) as exc:
        call(tmp_path)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert isinstance(exc.value, ValueError)
    assert _listing(tmp_path) == before
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
