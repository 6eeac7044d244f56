"""`--param` in the trainer commands and `experiments rules`, with a researcher's rule from a
file in tmp_path (functions and lambdas): the parameter reaches the training (kappa = 0 makes
the drift rule RBP: the same run bit for bit; kappa = 0.5 does not), is recorded, resumes."""

from __future__ import annotations

import json

import pytest

from _sweeps_common import strip
from test_sweep import RULES_FILE, main

TEACHER = ["--dataset", "teacher", "--hidden", "8", "--epochs", "2", "--no-progress"]


@pytest.fixture
def rules_file(tmp_path):
    f = tmp_path / "my_rules.py"
    f.write_text(RULES_FILE)
    return f


def _train(tmp_path, name, *argv):
    out = tmp_path / f"{name}.json"
    assert main(["train", *TEACHER, *argv, "--json", out]) == 0
    return json.loads(out.read_text())


@pytest.mark.parametrize("rule", ["drift-def", "drift-lambda"])
def test_train_param_reaches_the_rule(tmp_path, rules_file, rule):
    rbp = _train(tmp_path, "rbp", "--rule", "rbp")
    still = _train(tmp_path, "k0", "--rules", rules_file, "--rule", rule, "--param", "kappa=0")
    moving = _train(tmp_path, "k5", "--rules", rules_file, "--rule", rule, "--param", "kappa=0.5")
    assert still["config"]["params"] == {"kappa": 0.0} and moving["config"]["params"] == {"kappa": 0.5}
    # dC/dt = 0 * A^T: fixed feedback, i.e. RBP with the same draws
    assert strip(still["history"]) == strip(rbp["history"]) and still["test_accuracy"] == rbp["test_accuracy"]
    assert strip(moving["history"]) != strip(rbp["history"])


def test_train_bad_param_is_the_rules_message(rules_file, capsys):
    for argv, msg in ((["--rule", "drift-def", "--param", "kapa=1"], "kapa: rule drift-def has no parameter 'kapa'"),
                      (["--rule", "drift-def", "--param", "kappa=-2"], "kappa: rule drift-def expects a finite number >= 0"),
                      (["--rule", "top-only", "--param", "weight_decay=1"], "rule top-only"),
                      (["--rule", "bp", "--param", "weight_decay=0.1", "--weight-decay", "0.1"], "not both")):
        code = main(["train", *TEACHER, "--rules", rules_file, *argv])
        err = capsys.readouterr().err.strip()
        assert code == 2 and msg in err and len(err.splitlines()) == 1, err


def test_experiments_rules_over_seeds_with_a_user_rule_resumes(tmp_path, rules_file, capsys):
    out = tmp_path / "exp"
    argv = ["experiments", "rules", "--quick", "--only", "rbp,drift-lambda", "--rules", rules_file,
            "--param", "kappa=0", "--seeds", "2", "--dataset", "teacher", "--epochs", "1", "--limit-train", "300",
            "--no-progress",
            "--workers", "2", "--out", out]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [r["variant"] for r in summary["rows"]] == ["rbp", "drift-lambda"]
    runs = {p.name: json.loads(p.read_text()) for p in (out / "runs").glob("*.json")}
    assert len(runs) == 4
    assert runs["drift-lambda-seed1.json"]["config"]["params"] == {"kappa": 0.0}
    assert runs["rbp-seed1.json"]["config"]["params"] == {}  # rbp has no kappa: not set on it
    # kappa = 0: the drift rule is RBP, seed by seed (on worker processes)
    for s in (0, 1):
        assert strip(runs[f"drift-lambda-seed{s}.json"]["history"]) == strip(runs[f"rbp-seed{s}.json"]["history"])
    rows = {r["variant"]: r for r in summary["rows"]}
    assert rows["rbp"]["test_accuracy"] == rows["drift-lambda"]["test_accuracy"]
    assert (out / "summary.md").exists() and (out / "accuracy_by_variant.png").exists()
    capsys.readouterr()
    assert main(argv) == 0  # everything reused
    assert "ran 0 run(s), reused 4" in capsys.readouterr().out
    # another kappa is another configuration: refused in the same folder
    assert main([a if a != "kappa=0" else "kappa=0.5" for a in argv]) == 2


def test_experiments_rules_bad_selection(rules_file, capsys):
    base = ["experiments", "rules", "--quick", "--dataset", "teacher", "--no-progress", "--rules", rules_file]
    for argv, msg in ((base + ["--only", "bp,nope"], "unknown rule(s) nope"),
                      (base + ["--only", "bp,rbp", "--param", "kappa=1"], "kappa: no rule of this set has a parameter")):
        code = main(argv)
        err = capsys.readouterr().err.strip()
        assert code == 2 and msg in err and len(err.splitlines()) == 1, err
