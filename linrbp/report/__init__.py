"""Reports of verification runs (the self-contained HTML report of ``linrbp verify --html``)."""

from ._html import FIGURE_OF_CLAIM, claim_thumbnails, render_report
from ._math import Glyphs, math_html, split_math, tex_to_svg
from ._summary import instance_items, reproduce_command

__all__ = ["FIGURE_OF_CLAIM", "claim_thumbnails", "render_report", "instance_items",
           "reproduce_command", "Glyphs", "math_html", "split_math", "tex_to_svg"]
