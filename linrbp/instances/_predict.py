"""Closed-form limits for instances of the systems THEORY.md solves.

Each predictor takes an :class:`~linrbp.instances._instance.Instance` and returns ``None`` when the
instance is not of its system, else a dict with at least ``system`` (a claim ID),
``weights`` (predicted A_1..A_L at t -> inf, or null where only the product is known) and
``product``; it may add ``feedback`` and notes. :func:`predict` returns the first answer.
Claim modules register their predictors with :func:`register_predictor`. A predictor whose
closed form holds at every time, not only in the limit, takes a keyword ``t_end`` (the time
the integration ended; Kolen-Pollack's ``feedback_offset``).
"""

from __future__ import annotations

import inspect
from typing import Callable

__all__ = ["predict", "register_predictor", "PREDICTORS"]

PREDICTORS: list[Callable] = []


def register_predictor(fn: Callable) -> Callable:
    if fn not in PREDICTORS:
        PREDICTORS.append(fn)
    return fn


def predict(instance, t_end: float | None = None) -> dict | None:
    """The closed-form limit of ``instance`` if the toolkit knows one, else None; predictors of
    finite-time closed forms get ``t_end``."""
    from .. import claims  # noqa: F401  (claim modules register their predictors on import)

    for fn in PREDICTORS:
        takes_t = "t_end" in inspect.signature(fn).parameters
        out = fn(instance, t_end=t_end) if takes_t else fn(instance)
        if out is not None:
            return out
    return None
