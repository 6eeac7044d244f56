"""Reports of verification runs (the self-contained HTML report of ``linrbp verify --html``)."""

from ._html import FIGURE_OF_CLAIM, claim_thumbnails, render_report

__all__ = ["FIGURE_OF_CLAIM", "claim_thumbnails", "render_report"]
