"""The documentation site: `linrbp docs` builds it with warnings as errors, and the generated
pages contain every claim ID, every CLI option and every public name."""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

pytest.importorskip("sphinx")
pytest.importorskip("myst_nb")

import linrbp_docs  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "linrbp", "docs", "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=1200)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    return out


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_site_has_every_claim_option_and_public_name(site):
    import linrbp
    from linrbp.cli import COMMANDS, build_parser

    claims = _text(site / "generated" / "claims.html")
    for cid in linrbp.get_claims():
        assert f"claim-{cid.id.lower()}" in claims and f">{cid.id}<" in claims, cid.id
    cli = _text(site / "generated" / "cli.html")
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in COMMANDS:
        for action in sub.choices[name]._actions:
            for opt in action.option_strings:
                if opt.startswith("--") and opt != "--help":
                    assert opt in cli, f"linrbp {name} {opt}"
    for modname in linrbp_docs.PUBLIC_MODULES:
        page = _text(site / "generated" / "api" / f"{modname}.html")
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            assert f"{modname}.{name}" in page or name in page, f"{modname}.{name}"
    gallery = _text(site / "generated" / "gallery.html")
    from linrbp.plots import FIGURES
    for name in FIGURES:
        # Sphinx copies each image into _images/ and points the page there
        assert f"_images/{name}.png" in gallery and (site / "_images" / f"{name}.png").exists(), name
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        assert (site / "generated" / "notebooks" / (nb.stem + ".html")).exists(), nb.name


def test_a_public_name_without_docstring_is_a_warning(monkeypatch):
    import linrbp

    warned = []
    monkeypatch.setattr(linrbp_docs.LOG, "warning", lambda msg, *a, **k: warned.append(msg))
    linrbp_docs.api_pages()
    assert warned == []
    monkeypatch.setattr(linrbp.simulate, "__doc__", None)
    linrbp_docs.api_pages()
    assert any("linrbp.simulate" in w for w in warned)


def test_docs_command_needs_a_docs_folder(tmp_path):
    r = subprocess.run([sys.executable, "-m", "linrbp", "docs", "--source", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "conf.py" in r.stderr
