"""The documentation site: `linrbp docs` builds it with warnings as errors (nitpicky: a reference
that does not resolve is an error), and the generated pages contain every claim ID, every CLI
option and every public name, rendered as Sphinx objects. One build (the module fixture `site`)
serves every test that reads the HTML."""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import re
import shutil
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
    if os.environ.get("LINRBP_DOCS_SITE"):  # a site already built by `linrbp docs --out DIR`
        return Path(os.environ["LINRBP_DOCS_SITE"])
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
        # linked to the full-size image, drawn at 150 dpi or more
        assert f'href="../_images/{name}.png"' in gallery, name
        from PIL import Image
        with Image.open(site / "_images" / f"{name}.png") as im:
            assert im.info.get("dpi", (0,))[0] >= 149, (name, im.info.get("dpi"))
    assert gallery.count('<details class="gallery-source">') == len(FIGURES)
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        assert (site / "generated" / "notebooks" / (nb.stem + ".html")).exists(), nb.name


_LEAKS = ("```{", ".. py:", ".. auto", ":class:`", ":func:`", ":meth:`", ":data:`", ":mod:`",
          ":math:`", "{py:", "{math}`", "`~linrbp")


@pytest.mark.slow
def test_api_reference_is_objects_and_references_resolve(site):
    """The API entries are Python objects (in the HTML and in objects.inv), every public name of
    every public module has its anchor, the narrative pages' {py:func} links point at them, and
    no directive or role leaked into a page as text."""
    from sphinx.util.inventory import InventoryFile

    with open(site / "objects.inv", "rb") as f:
        inv = InventoryFile.load(f, "", lambda base, uri: uri)
    funcs, classes = inv["py:function"], inv["py:class"]
    assert "linrbp.integrate_batch" in funcs and "linrbp.LinearSystem" in classes
    for modname in linrbp_docs.PUBLIC_MODULES:
        mod = importlib.import_module(modname)
        page = _text(site / "generated" / "api" / f"{modname}.html")
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.ismodule(obj):
                continue
            assert f'id="{modname}.{name}"' in page, f"{modname}.{name} is not an object on its page"
            assert any(f"{modname}.{name}" in inv[k] for k in inv if k.startswith("py:")), name
    api = _text(site / "generated" / "api" / "linrbp.html")
    assert api.count('<dl class="py function">') >= 20 and '<dl class="py class">' in api
    # integrate_batch's parameters are described (napoleon turned "Parameters" into a field list)
    entry = api[api.index('id="linrbp.integrate_batch"'):]
    entry = entry[:entry.index("</dl>\n</dd></dl>") if "</dl>\n</dd></dl>" in entry else 20000]
    for param in ("rtol", "atol", "conv_tol", "bound", "workers", "backend", "executor"):
        assert f"<strong>{param}</strong>" in entry, f"integrate_batch: {param} is not described"
    rules = _text(site / "rules.html")
    assert 'href="generated/api/linrbp.html#linrbp.Rule"' in rules
    for html in site.rglob("*.html"):
        # prose only: code listings (the gallery shows sources) may hold roles as text
        text = re.sub(r"<pre>.*?</pre>", "", _text(html), flags=re.S)
        for leak in _LEAKS:
            assert leak not in text, f"{html.relative_to(site)}: {leak!r} leaked into the page"
    cli = _text(site / "generated" / "cli.html")
    assert "–-" not in cli  # options as typed
    # ... and every option named in prose is code (shown as typed, never broken at a hyphen)
    prose = re.sub(r"<(pre|code|style|script)[^>]*>.*?</\1>", "", cli, flags=re.S)
    loose = re.findall(r"(?<![\w-])--[a-z][a-z-]*", re.sub(r"<[^>]+>", "", prose))
    assert not loose, f"options outside code in the CLI reference: {sorted(set(loose))[:5]}"


def test_an_unresolved_reference_fails_the_build(tmp_path):
    """The docs' nitpicky settings, on a one-page project: a reference to a linrbp name that
    does not exist is an error (the ignore list covers only other packages' names)."""
    import runpy

    conf = runpy.run_path(str(ROOT / "docs" / "conf.py"))
    assert conf["nitpicky"] is True
    (tmp_path / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "extensions = ['sphinx.ext.autodoc', 'sphinx.ext.napoleon']\n"
        "nitpicky = True\n"
        + "".join(f"{k} = {v!r}\n" for k, v in conf.items()
                  if k.startswith(("napoleon_", "autodoc_", "nitpick_ignore"))))
    page = tmp_path / "index.rst"
    ok = ("Title\n=====\n\n.. py:class:: linrbp.Rule\n\n   (a target for the docstrings' links)\n\n"
          ".. autofunction:: linrbp.transpose\n\n"
          ".. autofunction:: linrbp.sign\n\nSee :func:`linrbp.transpose`.\n")
    page.write_text(ok)

    def build():
        return subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(tmp_path),
                               str(tmp_path / "out")], capture_output=True, text=True, timeout=120)

    r = build()
    assert r.returncode == 0, r.stderr[-2000:]
    page.write_text(ok + "And :func:`linrbp.no_such_function`.\n")
    r = build()
    assert r.returncode != 0 and "linrbp.no_such_function" in r.stderr


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


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_theory_page_maths_renders_offline_in_chromium(site):
    """Headless Chromium opens the theory page from disk, MathJax (served from _static) typesets
    it, and the rendered DOM holds the formulas as MathJax output; no request leaves the site."""
    page = site / "theory.html"
    source = _text(page)
    assert "_static/mathjax/tex-chtml.js" in source and "://" not in source.split("<body")[0].replace(
        "http://www.w3.org", "")
    n_source = source.count('class="math notranslate nohighlight"')
    assert n_source >= 150  # inline and display formulas written in TeX
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-extensions", "--virtual-time-budget=20000", "--dump-dom",
                        page.as_uri()], capture_output=True, text=True, timeout=120)
    dom = r.stdout
    rendered = dom.count("<mjx-container")
    assert rendered >= n_source, (rendered, n_source, r.stderr[-2000:])
    assert "<mjx-merror" not in dom  # no formula that MathJax could not parse
    notebook = _text(site / "generated" / "notebooks" / "02_chain.html")
    assert "tiles done" not in notebook  # the basin map's progress line is not an output
