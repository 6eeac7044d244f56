"""``linrbp docs``: build the documentation site (Sphinx, offline) and optionally open it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..core._errors import InputError
from ..core._io import check_output_dir


def add_parser(sub):
    p = sub.add_parser(
        "docs",
        help="build the documentation site (needs a source checkout and linrbp[docs])",
        description="Build the HTML documentation with Sphinx from the docs/ folder of a source "
        "checkout: the theory, the claim catalogue, CLI and API references, the figure gallery "
        "and the executed notebooks, generated from the code at build time. The build fails on "
        "any warning (broken reference, public name without a docstring, a notebook that "
        "raises). Nothing is downloaded.",
    )
    p.add_argument("--out", metavar="DIR", default=None,
                   help="where the HTML goes (default: docs/_build/html in the checkout)")
    p.add_argument("--source", metavar="DIR", default=None,
                   help="the docs/ folder (default: docs/ beside the linrbp package)")
    p.add_argument("--open", action="store_true", help="open index.html in a browser afterwards")
    p.add_argument("--fast", action="store_true",
                   help="skip drawing the gallery (the notebooks still run)")
    p.set_defaults(func=run)


def docs_source(source: str | None) -> Path:
    """The docs/ folder: given, or the one beside the package in a source checkout."""
    if source is not None:
        src = Path(source)
    else:
        src = Path(__file__).resolve().parents[2] / "docs"
    if not (src / "conf.py").is_file():
        raise InputError(f"--source: {src} is not a linrbp docs folder (no conf.py); "
                         "`linrbp docs` needs a source checkout of linrbp")
    return src


def run(args) -> int:
    src = docs_source(args.source)
    out = Path(args.out) if args.out is not None else src / "_build" / "html"
    if args.out is not None and not args.out.strip():
        raise InputError("--out: empty output directory")
    check_output_dir(out, "--out")  # the shared output rules: checked before the build
    import importlib.util

    for module in ("sphinx", "myst_nb", "furo", "sphinx-mathjax-offline"):
        if importlib.util.find_spec(module) is None:
            raise InputError(f"docs: {module} is not installed; install the docs extra: "
                             "pip install 'linrbp[docs]'")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src.parent)] + [p for p in [env.get("PYTHONPATH")] if p])
    if args.fast:
        env["LINRBP_DOCS_FAST"] = "1"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(src / "_build" / "doctrees"), str(src), str(out)]
    print(f"linrbp docs: {' '.join(cmd[2:])}", file=sys.stderr)
    rc = subprocess.call(cmd, env=env)
    if rc != 0:
        print(f"linrbp docs: error: the build failed (sphinx exit status {rc}; warnings are "
              "errors)", file=sys.stderr)
        return 1
    index = out / "index.html"
    print(f"linrbp docs: wrote {index}")
    if args.open:
        import webbrowser

        webbrowser.open(index.resolve().as_uri())
    return 0
