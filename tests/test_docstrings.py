"""Every public callable has a numpydoc docstring: Parameters (when it takes any), Returns
(functions that return something), Examples, and every parameter of its signature described
under Parameters (and nothing described there that the signature does not take). The Examples
themselves run in tests/test_doctests.py; the rendered pages are built by tests/test_docs.py."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

# the public modules whose ``__all__`` is checked (extend as their docstrings are written)
MODULES = ("linrbp", "linrbp.symbolic", "linrbp.plots", "linrbp.teacher_student", "linrbp.trainer",
           "linrbp.strategies", "linrbp.certify", "linrbp.checker", "linrbp.proof")

_HEADER_RULE = re.compile(r"^-{3,}$")


def sections(doc: str) -> dict[str, list[str]]:
    """numpydoc sections of a (dedented) docstring: header -> its lines."""
    lines = doc.splitlines()
    out: dict[str, list[str]] = {}
    current = None
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and not line[:1].isspace() and _HEADER_RULE.match(nxt) \
                and len(nxt) == len(line.rstrip()):
            current = line.strip()
            out[current] = []
            i += 2
            continue
        if current is not None:
            out[current].append(line)
        i += 1
    return out


def described_parameters(lines: list[str]) -> set[str]:
    """The names an entry of a Parameters section describes: ``a, b : float`` gives a and b,
    ``*args`` gives args."""
    names: set[str] = set()
    for line in lines:
        if not line.strip() or line[:1].isspace():
            continue
        head = line.split(" : ", 1)[0]
        for name in head.split(","):
            names.add(name.strip().lstrip("*"))
    return names


def signature_parameters(obj) -> set[str] | None:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):  # a builtin base's __init__ (an exception class)
        return None
    # a private field (``_convert``) is no part of the public signature
    return {p.name for p in sig.parameters.values() if p.name not in ("self", "cls") and not p.name.startswith("_")}


def returns_something(obj) -> bool:
    try:
        ann = inspect.signature(obj).return_annotation
    except (TypeError, ValueError):
        return True
    return ann not in (None, "None")


def _public_callables():
    seen: set[int] = set()
    out = []
    for modname in MODULES:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.ismodule(obj) or not callable(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            out.append((f"{modname}.{name}", obj))
    return out


CALLABLES = _public_callables()


def problems(obj) -> list[str]:
    """What the docstring of ``obj`` lacks (empty when it is complete)."""
    doc = inspect.getdoc(obj) or ""
    found = sections(doc)
    out = []
    params = signature_parameters(obj)
    if (params is None or params) and "Parameters" not in found:
        out.append("no Parameters section")
    if not inspect.isclass(obj) and returns_something(obj) \
            and "Returns" not in found and "Yields" not in found:
        out.append("no Returns section")
    if "Examples" not in found or ">>>" not in "\n".join(found["Examples"]):
        out.append("no Examples section with an example")
    if params is not None and "Parameters" in found:
        described = described_parameters(found["Parameters"])
        for name in sorted(params - described):
            out.append(f"parameter {name!r} is not described under Parameters")
        for name in sorted(described - params):
            out.append(f"Parameters describes {name!r}, which the signature does not take")
    return out


def test_the_parser_reads_numpydoc():
    def f(a, b, *args, c=1, **kwargs):
        """Summary.

        Parameters
        ----------
        a, b : float
            Two numbers.
        *args : float
            More.
        c : int, optional
            A count.

        Returns
        -------
        float

        Examples
        --------
        >>> f(1, 2)
        """
    assert problems(f) == ["parameter 'kwargs' is not described under Parameters"]
    f.__doc__ = f.__doc__.replace("Returns\n        -------", "Returns")
    assert "no Returns section" in problems(f)


def test_every_public_module_is_listed():
    assert len(CALLABLES) > 50  # the lists above are read, not silently empty


@pytest.mark.parametrize("name,obj", CALLABLES, ids=[n for n, _ in CALLABLES])
def test_public_docstring_is_complete(name, obj):
    missing = problems(obj)
    assert not missing, f"{name}: " + "; ".join(missing)
