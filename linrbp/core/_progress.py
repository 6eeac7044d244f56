"""Progress bars on stderr (tqdm), shown when stderr is a terminal."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm

__all__ = ["progress_bar"]


def progress_bar(total: int | None = None, desc: str = "", unit: str = "it", disable: bool | None = None, **kw):
    """A tqdm bar on stderr; ``disable=None`` hides it when stderr is not a terminal."""
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=disable,
                dynamic_ncols=True, leave=False, **kw)
