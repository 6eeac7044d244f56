"""Progress bars on stderr (tqdm), shown when stderr is a terminal.

Plain text bars (``tqdm.std``) everywhere, also in notebooks: tqdm's notebook widgets need
ipywidgets, and without it ``tqdm.auto`` warns "IProgress not found" in every notebook cell.
With ipywidgets installed inside a notebook kernel, the widget bar is used.

tqdm is imported only for a bar that is shown: a hidden bar (stderr not a terminal, or
``disable=True``) is a counter that draws nothing, so scripts and pipes do not pay tqdm's import.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["progress_bar", "bar_class"]


def bar_class():
    """tqdm's widget bar inside a notebook kernel with ipywidgets installed, else the text bar."""
    if "ipykernel" in sys.modules and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
        return tqdm
    from tqdm.std import tqdm
    return tqdm


class _Hidden:
    """The part of tqdm's interface linrbp uses, drawing nothing."""

    def __init__(self, total=None):
        self.total, self.n = total, 0

    def update(self, n=1):
        self.n += n

    def refresh(self):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def set_postfix_str(self, *args, **kwargs):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def progress_bar(total: int | None = None, desc: str = "", unit: str = "it", disable: bool | None = None, **kw):
    """A tqdm bar on stderr; ``disable=None`` hides it when stderr is not a terminal."""
    if disable is None:
        isatty = getattr(sys.stderr, "isatty", None)
        disable = not (isatty is not None and isatty())
    if disable:
        return _Hidden(total)
    return bar_class()(total=total, desc=desc, unit=unit, file=sys.stderr, disable=False,
                       dynamic_ncols=True, leave=False, **kw)
