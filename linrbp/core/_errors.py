"""Errors raised for bad input. The CLI turns them into one line on stderr and exit 2."""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input: a malformed file, a wrong shape, an indefinite covariance, NaN, ...

    A :class:`ValueError`, raised before any work is done. The message names the offending field
    (an instance-file key, a parameter) and the problem, on one line; the command line prints it
    and exits with status 2.

    Parameters
    ----------
    *args : str
        The message, as for :class:`ValueError`.

    Examples
    --------
    >>> import linrbp
    >>> try:
    ...     linrbp.DataStats.from_matrices([[1.0, 0.0], [0.0, -1.0]], [[1.0, 0.0]])
    ... except ValueError as exc:
    ...     print(type(exc).__name__, "-", exc)
    InputError - sigma_ii: not positive semi-definite (smallest eigenvalue -1)
    """


# Users meet it as linrbp.InputError (tracebacks, doctests, pickles across workers): the public
# name, not the private module it is written in. linrbp resolves the name lazily.
InputError.__module__ = "linrbp"
