"""A check's instance as a few readable lines: scalars as they are, arrays by shape and size.

Used by the HTML report (the worst instance of each claim) and by ``linrbp verify --instance``.
"""

from __future__ import annotations

import json

import numpy as np

__all__ = ["instance_items", "reproduce_command"]


def _number(x) -> str:
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    return "0" if x == 0 else f"{x:.6g}"


def _array_text(value) -> str | None:
    """A rectangular numeric list as "3 x 4, |.|_F = 2.1, in [-1.2, 0.8]"; short ones in full."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if arr.dtype == object or arr.size == 0:
        return None
    if arr.size <= 4:
        return json.dumps(value)
    shape = _dims(arr.shape)
    if not np.all(np.isfinite(arr)):
        return f"{shape} with {int(np.sum(~np.isfinite(arr)))} non-finite entries"
    return (f"{shape}, |.|_F = {_number(float(np.linalg.norm(arr)))}, entries in "
            f"[{_number(float(arr.min()))}, {_number(float(arr.max()))}]")


def _shape(value) -> str:
    """"3 x 4 array" for a rectangular numeric list, else "list of n"."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return f"list of {len(value)}"
    return _dims(arr.shape)


def _dims(shape) -> str:
    return f"vector of {shape[0]}" if len(shape) == 1 else " x ".join(map(str, shape)) + " array"


def _item(value) -> str:
    if value is None or isinstance(value, (bool, int, float)):
        return "null" if value is None else _number(value)
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:77] + "..."
    if isinstance(value, (list, tuple)):
        text = _array_text(value)
        if text is not None:
            return text
        if all(isinstance(v, (list, tuple)) for v in value) and value:
            return f"list of {len(value)}: " + "; ".join(_shape(v) for v in value)
        flat = json.dumps(value)
        return flat if len(flat) <= 80 else flat[:77] + "..."
    flat = json.dumps(value, default=str)
    return flat if len(flat) <= 80 else flat[:77] + "..."


def instance_items(inst) -> list[tuple[str, str]]:
    """``(key, text)`` lines that describe an instance (a JSON-able value, usually a dict).

    Scalars and short lists are given in full; numeric arrays by shape, Frobenius norm and
    range; lists of arrays by their shapes; nested dicts as ``outer.inner`` keys.

    Examples
    --------
    >>> instance_items({"alpha": 0.5, "A": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "rule": "rbp"})
    [('alpha', '0.5'), ('A', '2 x 3 array, |.|_F = 9.53939, entries in [1, 6]'), ('rule', 'rbp')]
    """
    if not isinstance(inst, dict):
        return [("instance", _item(inst))]
    out = []
    for key, value in inst.items():
        if isinstance(value, dict):
            out += [(f"{key}.{k}", v) for k, v in instance_items(value)]
        else:
            out.append((str(key), _item(value)))
    return out


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def reproduce_command(claim_id: str, check: dict, seed: int, samples: int | None,
                      claim_files=()) -> str:
    """The ``linrbp verify`` command that draws and measures the worst instance of ``check``
    (a check's ``verify --json`` record) alone."""
    parts = ["linrbp verify"] + [f"--claims {_quote(str(f))}" for f in claim_files]
    parts += [f"--only {_quote(claim_id)}", f"--check {_quote(check['check'])}"]
    number = check.get("worst_instance_number")
    if number is not None:
        parts.append(f"--instance {int(number)}")
    parts.append(f"--seed {seed}")
    if samples:
        parts.append(f"--samples {samples}")
    return " ".join(parts)


