"""The verification report as one self-contained HTML file (``linrbp verify --html``).

Inline CSS and inline PNG thumbnails, no JavaScript, no network: the file reads the same in a
browser, an e-mail attachment or a paper's supplement. Per claim: statement and reference, each
check's worst error against its tolerance on a log-scale bar, instances and seconds, the worst
instance as JSON with the command that reproduces the run, and the claim's figure where
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
max-width:1100px;color:#1b1b1b;line-height:1.4;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top;font-size:.92em}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.pass{color:#0a6b2a;font-weight:600}.fail,.error{color:#b00020;font-weight:600}
tr.claim-fail td,tr.claim-error td{background:#fff0f0}
.bar{position:relative;width:220px;height:12px;background:#eee;border-radius:2px}
.bar .err{position:absolute;left:0;top:0;height:12px;border-radius:2px}
.bar .ok{background:#3a9d5d}.bar .bad{background:#d0353f}
.bar .tol{position:absolute;top:-2px;width:2px;height:16px;background:#111}
section.claim{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;margin:1.2em 0}
section.claim.failed{border-color:#d0353f;border-width:2px}
section.claim h2{font-size:1.15em;margin:.2em 0}
.statement{white-space:pre-wrap}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.5em;overflow-x:auto;font-size:.85em;max-height:18em}
img.thumb{float:right;max-width:300px;margin:0 0 .5em 1em;border:1px solid #ddd}
.meta td{border:none;padding:.1em .6em .1em 0}
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

    out = {}
    for cid in ids:
        name = FIGURE_OF_CLAIM.get(cid)
        if name is None or name not in FIGURES:
            continue
        spec = FIGURES[name]
        fig = spec.make(**({"seed": seed} if spec.seeded else {}))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=45)
        out[cid] = base64.b64encode(buf.getvalue()).decode("ascii")
    return out


def _command(report: dict, cid: str) -> str:
    parts = ["linrbp verify", f"--only {cid}", f"--seed {report.get('seed', 0)}"]
    if report.get("samples"):
        parts.append(f"--samples {report['samples']}")
    parts.append("--json worst.json")
    return " ".join(parts)


def render_report(report: dict, statements: dict[str, str], thumbnails: dict[str, str] | None = None,
                  *, version: str = "", date: str | None = None) -> str:
    """The HTML text of a ``verify`` report (the dict of :func:`linrbp.cli._verify.verify`).

    ``statements`` maps claim IDs to their statements; ``thumbnails`` claim IDs to base64 PNGs.
    """
    thumbnails = thumbnails or {}
    esc = html.escape
    claims = report["claims"]
    n_pass = sum(c["status"] == "pass" for c in claims)
    date = date or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    machine = f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()})"
    h = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
         f'<title>linrbp verify: {n_pass}/{len(claims)} claims pass</title>',
         f'<style>{_CSS}</style></head><body>',
         f'<h1>linrbp verification report</h1>',
         '<table class="meta">',
         f'<tr><td>linrbp</td><td>{esc(version)}</td></tr>',
         f'<tr><td>seed</td><td>{report.get("seed", 0)}</td></tr>',
         f'<tr><td>samples</td><td>{report.get("samples") or "each check&#8217;s default"}</td></tr>',
         f'<tr><td>date</td><td>{esc(date)}</td></tr>',
         f'<tr><td>machine</td><td>{esc(machine)}</td></tr>',
         f'<tr><td>total time</td><td>{report.get("seconds", 0.0):.1f} s</td></tr>',
         f'<tr><td>result</td><td class="{"pass" if report.get("passed") else "fail"}" id="summary">'
         f'{n_pass}/{len(claims)} claims pass</td></tr></table>',
         '<h2>Summary</h2>',
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
            h.append(f'<img class="thumb" alt="figure of {esc(c["id"])}" '
                     f'src="data:image/png;base64,{thumbnails[c["id"]]}">')
        h.append(f'<h2>{esc(c["id"])}: {esc(c["title"])} '
                 f'<span class="{esc(c["status"])}">[{esc(c["status"])}]</span></h2>')
        h.append(f'<p><b>Reference:</b> {esc(c["reference"])}</p>')
        h.append(f'<p class="statement">{esc(statements.get(c["id"], "").strip())}</p>')
        if c.get("message"):
            h.append(f'<p class="error">error: {esc(c["message"])}</p>')
        h.append('<table><thead><tr><th>check</th><th>kind</th><th>worst error</th><th>tolerance</th>'
                 '<th>worst vs tolerance (log scale)</th><th>instances</th><th>seconds</th>'
                 '<th>status</th></tr></thead><tbody>')
        for k in c["checks"]:
            st = "pass" if k["passed"] else "fail"
            h.append(f'<tr><td>{esc(k["check"])}</td><td>{esc(k["kind"])}{_certified(k)}</td>'
                     f'<td class="num">{_num(k["max_error"])}</td><td class="num">{_num(k["tolerance"])}</td>'
                     f'<td>{_bar(k["max_error"], k["tolerance"])}</td><td class="num">{k["instances"]}</td>'
                     f'<td class="num">{k["seconds"]:.2f}</td><td class="{st}">{st}</td></tr>')
        h.append('</tbody></table>')
        worst = _worst_check(c)
        if worst is not None:
            h.append(f'<p>Worst instance (check <i>{esc(worst["check"])}</i>); reproduce with '
                     f'<code>{esc(_command(report, c["id"]))}</code>:</p>')
            h.append(f'<pre>{esc(json.dumps(worst["worst_instance"], indent=1)[:20000])}</pre>')
        h.append('</section>')
    h.append('</body></html>')
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
    return max(checks, key=ratio) if checks else None
