"""A researcher's own claims: a Python file (or module) that builds claims with the public API.

The file does what a catalogue module does: build :class:`linrbp.Claim` objects with
:class:`linrbp.Check` s and pass each to :func:`linrbp.register`. :func:`load_claim_files`
imports it, collects what it registered and takes those claims back out of the global
catalogue (so loading a file never changes what the catalogue itself contains), refusing a file
that is missing, does not parse, raises on import, registers nothing or reuses an ID of the
catalogue or of another file. Every refusal is an :class:`InputError` with one line.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import zlib

from ..catalogue._catalogue import CLAIMS, Claim
from ..core._errors import InputError

__all__ = ["load_claim_files", "load_claim_file"]


def _import(spec_text: str):
    path = os.fspath(spec_text)
    looks_like_file = path.endswith(".py") or os.sep in path or "/" in path
    if looks_like_file:
        if not os.path.exists(path):
            raise InputError(f"claims: {path}: no such file")
        if os.path.isdir(path):
            raise InputError(f"claims: {path}: is a directory, not a Python file")
        name = f"linrbp_user_claims_{zlib.crc32(os.path.abspath(path).encode()):08x}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise InputError(f"claims: {path}: cannot be imported as a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
            _ship_by_value(module)
        except SyntaxError as exc:
            sys.modules.pop(name, None)
            raise InputError(f"claims: {path}: syntax error at line {exc.lineno}: {exc.msg}") from None
        except BaseException as exc:   # noqa: BLE001 - a broken file is input, report it
            sys.modules.pop(name, None)
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise InputError(f"claims: {path}: raised {type(exc).__name__} on import: "
                             f"{' '.join(str(exc).split())}") from None
        return module
    try:
        # found by name and executed afresh (its register() calls run again on every load)
        spec = importlib.util.find_spec(spec_text)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.loader is None:
        raise InputError(f"claims: no such file or module {spec_text!r}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        return module
    except SyntaxError as exc:
        raise InputError(f"claims: {spec_text}: syntax error at line {exc.lineno}: {exc.msg}") from None
    except Exception as exc:   # noqa: BLE001
        raise InputError(f"claims: {spec_text}: raised {type(exc).__name__} on import: "
                         f"{' '.join(str(exc).split())}") from None


def _ship_by_value(module) -> None:
    """A claim's checks run on worker processes and Dask workers that have not imported the
    file: its functions are serialised by value (cloudpickle), not by a module name."""
    import cloudpickle

    cloudpickle.register_pickle_by_value(module)


def load_claim_file(spec_text: str, taken: dict | None = None) -> list[Claim]:
    """Import one claims file or module; the claims it registered (in registration order)."""
    from . import get_claims

    get_claims()                      # the catalogue first, so reused IDs are recognised
    before = dict(CLAIMS)
    try:
        _import(spec_text)
        new = [c for k, c in CLAIMS.items() if k not in before or CLAIMS[k] is not before[k]]
    finally:
        CLAIMS.clear()
        CLAIMS.update(before)         # user claims never stay in the global catalogue
    if not new:
        raise InputError(f"claims: {spec_text}: registers no claim (call linrbp.register(Claim(...)))")
    for c in new:
        if not isinstance(c, Claim):
            raise InputError(f"claims: {spec_text}: registered {type(c).__name__}, not a linrbp.Claim")
        if c.id in before:
            raise InputError(f"claims: {spec_text}: claim ID {c.id!r} is already a catalogue claim; "
                             "choose another ID")
        if taken is not None and c.id in taken:
            raise InputError(f"claims: {spec_text}: claim ID {c.id!r} is also registered by {taken[c.id]}")
        if not c.checks:
            raise InputError(f"claims: {spec_text}: claim {c.id!r} has no checks")
        names = [chk.name for chk in c.checks]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InputError(f"claims: {spec_text}: claim {c.id!r} has two checks named {dup[0]!r}")
    return new


def load_claim_files(specs) -> list[Claim]:
    """Claims of several files/modules, in order; IDs must be unique across all of them."""
    taken: dict = {}
    out: list[Claim] = []
    for spec in specs:
        for c in load_claim_file(spec, taken):
            taken[c.id] = spec
            out.append(c)
    return out
