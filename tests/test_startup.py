"""The command line imports only what a command uses (fresh interpreters, real imports)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from linrbp.benchmarks._startup import CHILD_CLI, CHILD_TRAIN, HERE, MARKER, TRAIN_ARGS, _env
from linrbp.cli import COMMANDS, HELP, build_parser, main

HEAVY = ("numpy", "scipy", "sympy", "matplotlib", "torch", "tqdm", "hypothesis")
ROOT = Path(__file__).resolve().parent.parent


def _loaded(code, *args):
    """Modules a fresh interpreter has loaded after ``code`` (which must print them last)."""
    proc = subprocess.run([sys.executable, "-c", code, *args], env=_env(), cwd=HERE, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    return proc, set(proc.stdout.split()[-1].split(",")) if proc.stdout.split() else set()


def _top(mods):
    return {m.split(".")[0] for m in mods} | {".".join(m.split(".")[:2]) for m in mods if m.startswith("linrbp.")}


def test_help_imports_no_command_and_no_heavy_package():
    code = ("import sys, atexit; atexit.register(lambda: print(','.join(sorted(sys.modules))));"
            + CHILD_CLI)
    proc, mods = _loaded(code, "--help")
    assert proc.returncode == 0 and "COMMAND" in proc.stdout
    top = _top(mods)
    assert not [m for m in HEAVY if m in top]
    assert {m for m in top if m.startswith("linrbp.")} <= {"linrbp.cli", "linrbp.core"}
    assert not [m for m in mods if m.startswith("linrbp.cli._")]


def test_import_linrbp_is_lazy_and_names_still_resolve():
    proc, mods = _loaded("import sys, linrbp; print(','.join(sorted(sys.modules)))")
    assert proc.returncode == 0
    assert not [m for m in HEAVY if m in _top(mods)]
    proc, mods = _loaded("import sys, linrbp; linrbp.integrate; print(','.join(sorted(sys.modules)))")
    assert "linrbp.integration._integrate" in mods and "sympy" not in _top(mods)


def test_train_reaches_its_first_batch_without_sympy_matplotlib_scipy():
    proc = subprocess.run([sys.executable, "-c", CHILD_TRAIN, *TRAIN_ARGS], env=_env(), cwd=HERE,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    line = next(l for l in proc.stdout.splitlines() if l.startswith(MARKER))
    top = _top(line.split()[1:])
    assert "numpy" in top and "linrbp.trainer" in top  # it did get to training
    assert not [m for m in ("scipy", "sympy", "matplotlib", "torch", "tqdm", "hypothesis") if m in top]
    assert not [m for m in top if m.startswith("linrbp.") and m not in ("linrbp.cli", "linrbp.core", "linrbp.trainer")]


def test_the_one_line_help_of_each_command_is_its_modules():
    full = build_parser()
    sub = next(a for a in full._actions if a.__class__.__name__ == "_SubParsersAction")
    helps = {c.dest: c.help for c in sub._choices_actions}
    assert set(HELP) == set(COMMANDS) and helps == HELP


def test_a_command_builds_only_its_own_parser():
    parser = build_parser("train")
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert any(a.dest == "rule" for a in sub.choices["train"]._actions)
    assert not any(a.dest == "samples" for a in sub.choices["verify"]._actions)


def test_bench_startup_json_has_one_key_per_figure(tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["bench", "startup", "--repeats", "1", "--json", str(out)]) == 0
    res = json.loads(out.read_text())["startup"]
    for key in ("numpy_import_seconds", "help_seconds", "train_start_seconds", "help_ratio", "train_start_ratio"):
        assert res[key] > 0
    assert set(res["meets_targets"]) == {"help_ratio", "train_start_ratio"}
    text = capsys.readouterr().out
    assert "x import numpy" in text and "first batch" in text
