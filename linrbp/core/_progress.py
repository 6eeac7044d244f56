"""Progress bars on stderr (tqdm), shown when stderr is a terminal.

Plain text bars (``tqdm.std``) everywhere, also in notebooks: tqdm's notebook widgets need
ipywidgets, and without it ``tqdm.auto`` warns "IProgress not found" in every notebook cell.
With ipywidgets installed inside a notebook kernel, the widget bar is used.
"""

from __future__ import annotations

import importlib.util
import sys

from tqdm.std import tqdm as _text_tqdm

__all__ = ["progress_bar", "bar_class"]


def bar_class():
    """tqdm's widget bar inside a notebook kernel with ipywidgets installed, else the text bar."""
    if "ipykernel" in sys.modules and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
        return tqdm
    return _text_tqdm


def progress_bar(total: int | None = None, desc: str = "", unit: str = "it", disable: bool | None = None, **kw):
    """A tqdm bar on stderr; ``disable=None`` hides it when stderr is not a terminal."""
    return bar_class()(total=total, desc=desc, unit=unit, file=sys.stderr, disable=disable,
                       dynamic_ncols=True, leave=False, **kw)
