"""``linrbp portrait`` (the code is shared with ``basins``: :mod:`linrbp.cli._plane`)."""

from ._plane import add_portrait_parser as add_parser  # noqa: F401
