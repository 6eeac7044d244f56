"""Every family rule learns: it beats training the top layer only, same data, same seed."""

import json

import numpy as np
import pytest

from linrbp.cli import main
from linrbp.trainer import TrainConfig, teacher_task, train
from linrbp.trainer._family import FAMILY

DATA = teacher_task(0, n_train=600, n_test=400)
BINARY = teacher_task(0, n_classes=2, n_train=600, n_test=400)
QUICK = {"dataset": "teacher", "hidden": (32, 32, 32), "epochs": 8, "batch_size": 20, "align_examples": 200}
CLASSIFIERS = [n for n, r in FAMILY.items() if r.kind != "kickback"]


def _acc(rule, seed, data=DATA, **kw):
    res = train(TrainConfig(rule=rule, seed=seed, **dict(QUICK, **kw)), data, progress=False)
    assert res["status"] == "finished"
    return res


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_every_family_rule_beats_top_only(seed):
    base = _acc("top-only", seed)["test_accuracy"]
    for rule in CLASSIFIERS:
        res = _acc(rule, seed)
        assert res["test_accuracy"] > base + 0.1, (rule, seed, res["test_accuracy"], base)
        al = res["alignment"]
        assert set(al["update_vs_bp"]) == {"A_1", "A_2", "A_3"}
        assert all(v is not None and 0 <= v <= 180 for v in al["update_vs_bp"].values())
        assert all(v is not None and v > 0 for v in al["feedback_norm_ratio"].values())


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_kickback_beats_top_only(seed):
    kw = {"activation": "relu", "output": "linear", "lr": 0.01, "hidden": (32, 32)}
    base = _acc("top-only", seed, BINARY, **kw)["test_accuracy"]
    res = _acc("kickback", seed, BINARY, **kw)
    assert res["test_accuracy"] > base + 0.1, (seed, res["test_accuracy"], base)
    hist = [h["alignment"]["kickback_coherence"]["weight_fraction"] for h in res["history"]]
    assert len(hist) == QUICK["epochs"] and all(0 <= f <= 1 for f in hist)


def test_train_cli_runs_a_family_rule_and_records_its_metrics(tmp_path, capsys):
    out = tmp_path / "r.json"
    rc = main(["train", "--rule", "sdtp", "--dataset", "teacher", "--hidden", "8,8", "--epochs", "1",
               "--limit-train", "200", "--no-progress", "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())
    assert res["config"]["rule"] == "sdtp" and res["seed"] == 0
    assert set(res["alignment"]) >= {"update_vs_bp", "feedback_vs_forward", "feedback_norm_ratio",
                                     "inverse_reconstruction"}
    assert "inverse_reconstruction" in capsys.readouterr().out


def test_train_help_lists_every_family_rule_with_reference(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for name, r in FAMILY.items():
        line = next(l for l in text.splitlines() if l.strip().startswith(name + " "))
        assert r.reference in line


@pytest.mark.parametrize("argv,msg", [
    (["--rule", "kickback", "--dataset", "teacher", "--activation", "relu", "--output", "linear"], "two-class"),
    (["--rule", "usf", "--weight-decay", "0.1"], "weight-decay"),
    (["--rule", "sdtp", "--activation", "relu"], "invertible"),
])
def test_train_cli_bad_family_input_is_one_line_exit_2(argv, msg, capsys, tmp_path):
    out = tmp_path / "x.json"
    rc = main(["train", "--dataset", "teacher", "--epochs", "1", "--no-progress", "--json", str(out)] + argv)
    err = capsys.readouterr().err
    assert rc == 2 and msg in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_family_experiments_resume(tmp_path, capsys):
    argv = ["experiments", "family", "--dataset", "teacher", "--epochs", "1", "--limit-train", "100",
            "--seeds", "1", "--only", "top-only,usf,dtp", "--out", str(tmp_path), "--no-progress"]
    assert main(argv) == 0
    assert "ran 3 run(s), reused 0" in capsys.readouterr().out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["alignment"]) == {"top-only", "usf", "dtp"}
    assert summary["alignment"]["usf"]["feedback_norm_ratio"]["C_1"]["n"] == 1
    md = (tmp_path / "family_alignment.md").read_text()
    assert "| usf |" in md and "inverse_reconstruction" in md
    assert (tmp_path / "family_alignment.png").stat().st_size > 0
    assert main(argv) == 0
    assert "ran 0 run(s), reused 3" in capsys.readouterr().out
