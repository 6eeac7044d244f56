"""Every ```python block of the narrative pages (docs/*.md) runs: a page's blocks in order, in
one namespace, in a temporary directory. A block followed directly by a ```text block must
print exactly that text (whitespace at line ends aside). A block that cannot run here says why
in a comment right above it, ``<!-- snippet: not run: REASON -->``; the reason is required."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
FENCE = re.compile(r"(<!-- snippet: not run: (?P<why>[^>]+?) -->\s*\n)?```python\n(?P<code>.*?)```\n"
                   r"(?:\s*\n```text\n(?P<out>.*?)```)?", re.S)


def _blocks(page: Path):
    return [(m["code"], m["out"], m["why"], page.read_text()[:m.start()].count("\n") + 1)
            for m in FENCE.finditer(page.read_text())]


PAGES = sorted(p for p in DOCS.glob("*.md") if "```python" in p.read_text())


def test_the_pattern_finds_every_block():
    for page in PAGES:
        assert len(_blocks(page)) == page.read_text().count("```python"), page.name


@pytest.fixture
def registries():
    """The rules and claims a page registers are forgotten after it (other tests register the
    same examples from their files)."""
    import linrbp

    from linrbp.core._rules import BUILTIN_RULES

    rules, claims = dict(linrbp.RULES), dict(linrbp.get_claims() and linrbp.CLAIMS)
    # a page runs as a reader pastes it into a fresh session: only linrbp's own rules are known
    # (a test module may have registered the page's example rule already)
    for name in [n for n in linrbp.RULES if n not in BUILTIN_RULES]:
        del linrbp.RULES[name]
    yield
    linrbp.RULES.clear()
    linrbp.RULES.update(rules)
    linrbp.CLAIMS.clear()
    linrbp.CLAIMS.update(claims)


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_snippets_run(page, tmp_path, monkeypatch, registries):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": f"snippets_{page.stem}"}
    ran = 0
    for code, expected, why, line in _blocks(page):
        if why is not None:
            assert why.strip(), f"{page.name}:{line}: a snippet not run must say why"
            continue
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, f"{page.name}:{line}", "exec"), ns)
        ran += 1
        if expected is not None:
            got = [s.rstrip() for s in buf.getvalue().strip().splitlines()]
            want = [s.rstrip() for s in expected.strip().splitlines()]
            assert got == want, f"{page.name}:{line}: printed\n{buf.getvalue()}\nthe page shows\n{expected}"
    assert ran or all(b[2] for b in _blocks(page))
