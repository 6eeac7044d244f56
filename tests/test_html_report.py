"""`linrbp verify --html`: one self-contained HTML report, read by a real headless browser.

Chromium (Debian's `chromium`, installed by .ci/run) renders the report: the screenshot is not
blank, the DOM has one summary row per claim run, the page logs nothing to the console, a
claim that fails (a claim registered with a check that cannot pass) shows as failed, and every
$...$ formula of the statements and metrics is drawn as an image the browser decodes. The
report's command for a claim's worst instance draws that instance alone, with the same error.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")

# A claim file: one check that fails (error 1 against tolerance 0), registered beside the
# catalogue, then the real CLI writes the report for `structure` and it.
SCRIPT = textwrap.dedent("""
    import sys
    import linrbp
    from linrbp.cli import main
    linrbp.get_claims()
    linrbp.register(linrbp.Claim(
        "demo-false", "A false claim", "test", "$1 = 0$ (a claim that must fail)",
        [linrbp.Check("one-equals-zero", 0.0, lambda rng: {"x": float(rng.random())},
                      error=lambda inst: 1.0, samples=2)]))
    sys.exit(main(["verify", "--only", "structure,demo-false", "--html", sys.argv[1],
                   "--json", sys.argv[2]]))
""")


def _browser(*args, url):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
           "--v=0", "--no-first-run", "--disable-extensions", *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def _console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    html, js = out / "report.html", out / "report.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(html), str(js)], capture_output=True,
                       text=True, cwd=out, env=env, timeout=300)
    assert r.returncode == 1, r.stderr  # a failing claim: exit 1
    return html


def _formulas(text: str) -> int:
    return len(re.findall(r"\$[^$]+\$", text))


def test_report_is_self_contained(report):
    text = report.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    # no network: every src/href is inline data or an in-page anchor
    for ref in re.findall(r'(?:src|href)="([^"]*)"', text):
        assert ref.startswith(("data:", "#")), ref
    assert "--only structure --check" in text and "--instance" in text  # the reproducing command
    # provenance: the versions and the commit (or why there is none), as the live package says
    import numpy, scipy, sympy
    from importlib.metadata import version
    versions = re.search(r'<td id="versions">([^<]*)</td>', text).group(1)
    for mod in (numpy, scipy, sympy):
        assert f"{mod.__name__} {version(mod.__name__)}" in versions
    commit = re.search(r'<td id="commit">([^<]*)</td>', text).group(1)
    if (ROOT / ".git").exists():
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        assert commit.startswith(head), (commit, head)
    assert "@media print" in text
    # the failing demo claim's worst instance as a short summary, the JSON folded
    assert '<dl class="instance"><dt>x</dt>' in text and '<details class="full-json">' in text


@needs_browser
def test_browser_renders_rows_marks_the_failure_and_draws_every_formula(report, tmp_path):
    # The browser reads a copy of the report with a probe script (the report itself has none)
    # that counts the formulas it laid out whose glyphs resolve; the expected count is read off
    # the TeX sources.
    import linrbp

    structure = linrbp.get_claims(["structure"])[0]
    sources = [structure.title, structure.statement, "$1 = 0$ (a claim that must fail)"]
    sources += [chk.metric for chk in structure.checks]
    expected = sum(_formulas(t) for t in sources)
    assert expected >= 10
    # a formula counts when it has a size on the page and each glyph it uses resolves
    probe = ("<script>addEventListener('load', () => document.body.setAttribute('data-drawn', "
             "[...document.querySelectorAll('svg.math')].filter(f => {const b = f.getBoundingClientRect(); "
             "const uses = [...f.querySelectorAll('use')]; return b.width > 0 && b.height > 0 && uses.length > 0 "
             "&& uses.every(u => document.getElementById(u.getAttribute('href').slice(1)) !== null)}).length))"
             "</script>")
    page = tmp_path / "probe.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8")
    r = _browser("--dump-dom", url=page.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    rows = re.findall(r'<tr class="claim-row claim-(\w+)" data-claim="([^"]+)"', dom)
    assert sorted(rows) == [("fail", "demo-false"), ("pass", "structure")]
    assert re.search(r'id="demo-false"[^>]*>|<section class="claim failed" id="demo-false"', dom)
    assert "1/2 claims pass" in dom
    assert _console_lines(r.stderr) == []
    drawn = re.search(r'data-drawn="(\d+)"', dom)
    assert drawn is not None, dom[:2000]
    assert int(drawn.group(1)) == expected
    assert '<code class="math-source"' not in dom  # no formula fell back to its TeX source


@needs_browser
def test_browser_screenshot_is_not_blank(report, tmp_path):
    from matplotlib.image import imread

    png = tmp_path / "shot.png"
    r = _browser(f"--screenshot={png}", "--window-size=1200,1400", url=report.as_uri())
    assert r.returncode == 0 and png.exists(), r.stderr[-2000:]
    img = imread(png)[..., :3]
    non_white = np.mean(np.any(img < 0.9, axis=-1))
    assert non_white > 0.02, f"only {non_white:.3%} of the screenshot is not white"
    assert np.std(img) > 0.05


@needs_browser
def test_console_check_sees_page_errors(tmp_path):
    # The console check of the test above can fail: a page that logs an error is caught.
    page = tmp_path / "bad.html"
    page.write_text('<html><body><script>console.error("boom")</script></body></html>')
    r = _browser("--dump-dom", url=page.as_uri())
    assert any("boom" in line for line in _console_lines(r.stderr))


def test_html_output_location_is_checked_before_work(tmp_path):
    r = subprocess.run([sys.executable, "-m", "linrbp", "verify", "--only", "structure", "--html",
                        str(tmp_path / "missing" / "r.html")], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "--html" in r.stderr and "does not exist" in r.stderr
    assert "claims pass" not in r.stdout  # nothing ran


def test_every_catalogue_check_states_its_error_and_its_formulas_are_drawable():
    # What each error measures is data on the check: every numeric check of the catalogue has
    # its own, and the table has no entry for a check that does not exist. Every formula of the
    # titles, statements and metrics has balanced braces and uses only TeX commands mathtext
    # (the report's renderer) draws: all of them are parsed together, once (parsing all 300
    # formulas one by one takes 2 s; the report test above draws structure's one by one).
    import linrbp
    from linrbp.catalogue._catalogue import KIND_METRIC
    from linrbp.claims._metrics import METRICS
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    claims = {c.id: c for c in linrbp.get_claims()}
    for c in claims.values():
        for chk in c.checks:
            assert chk.kind == "symbolic" or chk.metric.strip(), (c.id, chk.name)
    for cid, table in METRICS.items():
        assert cid in claims, cid
        names = {chk.name for chk in claims[cid].checks}
        assert set(table) <= names, (cid, set(table) - names)
    texts = [t for c in claims.values() for t in (c.title, c.statement, *(k.metric for k in c.checks))]
    texts += list(KIND_METRIC.values())
    commands = set()
    for text in texts:
        assert text.count("$") % 2 == 0, text
        for formula in re.findall(r"\$([^$]+)\$", text):
            depth = 0
            for ch in formula.replace("\\{", "").replace("\\}", ""):
                depth += {"{": 1, "}": -1}.get(ch, 0)
                assert depth >= 0, formula
            assert depth == 0, formula
            commands |= set(re.findall(r"\\[A-Za-z]+", formula))
    assert sum(_formulas(c.statement) for c in claims.values()) >= len(claims)
    args = {"\\frac": "{1}{2}", "\\sqrt": "{2}", "\\mathrm": "{d}", "\\mathsf": "{T}"}
    probe = " ".join("{%s%s}" % (cmd, args.get(cmd, "")) for cmd in sorted(commands))
    MathTextParser("path").parse(f"${probe}$", dpi=72, prop=FontProperties(size=12))


def test_report_command_reproduces_the_worst_instance_alone(report, tmp_path, capsys):
    # The command the report prints for structure's worst instance, run as printed (in this
    # process: the claims are loaded), draws that instance alone: same instance, same error.
    from linrbp.cli import main

    text = report.read_text(encoding="utf-8")
    full = json.loads((report.parent / "report.json").read_text())
    rec = next(c for c in full["claims"] if c["id"] == "structure")
    assert all(k["metric"].strip() and k["worst_instance_number"] for k in rec["checks"])  # keys added
    cmd = re.search(r'<section class="claim" id="structure">.*?<code class="reproduce">([^<]*)</code>',
                    text, re.S).group(1)
    import html as _html

    argv = shlex.split(_html.unescape(cmd))
    assert argv[:2] == ["linrbp", "verify"]
    name = argv[argv.index("--check") + 1]
    worst = next(k for k in rec["checks"] if k["check"] == name)
    k = int(argv[argv.index("--instance") + 1])
    assert k == worst["worst_instance_number"] and 1 <= k <= worst["instances"]
    out = tmp_path / "one.json"
    assert main([*argv[1:], "--json", str(out)]) == 0
    one = json.loads(out.read_text())["claims"][0]["checks"]
    assert len(one) == 1 and one[0]["instances"] == 1 and one[0]["check"] == name
    assert one[0]["worst_instance"] == worst["worst_instance"]
    assert one[0]["max_error"] == worst["max_error"]
    assert one[0]["metric"] == worst["metric"] and one[0]["worst_instance_number"] == k
    assert f"instance {k}: error" in capsys.readouterr().out


def test_instance_option_checks_its_values_before_work(capsys):
    from linrbp.cli import main

    for argv, words in ((["--only", "structure", "--check", "no-such-check"], "has no check 'no-such-check'"),
                        (["--only", "structure", "--check", "Fact 3: T - O = 0 gives zero updates",
                          "--instance", "31"], "draws instances 1..30"),
                        (["--only", "structure", "--check", "Fact 3: T - O = 0 gives zero updates",
                          "--samples", "5", "--instance", "6"], "1..5 with --samples 5"),
                        (["--only", "structure", "--instance", "2"], "needs --check"),
                        (["--only", "structure,poly1d", "--check", "x"], "exactly one claim")):
        assert main(["verify", *argv]) == 2
        captured = capsys.readouterr()
        assert captured.err.count("\n") == 1 and words in captured.err, (argv, captured.err)
        assert "claims pass" not in captured.out  # nothing ran


def test_figure_is_embedded_once_scaled_and_opens_full_size():
    # A claim with a figure: one copy of the PNG, scaled by CSS (no fixed pixel width), inside
    # the element a "full size" link targets (CSS shows the target over the page).
    import base64
    import io

    import linrbp
    from linrbp.report import render_report
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [1, 0])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    claim = linrbp.Claim("demo-fig", "A figure's claim", "test", "$x = x$",
                         [linrbp.Check("same", 0.0, lambda rng: {"x": float(rng.random())},
                                       error=lambda inst: 0.0, samples=2, metric="|x - x|")])
    report = {"claims": [linrbp.run_claim(claim)], "seed": 0, "samples": None, "seconds": 0.0,
              "passed": True}
    text = render_report(report, {"demo-fig": claim.statement}, {"demo-fig": png})
    assert text.count(png) == 1
    figure = re.search(r'<figure class="thumb" id="([^"]+)">(.*?)</figure>', text, re.S)
    assert figure is not None and png in figure.group(2)
    assert f'href="#{figure.group(1)}"' in figure.group(2)
    css = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    assert "figure.thumb:target" in css and not re.search(r"img\.thumb\{[^}]*max-width:\d+px", css)
    assert '<td class="metric">|x - x|</td>' in text  # the check's own metric, shown
