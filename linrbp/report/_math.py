"""TeX maths of the claims' statements, rendered for the HTML report with matplotlib's mathtext.

A statement is text with inline maths between ``$...$`` (one source for the report and the docs,
where MathJax renders the same delimiters). The report draws each formula at report time as an
SVG of glyph outlines (matplotlib's mathtext, Computer Modern), embedded as a ``data:`` image:
no fonts, scripts or network are needed to read it, and it prints as vectors. A formula
mathtext cannot parse is shown as its TeX source (class ``math-source``), never dropped.
"""

from __future__ import annotations

import functools
import html
import io
import re
from urllib.parse import quote

__all__ = ["split_math", "tex_to_svg", "math_html", "plain_math"]

# $...$ with no $ inside; a formula never spans a "$$".
_MATH = re.compile(r"\$([^$]+)\$")


def split_math(text: str) -> list[tuple[bool, str]]:
    """``text`` as ``(is_math, piece)`` pairs, maths without its dollars.

    Examples
    --------
    >>> split_math("so $a_1 a_2 = \\\\alpha/\\\\beta$ holds")
    [(False, 'so '), (True, 'a_1 a_2 = \\\\alpha/\\\\beta'), (False, ' holds')]
    """
    out, pos = [], 0
    for m in _MATH.finditer(text):
        if m.start() > pos:
            out.append((False, text[pos:m.start()]))
        out.append((True, m.group(1)))
        pos = m.end()
    if pos < len(text):
        out.append((False, text[pos:]))
    return out


@functools.lru_cache(maxsize=2048)
def tex_to_svg(tex: str, size: float = 12.0) -> tuple[str, float, float, float]:
    """One formula as an SVG document of glyph outlines: ``(svg, width, height, depth)`` in
    points (``depth``: how far it reaches below the baseline).

    Raises
    ------
    ValueError
        When mathtext cannot parse ``tex``.
    """
    import matplotlib
    from matplotlib import figure
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    s = f"${tex}$"
    with matplotlib.rc_context({"mathtext.fontset": "cm", "svg.fonttype": "path",
                                "svg.hashsalt": "linrbp", "text.usetex": False}):
        prop = FontProperties(size=size)
        width, height, depth, _, _ = MathTextParser("path").parse(s, dpi=72, prop=prop)
        fig = figure.Figure(figsize=(width / 72.0, height / 72.0))
        FigureCanvasSVG(fig)
        fig.patch.set_alpha(0.0)
        fig.text(0, depth / height, s, fontproperties=prop, color="#1b1b1b")
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
    return _compact(buf.getvalue().decode("utf-8")), float(width), float(height), float(depth)


def _compact(svg: str) -> str:
    """The SVG without what a browser does not need to draw it (XML prolog, metadata, the
    invisible background, comments, line breaks inside paths): about half the bytes."""
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>|<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'<g id="patch_1">.*?</g>', "", svg, flags=re.S)
    return re.sub(r"\s*\n\s*", " ", svg).strip()


def _formula(tex: str) -> str:
    esc = html.escape
    try:
        svg, w, h, d = tex_to_svg(tex)
    except ValueError:  # mathtext does not know it: the TeX source, marked
        return f'<code class="math-source">{esc(tex)}</code>'
    data = quote(svg, safe=" =:/;,'()-._~*!+[]")  # percent-encoded: smaller than base64
    return (f'<img class="math" alt="{esc(tex, quote=True)}" title="{esc(tex, quote=True)}" '
            f'style="width:{w:.2f}pt;height:{h:.2f}pt;vertical-align:-{d:.2f}pt" '
            f'src="data:image/svg+xml,{data}">')


def math_html(text: str) -> str:
    """``text`` as HTML: prose escaped, each ``$...$`` an inline SVG image (alt: its TeX)."""
    return "".join(_formula(p) if is_math else html.escape(p) for is_math, p in split_math(text))


def plain_math(text: str) -> str:
    """``text`` with the dollars dropped (the TeX source kept): the plain-text form."""
    return "".join(p for _, p in split_math(text))
