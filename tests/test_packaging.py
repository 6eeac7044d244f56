"""A built wheel holds the proofs: proofs/<id>.py ship as the package linrbp.proofs."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_ships_every_proof_script_and_every_package(tmp_path):
    pytest.importorskip("setuptools")
    src = tmp_path / "src"  # a copy: setuptools builds in the source tree
    for part in ("linrbp", "proofs"):
        shutil.copytree(ROOT / part, src / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, src / part)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("linrbp-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    scripts = {p.name for p in (ROOT / "proofs").glob("*.py")}
    assert {f"linrbp/proofs/{s}" for s in scripts} <= names
    assert "linrbp/proofs/__init__.py" not in names  # the checkout's pointer is not shipped
    # every module of the source package is in the wheel
    source = {p.relative_to(ROOT).as_posix() for p in (ROOT / "linrbp").rglob("*.py")} - {"linrbp/proofs/__init__.py"}
    assert source <= names
