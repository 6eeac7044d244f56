"""Errors raised for bad input. The CLI turns them into one line on stderr and exit 2."""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input: a malformed file, a wrong shape, an indefinite covariance, NaN, ...

    The message names the offending field and the problem, on one line.
    """
