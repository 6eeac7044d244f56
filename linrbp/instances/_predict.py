"""Closed-form limits for instances of the systems THEORY.md solves.

Each predictor takes an :class:`~linrbp.instances._instance.Instance` and returns ``None`` when the
instance is not of its system, else a dict with at least ``system`` (a claim ID),
``weights`` (predicted A_1..A_L at t -> inf, or null where only the product is known) and
``product``; it may add ``feedback`` and notes. :func:`predict` returns the first answer.
Claim modules register their predictors with :func:`register_predictor`.
"""

from __future__ import annotations

from typing import Callable

__all__ = ["predict", "register_predictor", "PREDICTORS"]

PREDICTORS: list[Callable] = []


def register_predictor(fn: Callable, *, first: bool = False) -> Callable:
    """Add ``fn`` to the predictors, last (default) or, ``first=True``, ahead of the others
    (for a predictor whose instances are a special case of an earlier one's: it knows more)."""
    if fn not in PREDICTORS:
        if first:
            PREDICTORS.insert(0, fn)
        else:
            PREDICTORS.append(fn)
    return fn


def predict(instance) -> dict | None:
    """The closed-form limit of ``instance`` if the toolkit knows one, else None."""
    from .. import claims  # noqa: F401  (claim modules register their predictors on import)

    for fn in PREDICTORS:
        out = fn(instance)
        if out is not None:
            return out
    return None
