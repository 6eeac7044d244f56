"""Validators shared by every command and the API: each raises InputError naming the argument."""

from __future__ import annotations

import math
import numbers

from ._errors import InputError

__all__ = ["check_real", "check_seed", "check_t_max", "check_positive_int", "check_positive_float", "check_selection", "MAX_SEED"]

MAX_SEED = 2**63 - 1  # seeds are non-negative integers below 2^63 (numpy SeedSequence, JSON, torch)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_seed(seed, name: str = "seed") -> int:
    """A seed: an integer 0 <= seed < 2^63. Every command and function that takes a seed uses this."""
    if not _is_int(seed):
        raise InputError(f"{name}: expected a non-negative integer, got {seed!r}")
    seed = int(seed)
    if seed < 0 or seed > MAX_SEED:
        raise InputError(f"{name}: must be a non-negative integer below 2^63, got {seed}")
    return seed


def check_t_max(t_max) -> float:
    """An integration time limit: a positive finite number (here, not in the integrators, so
    that commands check it before importing them)."""
    if isinstance(t_max, bool) or not isinstance(t_max, numbers.Real):
        raise InputError(f"t_max: expected a positive number, got {t_max!r}")
    t_max = float(t_max)
    if not math.isfinite(t_max) or t_max <= 0:
        raise InputError(f"t_max: must be positive and finite, got {t_max!r}")
    return t_max


def check_positive_int(value, name: str, *, allow_none: bool = False, maximum: int | None = None):
    """A positive integer (bool refused), optionally at most ``maximum``."""
    if value is None and allow_none:
        return None
    if not _is_int(value) or value < 1:
        raise InputError(f"{name}: must be a positive integer, got {value!r}")
    if maximum is not None and value > maximum:
        raise InputError(f"{name}: must be at most {maximum}, got {value}")
    return int(value)


def check_positive_float(value, name: str) -> float:
    """A positive finite number (bool and strings refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name}: expected a positive number, got {value!r}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{name}: must be positive and finite, got {value!r}")
    return value


def check_real(value, name: str) -> float:
    """A finite real number: numbers only (a string such as "1" or a bool is refused)."""
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, numbers.Real):
        try:  # 0-d numpy arrays
            import numpy as np
            if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu":
                value = value.item()
            else:
                raise TypeError
        except TypeError:
            raise InputError(f"{name}: expected a number, got {value!r}") from None
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"{name}: must be finite, got {value!r}")
    return value


def check_selection(names, name: str = "only"):
    """A user's selection (``--only``): None means everything; an empty one is an error."""
    if names is None:
        return None
    names = [n.strip() for n in names if n.strip()] if not isinstance(names, str) else \
        [n.strip() for n in names.split(",") if n.strip()]
    if not names:
        raise InputError(f"{name}: empty selection (name at least one, or leave the option out for all)")
    return list(dict.fromkeys(names))
