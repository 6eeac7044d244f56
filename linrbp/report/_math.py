"""TeX maths of the claims' statements, rendered for the HTML report with matplotlib's mathtext.

A statement is text with inline maths between ``$...$`` (one source for the report and the docs,
where MathJax renders the same delimiters). The report draws each formula at report time as an
inline SVG of glyph outlines (matplotlib's mathtext, Computer Modern): no fonts, scripts or
network are needed to read it, and it prints as vectors. Each glyph's outline is written once
per page (:class:`Glyphs`, a hidden ``<svg>`` of definitions) and every formula ``<use>``-s it,
so hundreds of formulas cost little. A formula mathtext cannot parse is shown as its TeX
source (class ``math-source``), never dropped.
"""

from __future__ import annotations

import functools
import html
import io
import re

__all__ = ["split_math", "tex_to_svg", "math_html", "Glyphs"]

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
def tex_to_svg(tex: str, size: float = 13.0) -> tuple[str, float, float, float]:
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


_GLYPH = re.compile(r'<path id="([^"]+)" (d="[^"]*"(?: transform="[^"]*")?)\s*/>')


class Glyphs:
    """The glyph outlines of the formulas of one page, by ID (written once, by ``defs()``)."""

    def __init__(self):
        self.paths: dict[str, str] = {}

    def defs(self) -> str:
        """A hidden ``<svg>`` holding every glyph the page's formulas use (empty without any)."""
        if not self.paths:
            return ""
        body = "".join(f'<path id="{gid}" {attrs}/>' for gid, attrs in self.paths.items())
        return (f'<svg class="math-glyphs" width="0" height="0" aria-hidden="true" '
                f'style="position:absolute;width:0;height:0;overflow:hidden"><defs>{body}</defs></svg>')


def _formula(tex: str, glyphs: Glyphs | None) -> str:
    esc = html.escape
    try:
        svg, w, h, d = tex_to_svg(tex)
    except ValueError:  # mathtext does not know it: the TeX source, marked
        return f'<code class="math-source">{esc(tex)}</code>'
    own = Glyphs() if glyphs is None else glyphs
    for gid, attrs in _GLYPH.findall(svg):
        own.paths.setdefault(gid, attrs)
    inner = svg[svg.index(">", svg.index("<svg")) + 1:svg.rindex("</svg>")]
    inner = re.sub(r"<defs>.*?</defs>", "", inner, flags=re.S)
    inner = re.sub(r' id="[^"]*"', "", inner).replace("xlink:href=", "href=")
    if glyphs is None:  # a formula on its own carries its glyphs
        inner = "<defs>" + "".join(f'<path id="{g}" {a}/>' for g, a in own.paths.items()) + "</defs>" + inner
    view = re.search(r'viewBox="([^"]*)"', svg).group(1)
    label = esc(tex, quote=True)
    return (f'<svg class="math" role="img" aria-label="{label}" viewBox="{view}" '
            f'style="width:{w:.2f}pt;height:{h:.2f}pt;vertical-align:-{d:.2f}pt">'
            f'<title>{esc(tex)}</title>{inner.strip()}</svg>')


def math_html(text: str, glyphs: Glyphs | None = None) -> str:
    """``text`` as HTML: prose escaped, each ``$...$`` an inline ``<svg>`` (its label the TeX).

    With ``glyphs`` the formulas refer to outlines collected there (the page writes
    ``glyphs.defs()`` once); without, each formula carries its own.
    """
    return "".join(_formula(p, glyphs) if is_math else html.escape(p) for is_math, p in split_math(text))
