"""The verification report as one self-contained HTML file (``linrbp verify --html``).

Inline CSS, inline PNG figures (full size on click: a link to the figure, which CSS then shows
over the page, one copy of the image) and the statements' maths drawn as inline SVG by
matplotlib's mathtext
(:mod:`linrbp.report._math`); no JavaScript, no fonts, no network: the file reads the same in a
browser, an e-mail attachment or a paper's supplement, and prints as one (print styles). The
header records the provenance: linrbp's version and git commit, the versions of numpy, scipy,
sympy and matplotlib, the machine, the seed. Per claim: statement and reference, each check's
worst error against its tolerance on a log-scale bar with what the error measures (the check's
``metric``), instances and seconds, the worst instance as a short summary (the JSON folded below
it) with the command that draws and measures that instance alone, and the claim's figure where
``linrbp figures`` has one.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
import math
import os
import platform

from ..catalogue._catalogue import KIND_METRIC
from ._math import Glyphs, math_html
from ._summary import instance_items, reproduce_command

__all__ = ["FIGURE_OF_CLAIM", "render_report", "claim_thumbnails"]

# Claim ID -> the `linrbp figures` figure that illustrates it (metadata as data).
FIGURE_OF_CLAIM = {
    "poly1d": "poly1d",
    "chain111": "chain111-portrait",
    "chain": "chain-depths",
    "wide1N1": "wide1N1",
    "autoencoder": "autoencoder",
    "single-hidden": "single-hidden",
    "nonlinear": "nonlinear",
    "arbp-offset": "arbp",
    "rbp-modes": "rbp-modes",
    "sgd-ode": "sgd-ode",
}

# The bar spans errors from 1e-18 to 1e2 on a log scale; the tolerance is marked on it.
_LOG_MIN, _LOG_MAX = -18.0, 2.0

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1200px;color:#1b1b1b;line-height:1.4;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top;font-size:.92em}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.pass{color:#0a6b2a;font-weight:600}.fail,.error{color:#b00020;font-weight:600}
tr.claim-fail td,tr.claim-error td{background:#fff0f0}
.bar{position:relative;width:150px;height:12px;background:#eee;border-radius:2px}
.bar .err{position:absolute;left:0;top:0;height:12px;border-radius:2px}
.bar .ok{background:#3a9d5d}.bar .bad{background:#d0353f}
.bar .tol{position:absolute;top:-2px;width:2px;height:16px;background:#111}
section.claim{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;margin:1.2em 0}
section.claim.failed{border-color:#d0353f;border-width:2px}
section.claim h2{font-size:1.15em;margin:.2em 0}
.statement{white-space:pre-wrap}
svg.math{display:inline-block;margin:0 .05em;overflow:visible}
code.math-source{background:#fff6e0}
td.metric{color:#333;min-width:12em;max-width:26em}
td.check{min-width:9em;max-width:20em;overflow-wrap:anywhere}
div.checks{overflow-x:auto;clear:both}div.checks td,div.checks th{font-size:.85em}
div.checks td.metric{font-size:.8em}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.5em;overflow-x:auto;font-size:.85em;max-height:18em}
figure.thumb{float:right;width:min(42%,480px);margin:0 0 .5em 1em}
figure.thumb img{width:100%;height:auto;border:1px solid #ddd;cursor:zoom-in}
figure.thumb figcaption{font-size:.8em;color:#555;text-align:right}
.meta td{border:none;padding:.1em .6em .1em 0}
figure.thumb:target{position:fixed;inset:0;z-index:10;width:auto;margin:0;float:none;
background:rgba(0,0,0,.85);display:flex;flex-direction:column;align-items:center;justify-content:center}
figure.thumb:target img{width:auto;max-width:98vw;max-height:93vh;background:#fff;cursor:default}
figure.thumb .close{display:none}figure.thumb:target .close{display:inline;color:#fff;font-size:1.2em}
figure.thumb:target .full{display:none}
dl.instance{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;font-size:.9em}
dl.instance dt{font-family:monospace}dl.instance dd{margin:0;font-family:monospace}
details>summary{cursor:pointer}
.kinds{font-size:.9em;color:#333}
@media print{
body{max-width:none;margin:0;font-size:10pt}
.bar{-webkit-print-color-adjust:exact;print-color-adjust:exact}
section.claim{break-inside:avoid-page}
pre{max-height:none;white-space:pre-wrap}
details.full-json,figure.thumb figcaption{display:none}
div.checks{overflow:visible}
a{color:inherit;text-decoration:none}
figure.thumb{width:45%}
}
.certified{background:#e3f4e8;color:#0a6b2a;border:1px solid #3a9d5d;border-radius:3px;padding:0 .3em;font-size:.85em;white-space:nowrap}
.certified.partly{background:#fff6e0;color:#8a5a00;border-color:#d19a00}
"""



def _bar(err: float, tol: float) -> str:
    def pos(x):
        if not (isinstance(x, (int, float)) and math.isfinite(x)):
            return 100.0
        if x <= 0:
            return 0.0
        return min(100.0, max(0.0, (math.log10(x) - _LOG_MIN) / (_LOG_MAX - _LOG_MIN) * 100))

    ok = isinstance(err, (int, float)) and math.isfinite(err) and err <= tol
    return (f'<div class="bar" title="log10 scale 1e{int(_LOG_MIN)} .. 1e{int(_LOG_MAX)}">'
            f'<div class="err {"ok" if ok else "bad"}" style="width:{pos(err):.1f}%"></div>'
            f'<div class="tol" style="left:{pos(tol):.1f}%"></div></div>')


def _num(x) -> str:
    if isinstance(x, (int, float)):
        return "0" if x == 0 else f"{x:.3g}"
    return html.escape(str(x))


def claim_thumbnails(ids, seed: int = 0) -> dict[str, str]:
    """Base64 PNG thumbnails of the figures of the given claims (those that have one)."""
    from ..plots import FIGURES

    import matplotlib.pyplot as plt

    out = {}
    for cid in ids:
        name = FIGURE_OF_CLAIM.get(cid)
        if name is None or name not in FIGURES:
            continue
        spec = FIGURES[name]
        fig = spec.make(**({"seed": seed} if spec.seeded else {}))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=150)  # a thumbnail scaled by CSS, full size on click
        plt.close(fig)
        out[cid] = base64.b64encode(buf.getvalue()).decode("ascii")
    return out


def provenance() -> dict[str, str]:
    """What produced a report: the versions of linrbp, numpy, scipy, sympy and matplotlib, the
    git commit of a source checkout (with "+ changes" when its tree differs from the commit),
    the machine and the Python."""
    import subprocess
    from importlib import metadata
    from pathlib import Path

    out = {}
    for dist in ("linrbp", "numpy", "scipy", "sympy", "matplotlib"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    root = Path(__file__).resolve().parents[2]
    commit = "not a git checkout"
    if (root / ".git").exists():
        try:
            head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                  text=True, timeout=10)
            dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                   capture_output=True, text=True, timeout=10)
            if head.returncode == 0:
                commit = head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")
        except (OSError, subprocess.SubprocessError):
            pass
    out["commit"] = commit
    out["machine"] = (f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, "
                      f"{platform.platform()}, Python {platform.python_version()})")
    return out


def _instance_summary(inst) -> str:
    """A worst instance as a short definition list (:func:`instance_items`; the full JSON is
    folded below it)."""
    esc = html.escape
    return ('<dl class="instance">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>"
                                              for k, v in instance_items(inst)) + "</dl>")


def render_report(report: dict, statements: dict[str, str], thumbnails: dict[str, str] | None = None,
                  *, version: str = "", date: str | None = None, claim_files=()) -> str:
    """The HTML text of a ``verify`` report (the dict of ``linrbp.claims._run.verify``).

    ``statements`` maps claim IDs to their statements (text with ``$...$`` TeX maths);
    ``thumbnails`` claim IDs to base64 PNGs; ``claim_files`` the ``--claims`` files the
    reproducing commands name.
    """
    thumbnails = thumbnails or {}
    esc = html.escape
    glyphs = Glyphs()
    claims = report["claims"]
    n_pass = sum(c["status"] == "pass" for c in claims)
    date = date or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    prov = provenance()
    h = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
         f'<title>linrbp verify: {n_pass}/{len(claims)} claims pass</title>',
         f'<style>{_CSS}</style></head><body>',
         f'<h1>linrbp verification report</h1>',
         '<table class="meta">',
         f'<tr><td>linrbp</td><td>{esc(version or prov["linrbp"])}</td></tr>',
         f'<tr><td>commit</td><td id="commit">{esc(prov["commit"])}</td></tr>',
         f'<tr><td>versions</td><td id="versions">numpy {esc(prov["numpy"])}, scipy {esc(prov["scipy"])}, '
         f'sympy {esc(prov["sympy"])}, matplotlib {esc(prov["matplotlib"])}</td></tr>',
         f'<tr><td>seed</td><td>{report.get("seed", 0)}</td></tr>',
         f'<tr><td>samples</td><td>{report.get("samples") or "each check&#8217;s default"}</td></tr>',
         f'<tr><td>date</td><td>{esc(date)}</td></tr>',
         f'<tr><td>machine</td><td>{esc(prov["machine"])}</td></tr>',
         f'<tr><td>total time</td><td>{report.get("seconds", 0.0):.1f} s</td></tr>',
         f'<tr><td>result</td><td class="{"pass" if report.get("passed") else "fail"}" id="summary">'
         f'{n_pass}/{len(claims)} claims pass</td></tr></table>',
         '<h2>Summary</h2>',
         '<p class="kinds">Each check computes one quantity by two independent routes and '
         'reports the worst error over its instances next to its tolerance; it passes when the '
         'worst error is at most the tolerance. What each error measures, and in which unit, is '
         'stated beside the check. A <b>symbolic</b> check\'s error is '
         f'{esc(KIND_METRIC["symbolic"])} (tolerance 0). A claim\'s row shows its check with the '
         'worst error / tolerance ratio.</p>',
         '<table id="claims"><thead><tr><th>claim</th><th>reference</th><th>status</th>'
         '<th>instances</th><th>worst error</th><th>tolerance</th><th>worst / tolerance</th>'
         '<th>seconds</th></tr></thead><tbody>']
    for c in claims:
        h.append(f'<tr class="claim-row claim-{esc(c["status"])}" data-claim="{esc(c["id"])}">'
                 f'<td><a href="#{esc(c["id"])}">{esc(c["id"])}</a></td><td>{esc(c["reference"])}</td>'
                 f'<td class="{esc(c["status"])}">{esc(c["status"])}</td>'
                 f'<td class="num">{c["instances"]}</td><td class="num">{_num(c["max_error"])}</td>'
                 f'<td class="num">{_num(c["tolerance"])}</td><td>{_bar(c["max_error"], c["tolerance"])}</td>'
                 f'<td class="num">{c["seconds"]:.2f}</td></tr>')
    h.append('</tbody></table>')
    for c in claims:
        failed = c["status"] != "pass"
        h.append(f'<section class="claim{" failed" if failed else ""}" id="{esc(c["id"])}">')
        if c["id"] in thumbnails:
            src = f'data:image/png;base64,{thumbnails[c["id"]]}'
            fid = esc(f'fig-{c["id"]}')
            # one copy of the image: the figure itself is the link's target, shown full size
            # over the page by CSS (:target), closed by the link back to the claim
            h.append(f'<figure class="thumb" id="{fid}"><a href="#{fid}" title="full size">'
                     f'<img class="thumb" alt="figure of {esc(c["id"])}" src="{src}"></a>'
                     f'<figcaption><a class="full" href="#{fid}">full size</a>'
                     f'<a class="close" href="#{esc(c["id"])}">close</a></figcaption></figure>')
        h.append(f'<h2>{esc(c["id"])}: {math_html(c["title"], glyphs)} '
                 f'<span class="{esc(c["status"])}">[{esc(c["status"])}]</span></h2>')
        h.append(f'<p><b>Reference:</b> {esc(c["reference"])}</p>')
        h.append(f'<p class="statement">{math_html(statements.get(c["id"], "").strip(), glyphs)}</p>')
        if c.get("message"):
            h.append(f'<p class="error">error: {esc(c["message"])}</p>')
        h.append('<div class="checks"><table><thead><tr><th>check</th><th>kind</th><th>error measured</th><th>worst error</th>'
                 '<th>tolerance</th><th>worst vs tolerance (log scale)</th><th>instances</th><th>seconds</th>'
                 '<th>status</th></tr></thead><tbody>')
        for k in c["checks"]:
            st = "pass" if k["passed"] else "fail"
            metric = k.get("metric") or KIND_METRIC.get(k["kind"], KIND_METRIC["numeric"])
            if k["kind"] == "symbolic" and metric == KIND_METRIC["symbolic"]:
                metric = "exact identity: 0 if it simplifies to zero, else 1"  # said in full above
            h.append(f'<tr><td class="check">{esc(k["check"])}</td><td>{esc(k["kind"])}{_certified(k)}</td>'
                     f'<td class="metric">{math_html(metric, glyphs)}</td>'
                     f'<td class="num">{_num(k["max_error"])}</td><td class="num">{_num(k["tolerance"])}</td>'
                     f'<td>{_bar(k["max_error"], k["tolerance"])}</td><td class="num">{k["instances"]}</td>'
                     f'<td class="num">{k["seconds"]:.2f}</td><td class="{st}">{st}</td></tr>')
        h.append('</tbody></table></div>')
        worst = _worst_check(c)
        if worst is not None:
            number = worst.get("worst_instance_number")
            which = f"instance {number} of {worst['instances']}" if number else "worst instance"
            cmd = reproduce_command(c["id"], worst, report.get("seed", 0), report.get("samples"),
                                    claim_files)
            h.append(f'<p class="worst">Worst instance: check <i>{esc(worst["check"])}</i>, {which}, '
                     f'seed {report.get("seed", 0)}: error {_num(worst["max_error"])} against '
                     f'{_num(worst["tolerance"])}. Draw and measure it alone: '
                     f'<code class="reproduce">{esc(cmd)}</code></p>')
            h.append(_instance_summary(worst["worst_instance"]))
            h.append('<details class="full-json"><summary>the instance as JSON</summary>'
                     f'<pre>{esc(json.dumps(worst["worst_instance"], indent=1)[:20000])}</pre></details>')
        h.append('</section>')
    h.append('</body></html>')
    h.insert(h.index('<h1>linrbp verification report</h1>'), glyphs.defs())
    return "\n".join(h) + "\n"


def _certified(check: dict) -> str:
    """The mark of a check certified by ``verify --certify`` (empty for the others)."""
    ce = check.get("certified")
    if not ce:
        return ""
    ok = ce["certified"] == ce["checker_holds"] == ce["instances"]
    title = html.escape(f"certified in ball arithmetic and re-checked exactly: {ce['covers']}; "
                        f"{len(ce['refused'])} refused, {len(ce['rejected'])} rejected")
    return (f' <span class="certified{"" if ok else " partly"}" title="{title}">certified '
            f'{ce["checker_holds"]}/{ce["instances"]}</span>')


def _worst_check(claim: dict):
    def ratio(k):
        e, t = k["max_error"], k["tolerance"]
        if not isinstance(e, (int, float)) or not math.isfinite(e):
            return math.inf
        return e / t if t > 0 else (0.0 if e == 0 else math.inf)

    checks = [k for k in claim["checks"] if k.get("worst_instance") is not None]
    # ties (all errors 0, say) go to a numeric check, whose instance says more than an identity's
    return max(checks, key=lambda k: (ratio(k), k["kind"] != "symbolic", k["max_error"])) if checks else None
