"""`linrbp verify --html`: one self-contained HTML report, read by a real headless browser.

Chromium (Debian's `chromium`, installed by .ci/run) renders the report: the screenshot is not
blank, the DOM has one summary row per claim run, the page logs nothing to the console, and a
claim that fails (a claim registered with a check that cannot pass) shows as failed.
"""

from __future__ import annotations

import os
import re
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
        "demo-false", "A false claim", "test", "1 = 0 (a claim that must fail)",
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


def test_report_is_self_contained(report):
    text = report.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    # no network: every src/href is inline data or an in-page anchor
    for ref in re.findall(r'(?:src|href)="([^"]*)"', text):
        assert ref.startswith(("data:", "#")), ref
    assert "worst.json" in text and "--only structure" in text  # the reproducing command
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
def test_browser_renders_one_row_per_claim_and_marks_the_failure(report):
    r = _browser("--dump-dom", url=report.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    rows = re.findall(r'<tr class="claim-row claim-(\w+)" data-claim="([^"]+)"', dom)
    assert sorted(rows) == [("fail", "demo-false"), ("pass", "structure")]
    assert re.search(r'id="demo-false"[^>]*>|<section class="claim failed" id="demo-false"', dom)
    assert "1/2 claims pass" in dom
    assert _console_lines(r.stderr) == []


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
