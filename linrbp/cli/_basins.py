"""``linrbp basins`` (the code is shared with ``portrait``: :mod:`linrbp.cli._plane`)."""

from ._plane import add_basins_parser as add_parser  # noqa: F401
