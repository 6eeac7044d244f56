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

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",      # numpydoc sections (Parameters, Returns, Raises, Examples)
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",   # MathJax 3 copied into _static: nothing is fetched when a page is read
    "linrbp_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "_ext", "examples", "**.ipynb_checkpoints"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "force"          # the notebooks run during every build
nb_execution_timeout = 600
nb_execution_raise_on_error = True   # a notebook that raises fails the build

# Options and commands are shown as typed: no "--" turned into an en-dash, no curly quotes.
smartquotes = False

# The API reference (generated/api/*.rst, from each public module's __all__)
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autosummary_generate = False
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_param = True
napoleon_preprocess_types = True
# A docstring anywhere may name a public class by its short name ("Instance", "Rule").
napoleon_type_aliases = {name: f"linrbp.{name}" for name in linrbp.__all__ if name[:1].isupper()
                         and isinstance(getattr(linrbp, name), type)}

# A reference that does not resolve is an error (``linrbp docs`` builds with -W). The one
# exception: names of Python, numpy, scipy, sympy, torch and matplotlib, whose inventories
# would have to be downloaded (the build is offline).
nitpicky = True
_EXTERNAL = (r"(builtins|collections|concurrent|typing|pathlib|os|io|argparse|dataclasses|enum|"
             r"numbers|types|abc|fractions|functools|multiprocessing|numpy|np|scipy|sympy|sp|torch|"
             r"matplotlib|mpl|dask|distributed|hypothesis|flint)(\..*)?")
_BUILTINS = (r"(int|float|complex|bool|str|bytes|dict|list|tuple|set|frozenset|object|type|None|"
             r"callable|Callable|Iterable|Iterator|Sequence|Mapping|Any|Optional|Union|Literal|"
             r"True|False|ndarray|array_like|array-like|optional|Path|PathLike|Generator|ValueError|TypeError|"
             r"KeyError|RuntimeError|OSError|KeyboardInterrupt|Exception|Executor|Figure|Axes|"
             r"Expr|Matrix|Symbol|Rational|Poly|Tensor|SeedSequence|Generator|default|shape|of)")
# numpydoc type descriptions ("array_like, shape (B, n)", "sequence of int") are read as
# words, not names: a token with a space, parenthesis or comma is never a Python name.
_DESCRIPTIVE = (r"(.*[\s(),].*|sequence|iterable|array_like|array|scalar|optional|function|object|"
                r"path|file|matrix|expression|instance)")
nitpick_ignore_regex = [(r"py:.*", _EXTERNAL), (r"py:.*", _BUILTINS), (r"py:class", _DESCRIPTIVE)]

html_theme = "furo"
html_title = f"linrbp {release}"
html_static_path = ["_static"]
html_css_files = ["linrbp.css"]
html_copy_source = False
# Offline: no intersphinx, no remote images, no remote fonts; MathJax is served from _static.
