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
            return _with_case(instance, out)
    return None


def _with_case(instance, out: dict) -> dict:
    """RBP/SRBP answers from predictors that predate `rbp-limit` get its ``case``,
    ``fixed_point`` and ``reason`` (the shapes-and-ranks classification of THEORY.md
    section 10), so every such prediction says which case it is in."""
    s = instance.system
    if "case" in out or s.rule.name not in ("rbp", "srbp") or len(s.layers) < 3:
        return out
    from ..closed_forms._rbp_limit import limit_case

    c = limit_case(s.layers, s.rule.name, s.stats.sigma_ii, s.stats.sigma_ti, instance.feedback)
    return {**out, "case": c["case"], "fixed_point": c["fixed_point"], "reason": c["reason"]}
