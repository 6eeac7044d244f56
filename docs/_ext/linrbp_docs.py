"""Sphinx extension: the pages of the linrbp docs that are generated from the code.

At ``builder-inited`` it writes, under ``docs/generated/`` (never committed):

- ``claims.md``: every claim of :data:`linrbp.CLAIMS` with its statement, reference, checks
  (name, kind, tolerance, default instances) and proof script, so the page cannot drift;
- ``cli.md``: every command, option and default, walked from the argparse parsers;
- ``api/*.rst``: one page per public module, an autodoc entry per name of its ``__all__``
  (reST, so that autodoc's output is parsed as reST and renders as objects);
- ``gallery.md``: every figure of ``linrbp figures`` drawn during the build (small settings),
  each beside the source of the function that draws it;
- ``notebooks/*.ipynb``: the notebooks, executed by myst-nb during the build.

A public callable without a docstring is a warning (so ``-W`` fails the build).
"""

from __future__ import annotations

import argparse
import re
import inspect
import os
import shutil
from pathlib import Path

from sphinx.util import logging

LOG = logging.getLogger(__name__)

PUBLIC_MODULES = ("linrbp", "linrbp.symbolic", "linrbp.trainer", "linrbp.strategies", "linrbp.plots",
                  "linrbp.teacher_student", "linrbp.certify", "linrbp.checker", "linrbp.proof", "linrbp.report")
# Per-figure keyword overrides for the build (none: the gallery shows what the command draws).
GALLERY_KWARGS: dict[str, dict] = {}
GALLERY_DPI = 150  # labels stay legible at full size


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _fence(text: str, lang: str = "") -> str:
    return f"```{lang}\n{text.rstrip()}\n```\n"


# --------------------------------------------------------------------------- claims
def _table_cell(text: str) -> str:
    """Text with $...$ maths for a markdown table cell: no bare "|" (a column break)."""
    import re

    def math(m):
        return "$" + m.group(1).replace("\\|", "\\Vert ").replace("|", "\\vert ") + "$"

    parts = re.split(r"(\$[^$]+\$)", text)
    return "".join(re.sub(r"\$([^$]+)\$", math, p) if p.startswith("$") else p.replace("|", "\\|")
                   for p in parts)


def claims_page(root: Path) -> str:
    import linrbp
    from linrbp.catalogue._catalogue import metric_of

    claims = linrbp.get_claims()
    out = ["# Claim catalogue", "",
           "Generated at build time from `linrbp.CLAIMS`: every claim that `linrbp verify` runs, "
           "with the checks that verify it. Each check draws its instances from "
           "`SeedSequence([seed, crc32(claim ID), crc32(check name)])`, so `--only` and new "
           "checks never change another check's draws. A symbolic check has tolerance 0: the "
           "identity simplifies to zero exactly. The column *error measured* says what each "
           "check's error is, and in which unit (`linrbp verify --json` and `--html` give it "
           "as `metric`).", "",
           f"{len(claims)} claims: " + ", ".join(f"[`{c.id}`](#claim-{c.id})" for c in claims) + ".", ""]
    for c in claims:
        proof = root / "proofs" / f"{c.id.replace('-', '_')}.py"
        out += [f"({'claim-' + c.id})=", f"## `{c.id}`: {c.title}", "",
                f"**Reference:** {c.reference}", "", c.statement.strip(), ""]
        out += ["| check | kind | error measured | tolerance | instances |", "|---|---|---|---|---|"]
        for chk in c.checks:
            n = "1 (exact)" if chk.fixed else str(chk.samples)
            name = chk.name.replace("|", "\\|")
            out.append(f"| {name} | {chk.kind} | {_table_cell(metric_of(chk))} | {chk.tolerance:.1e} | {n} |")
        out.append("")
        out.append(f"Run it: `linrbp verify --only {c.id}`.")
        if proof.exists():
            out.append(f" Proof: `proofs/{proof.name}` (`linrbp prove {c.id}`).")
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- CLI
def _actions(parser: argparse.ArgumentParser):
    for a in parser._actions:
        if isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        yield a


def _default(a) -> str:
    if a.default in (None, argparse.SUPPRESS) or isinstance(a, (argparse._StoreTrueAction,
                                                                  argparse._StoreFalseAction)):
        return ""
    return f"`{a.default}`"


_OPTION = re.compile(r"(?<![\w`$-])(--[a-z][a-z0-9-]*|\$[A-Z][A-Z0-9_]*)")


def _prose(text: str) -> str:
    """Help or description text for a markdown cell: options (``--workers``) and environment
    variables (``$LINRBP_SCHEDULER``) outside code spans become code spans, so they show as
    typed, paste as typed and never break at their hyphens; ``|`` is escaped for tables."""
    parts = text.replace("|", "\\|").split("`")
    parts[::2] = [_OPTION.sub(r"`\1`", part) for part in parts[::2]]
    return "`".join(parts)


def cli_page() -> str:
    from linrbp.cli import COMMANDS, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out = ["# Command-line reference", "",
           "Generated at build time from the argparse parsers of `linrbp`. Bad input anywhere "
           "ends with one line on stderr and exit status 2; a failing claim or check exits 1.", ""]
    for name in COMMANDS:
        p = sub.choices[name]
        out += [f"## `linrbp {name}`", "", _prose((p.description or "").strip()), "",
                _fence(p.format_usage().replace("usage: ", ""), "text"), ""]
        rows = [(", ".join(f"`{s}`" for s in a.option_strings) or f"`{a.dest}`",
                 _prose((a.help or "").replace("\n", " ") % {"default": a.default}
                        if a.help and "%(" in a.help else (a.help or "")),
                 _default(a)) for a in _actions(p)]
        if rows:
            out += ["| option | meaning | default |", "|---|---|---|"]
            out += [f"| {o} | {h} | {d} |" for o, h, d in rows]
            out.append("")
        nested = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        for s in nested:
            for sname, sp in s.choices.items():
                out += [f"### `linrbp {name} {sname}`", "", _prose((sp.description or sp.format_usage()).strip()), ""]
                srows = [(", ".join(f"`{x}`" for x in a.option_strings) or f"`{a.dest}`",
                          _prose(a.help or ""), _default(a)) for a in _actions(sp)]
                if srows:
                    out += ["| option | meaning | default |", "|---|---|---|"]
                    out += [f"| {o} | {h} | {d} |" for o, h, d in srows]
                    out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- API
def _kind(obj) -> str:
    if inspect.isclass(obj):
        return "class"
    if inspect.ismodule(obj):
        return "module"
    if callable(obj):
        return "function"
    return "data"


def _data_summary(obj) -> str:
    kind = type(obj).__name__
    if isinstance(obj, (dict, list, tuple)) and len(obj) < 60:
        keys = ", ".join(f"``{k}``" for k in list(obj)[:40])
        return f"A {kind} of {len(obj)} entries" + (f": {keys}." if keys else ".")
    if len(repr(obj)) < 80:
        return f"A {kind}: ``{obj!r}``."
    return f"A {kind}."


def _underline(title: str, ch: str) -> str:
    return f"{title}\n{ch * len(title)}\n"


def api_pages() -> dict[str, str]:
    """One reST page per public module: a summary table, then an autodoc entry per name of
    its ``__all__`` (so a new public name is documented without touching this file). An object
    exported by two modules is described once, where it is first met, and linked from the
    other page."""
    import importlib

    pages = {}
    missing = []
    seen: dict[int, str] = {}
    for modname in PUBLIC_MODULES:
        mod = importlib.import_module(modname)
        out = [_underline(f"``{modname}``", "="), f".. automodule:: {modname}", "   :no-members:", "",
               f".. currentmodule:: {modname}", ""]
        entries = []
        for name in mod.__all__:
            obj = getattr(mod, name)
            kind = _kind(obj)
            full = f"{modname}.{name}"
            if kind == "module":
                entries += [f".. rubric:: {name}", "",
                            f"The subpackage :py:mod:`{obj.__name__}` (:doc:`its page <{obj.__name__}>`)."
                            if obj.__name__ in PUBLIC_MODULES else (inspect.getdoc(obj) or "").split("\n")[0], ""]
                continue
            if kind == "data":
                entries += [f".. py:data:: {name}", f"   :type: {type(obj).__name__}", "",
                            "   " + _data_summary(obj), ""]
                continue
            if not (inspect.getdoc(obj) or "").strip():
                missing.append(full)
            if id(obj) in seen:
                entries += [f".. py:{kind}:: {name}", "   :no-index-entry:", "",
                            f"   The same object as :py:{'class' if kind == 'class' else 'func'}:`{seen[id(obj)]}`.", ""]
                continue
            seen[id(obj)] = full
            entries += [f".. auto{kind}:: {name}"] + (["   :members:"] if kind == "class" else []) + [""]
        names = [n for n in mod.__all__ if _kind(getattr(mod, n)) in ("class", "function")]
        if names:
            out += [".. autosummary::", "", *[f"   {n}" for n in names], ""]
        pages[modname] = "\n".join(out + entries)
    for name in missing:
        LOG.warning(f"linrbp docs: public name {name} has no docstring")
    return pages


# --------------------------------------------------------------------------- gallery
def gallery_page(outdir: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
    from linrbp.plots import FIGURES

    imgdir = outdir / "gallery"
    imgdir.mkdir(parents=True, exist_ok=True)
    out = ["# Gallery", "",
           "Every figure of `linrbp figures`, drawn while these pages were built, at the "
           "command's own settings (seed 0), at 150 dpi: click a figure for the full-size "
           "image. Under each figure: the command that draws it and, folded, the source of "
           "the function that draws it.", ""]
    for name, spec in FIGURES.items():
        kwargs = dict(GALLERY_KWARGS.get(name, {}))
        if spec.seeded:
            kwargs["seed"] = 0
        fig = spec.make(**kwargs)
        fig.savefig(imgdir / f"{name}.png", dpi=GALLERY_DPI)
        matplotlib.pyplot.close(fig)
        src = inspect.getsource(spec.make)
        mod = inspect.getmodule(spec.make).__name__
        # :width: makes Sphinx wrap the image in a link to the full-size file
        out += [f"## `{name}`: {spec.title}", "",
                f"```{{image}} gallery/{name}.png", f":alt: {name}", ":width: 100%", "```", "",
                f"`linrbp figures --only {name}`, drawn by `{mod}.{spec.make.__name__}`.", "",
                "```{raw} html", '<details class="gallery-source"><summary>Source</summary>', "```", "",
                "```{code-block} python", "", src.rstrip(), "```", "",
                "```{raw} html", "</details>", "```", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- hook
def generate(app) -> None:
    src = Path(app.srcdir)
    root = src.parent
    gen = src / "generated"
    gen.mkdir(exist_ok=True)
    _write(gen / "claims.md", claims_page(root))
    _write(gen / "cli.md", cli_page())
    pages = api_pages()
    for modname, text in pages.items():
        _write(gen / "api" / f"{modname}.rst", text)
    for stale in (gen / "api").glob("*"):  # a page of an earlier layout or a removed module
        if stale.is_file() and stale.stem not in pages and stale.name != "index.md":
            stale.unlink()
    _write(gen / "api" / "index.md", "# API reference\n\n"
           "Generated from the docstrings of the public API: every name of each module's "
           "`__all__`, rendered by Sphinx autodoc (numpydoc sections read by napoleon).\n\n"
           "```{toctree}\n:maxdepth: 1\n\n" + "\n".join(PUBLIC_MODULES) + "\n```\n")
    if os.environ.get("LINRBP_DOCS_FAST") != "1":
        _write(gen / "gallery.md", gallery_page(gen))
    else:
        _write(gen / "gallery.md", "# Gallery\n\n(skipped: LINRBP_DOCS_FAST=1)\n")
    nb = gen / "notebooks"
    nb.mkdir(exist_ok=True)
    for f in sorted((root / "notebooks").glob("*.ipynb")):
        if not (nb / f.name).exists() or (nb / f.name).read_bytes() != f.read_bytes():
            shutil.copyfile(f, nb / f.name)


def setup(app):
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True}
