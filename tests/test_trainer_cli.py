"""`linrbp train` and `linrbp experiments`: outputs, bad input (exit 2), resumable sets."""

import gzip
import json
import os

import numpy as np
import pytest

from linrbp.cli import main
from linrbp.trainer import load_idx_dir, run_experiments, teacher_task

SMALL = ["--dataset", "teacher", "--hidden", "8,8", "--epochs", "2", "--no-progress"]


def test_train_writes_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["train", "--rule", "srbp", "--seed", "3", "--json", str(out)] + SMALL) == 0
    res = json.loads(out.read_text())
    for key in ("test_accuracy", "train_accuracy", "history", "alignment", "config", "seed"):
        assert key in res
    assert res["seed"] == 3 and res["config"]["rule"] == "srbp" and len(res["history"]) == 2
    assert set(res["alignment"]) == {"update_vs_bp", "feedback_vs_forward", "feedback_norm_ratio", "srbp_target"}
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("args", [
    ["--epochs", "0"], ["--rule", "xx"], ["--hidden", "10,-1"], ["--lr", "-1"], ["--dropout", "2"],
    ["--rule", "bp", "--resample", "batch"], ["--error-bits", "0"], ["--freeze-layer", "7"],
    ["--dataset", "idx"], ["--dataset", "idx", "--data-dir", "/nonexistent"], ["--limit-train", "0"],
])
def test_train_bad_input_exits_2(args, tmp_path, capsys):
    out = tmp_path / "r.json"
    argv = ["train"] + SMALL + args + ["--json", str(out)]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse rejects choices/types itself, also with exit 2
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and "Traceback" not in "".join(err)
    assert not out.exists()


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--activation", "xx"])
    assert e.value.code == 2
    capsys.readouterr()
    # --rule is checked after --rules files load (a rule may be theirs): one line, exit 2
    assert main(["train", "--rule", "xx"]) == 2
    err = capsys.readouterr().err
    assert "unknown rule 'xx'" in err and err.strip().count("\n") == 0


def test_missing_fashion_mnist_names_the_package(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LINRBP_FASHION_MNIST", str(tmp_path / "none"))
    assert main(["train", "--epochs", "1", "--no-progress"]) == 2
    assert "dataset-fashion-mnist" in capsys.readouterr().err


def _write_idx(path, arr):
    arr = np.asarray(arr, dtype=np.uint8)
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in arr.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + arr.tobytes())


def test_idx_directory(tmp_path, capsys):
    rng = np.random.default_rng(0)
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (50, 4, 4)))
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", rng.integers(0, 3, 50))
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (20, 4, 4)))
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 3, 20))
    ds = load_idx_dir(tmp_path)
    assert ds.x_train.shape == (50, 16) and ds.n_classes == 3 and 0 <= ds.x_train.min() <= ds.x_train.max() <= 1
    assert main(["train", "--dataset", "idx", "--data-dir", str(tmp_path), "--hidden", "5",
                 "--epochs", "1", "--no-progress"]) == 0
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x09abc"))
    assert main(["train", "--dataset", "idx", "--data-dir", str(tmp_path), "--epochs", "1", "--no-progress"]) == 2
    assert "t10k-labels" in capsys.readouterr().err


def test_teacher_is_seeded():
    a, b, c = teacher_task(1), teacher_task(1), teacher_task(2)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)


BASE = {"dataset": "teacher", "hidden": (8, 8), "epochs": 2, "limit_train": 300}


def test_experiments_resume_and_skip(tmp_path):
    only = ["bp", "srbp", "top-only"]
    s1 = run_experiments("variants", 2, tmp_path, quick=True, base=BASE, only=only, progress=False)
    assert s1["ran"] == 6 and s1["skipped_existing"] == 0
    runs = sorted(os.listdir(tmp_path / "runs"))
    assert runs == sorted(f"{v}-seed{s}.json" for v in only for s in range(2))
    for name in ("summary.md", "summary.json", "accuracy_curves.png", "accuracy_by_variant.png"):
        assert (tmp_path / name).stat().st_size > 0
    # an interrupted set: remove one run, the rerun does exactly that one
    (tmp_path / "runs" / "srbp-seed1.json").unlink()
    before = (tmp_path / "runs" / "bp-seed0.json").stat().st_mtime_ns
    s2 = run_experiments("variants", 2, tmp_path, quick=True, base=BASE, only=only, progress=False)
    assert s2["ran"] == 1 and s2["skipped_existing"] == 5
    assert (tmp_path / "runs" / "bp-seed0.json").stat().st_mtime_ns == before
    row = {r["variant"]: r for r in s2["rows"]}["srbp"]
    accs = [json.loads((tmp_path / "runs" / f"srbp-seed{s}.json").read_text())["test_accuracy"] for s in range(2)]
    assert np.isclose(row["test_accuracy"]["mean"], np.mean(accs))
    assert np.isclose(row["test_accuracy"]["std"], np.std(accs, ddof=1))


def test_experiments_workers_give_the_same_runs(tmp_path):
    """Two worker processes produce the same run files as one (each run has its own seed)."""
    only = ["bp", "rbp-resample-batch", "srbp-dropout-0.5"]
    run_experiments("variants", 2, tmp_path / "one", quick=True, base=BASE, only=only, progress=False)
    s = run_experiments("variants", 2, tmp_path / "two", quick=True, base=BASE, only=only, progress=False,
                        workers=2)
    assert s["ran"] == 6
    for name in sorted(os.listdir(tmp_path / "one" / "runs")):
        a, b = (json.loads((tmp_path / d / "runs" / name).read_text()) for d in ("one", "two"))
        for key in ("test_accuracy", "train_accuracy", "alignment", "config", "updates"):
            assert a[key] == b[key], (name, key)
        assert [h["test_accuracy"] for h in a["history"]] == [h["test_accuracy"] for h in b["history"]]


def test_experiments_resume_runs_saved_before_a_field_existed(tmp_path):
    """A run saved by an older version (no error_scale in its config) is reused, not refused."""
    run_experiments("variants", 1, tmp_path, quick=True, base=BASE, only=["bp"], progress=False)
    path = tmp_path / "runs" / "bp-seed0.json"
    old = json.loads(path.read_text())
    del old["config"]["error_scale"]
    path.write_text(json.dumps(old))
    s = run_experiments("variants", 1, tmp_path, quick=True, base=BASE, only=["bp"], progress=False)
    assert s["ran"] == 0 and s["skipped_existing"] == 1


def test_experiments_refuse_a_different_configuration(tmp_path, capsys):
    run_experiments("variants", 1, tmp_path, quick=True, base=BASE, only=["bp"], progress=False)
    argv = ["experiments", "variants", "--quick", "--seeds", "1", "--out", str(tmp_path), "--only", "bp",
            "--dataset", "teacher", "--epochs", "3", "--no-progress"]
    assert main(argv) == 2
    assert "different configuration" in capsys.readouterr().err


def test_experiments_cli_bad_input(tmp_path, capsys):
    assert main(["experiments", "variants", "--seeds", "0", "--out", str(tmp_path)]) == 2
    assert main(["experiments", "bits", "--only", "nonsense", "--out", str(tmp_path)]) == 2
    assert main(["experiments", "variants", "--workers", "0", "--dataset", "teacher", "--out", str(tmp_path)]) == 2
    assert "workers: expected a positive integer" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["experiments", "nosuchset"])
    assert e.value.code == 2


def test_summary_plot_panels_hold_every_variant_once_and_few_lines_each():
    from linrbp.trainer._experiments import experiment_variants, panel_groups, EXPERIMENTS

    for name in EXPERIMENTS:
        variants = list(experiment_variants(name))
        groups = panel_groups(variants)
        assert [v for g in groups for v in g] == variants  # each once, in order
        assert max(len(g) for g in groups) <= 7
    # related variants share a panel: the 1..12-bit BP runs are not split across panels
    groups = panel_groups(list(experiment_variants("bits")))
    bp_bits = [v for v in experiment_variants("bits") if v.startswith("bp-") and "batch" not in v]
    assert sum(any(v in g for v in bp_bits) for g in groups) == 2  # 9 split 5 + 4
