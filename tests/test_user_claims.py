"""A researcher's own claims: linrbp verify --claims and the pytest plugin (both routes on the
worked example of docs/own-claims.md, a true conjecture passing and a false variant failing)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from linrbp.catalogue._catalogue import CLAIMS
from linrbp.claims import get_claims
from linrbp.cli import main

get_claims()   # the catalogue loaded first, so "unchanged" below compares with the full catalogue

ROOT = Path(__file__).resolve().parent.parent
TRUE = ROOT / "docs" / "examples" / "my_conjecture.py"
FALSE = ROOT / "docs" / "examples" / "my_false_conjecture.py"


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def test_true_claim_passes_and_catalogue_is_untouched(tmp_path, capsys):
    before = dict(CLAIMS)
    out = tmp_path / "report.json"
    assert main(["verify", "--claims", str(TRUE), "--json", str(out)]) == 0
    rep = json.loads(out.read_text())
    assert [c["id"] for c in rep["claims"]] == ["my-single-hidden-matrix"]
    c = rep["claims"][0]
    assert c["status"] == "pass" and c["max_error"] <= c["tolerance"] and c["instances"] == 10
    assert rep["seed"] == 0 and rep["passed"] is True
    assert dict(CLAIMS) == before          # loading a file never changes the catalogue
    assert "my-single-hidden-matrix" in capsys.readouterr().out


def test_false_claim_fails_with_exit_1(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["verify", "--claims", str(FALSE), "--claims", str(TRUE), "--json", str(out)]) == 1
    rep = json.loads(out.read_text())
    status = {c["id"]: c["status"] for c in rep["claims"]}
    assert status == {"my-false-variant": "fail", "my-single-hidden-matrix": "pass"}
    bad = next(c for c in rep["claims"] if c["id"] == "my-false-variant")
    assert bad["max_error"] > 1e-3 > bad["tolerance"]
    assert "FAIL" in capsys.readouterr().out


def test_seeds_are_the_catalogues(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    main(["verify", "--claims", str(TRUE), "--seed", "5", "--json", str(a)])
    main(["verify", "--claims", str(TRUE), "--seed", "5", "--json", str(b)])
    ra, rb = (json.loads(p.read_text())["claims"][0]["checks"][0] for p in (a, b))
    assert ra["worst_instance"] == rb["worst_instance"] and ra["max_error"] == rb["max_error"]


def test_only_selects_among_both(tmp_path):
    out = tmp_path / "r.json"
    # its own process: a clean catalogue, whatever the tests before this one registered
    r = subprocess.run([sys.executable, "-m", "linrbp", "verify", "--claims", str(TRUE), "--only",
                        "structure,my-single-hidden-matrix", "--json", str(out)],
                       capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert r.returncode == 0, r.stderr
    assert [c["id"] for c in json.loads(out.read_text())["claims"]] == ["structure", "my-single-hidden-matrix"]
    assert main(["verify", "--claims", str(TRUE), "--only", "nosuch"]) == 2


def test_module_name_works(tmp_path, monkeypatch):
    mod = tmp_path / "researcher_claims_mod.py"
    shutil.copy(TRUE, mod)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["verify", "--claims", "researcher_claims_mod"]) == 0


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("def f(:\n", "syntax error at line 1"),
    ("raise RuntimeError('boom')\n", "raised RuntimeError on import: boom"),
    ("x = 1\n", "registers no claim"),
    ("import linrbp\nlinrbp.register(linrbp.Claim('chain111', 't', 'r', 's', "
     "[linrbp.Check('c', 1.0, lambda rng: 0, lambda i: 0.0)]))\n", "already a catalogue claim"),
])
def test_broken_files_exit_2_with_one_line(tmp_path, capsys, content, message):
    f = tmp_path / "claims_file.py"
    if content is not None:
        f.write_text(content)
    before = dict(CLAIMS)
    out = tmp_path / "never.json"
    assert main(["verify", "--claims", str(f), "--json", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert not out.exists() and dict(CLAIMS) == before


def test_two_files_reusing_an_id(tmp_path, capsys):
    assert main(["verify", "--claims", str(TRUE), "--claims", str(TRUE)]) == 2
    assert "also registered" in capsys.readouterr().err


def _pytest(args, cwd, python=sys.executable, env=None):
    # a run of its own, not an xdist worker: without PYTEST_XDIST_* (under `-n 2` plugins such as
    # pytest-benchmark read PYTEST_XDIST_WORKER and warn, which -W error turns into exit 3)
    env = {k: v for k, v in (env or _env()).items() if not k.startswith("PYTEST_XDIST_")}
    return subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def test_plugin_collects_one_test_per_check(tmp_path):
    r = _pytest(["-p", "linrbp_pytest", f"--linrbp-claims={TRUE}", f"--linrbp-claims={FALSE}",
                 "-rA"], tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "PASSED my-single-hidden-matrix::drift of the matrix to t = 2" in r.stdout
    assert "FAILED my-false-variant::drift of the matrix to t = 2" in r.stdout
    assert "worst error" in r.stdout and "> tolerance 1.0e-08" in r.stdout
    assert "1 failed, 1 passed" in r.stdout


def test_plugin_broken_file_is_a_usage_error(tmp_path):
    f = tmp_path / "broken.py"
    f.write_text("x = 1\n")
    r = _pytest(["-p", "linrbp_pytest", f"--linrbp-claims={f}"], tmp_path)
    assert r.returncode == 4 and "registers no claim" in r.stderr


def test_plugin_is_inert_without_its_options(tmp_path):
    (tmp_path / "test_x.py").write_text("def test_x():\n    assert True\n")
    r = _pytest(["-p", "linrbp_pytest", "-W", "error"], tmp_path)
    assert r.returncode == 0 and "1 passed" in r.stdout
    code = ("import sys, linrbp_pytest; print(any(m == 'linrbp' or m.startswith('linrbp.') "
            "for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True)
    assert out.stdout.strip() == "False"       # the plugin imports nothing of linrbp up front


@pytest.mark.slow
def test_installed_entry_point(tmp_path):
    """Installing linrbp is enough: a venv with the package installed finds the plugin itself."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("linrbp", "linrbp_pytest", "proofs"):  # proofs/ ships as linrbp.proofs
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    venv = tmp_path / "venv"
    # no pip of its own: the venv sees the system's setuptools, and the system's pip installs into it
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                   check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in _env().items() if k != "PYTHONPATH"}
    inst = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
                           "--no-build-isolation", "--no-index", str(src)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert inst.returncode == 0, inst.stderr
    work = tmp_path / "work"
    work.mkdir()
    r = _pytest([f"--linrbp-claims={TRUE}", f"--linrbp-claims={FALSE}"], work, python=str(py), env=env)
    assert r.returncode == 1 and "1 failed, 1 passed" in r.stdout, r.stdout + r.stderr
