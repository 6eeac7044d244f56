"""Sphinx configuration of the linrbp docs (Sphinx + MyST-NB; build: ``linrbp docs``)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

import linrbp  # noqa: E402

project = "linrbp"
author = "the linrbp developers"
copyright = "2026, the linrbp developers"
version = release = linrbp.__version__

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.mathjax", "linrbp_docs"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "_ext", "examples", "**.ipynb_checkpoints"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "force"          # the notebooks run during every build
nb_execution_timeout = 600
nb_execution_raise_on_error = True   # a notebook that raises fails the build
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": False}
html_theme = "alabaster"
html_title = f"linrbp {release}"
html_static_path = []
# Offline: no intersphinx, no remote images; MathJax is the one script a page loads, and the
# maths reads as TeX source without it.
suppress_warnings = ["myst.xref_missing"] if False else []
