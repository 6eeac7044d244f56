"""A researcher's own claims: a Python file (or module) that builds claims with the public API.

The file does what a catalogue module does: build :class:`linrbp.Claim` objects with
:class:`linrbp.Check` s and pass each to :func:`linrbp.register`. :func:`load_claim_files`
imports it, collects what it registered and takes those claims back out of the global
catalogue (so loading a file never changes what the catalogue itself contains), refusing a file
that is missing, does not parse, raises on import, registers nothing or reuses an ID of the
catalogue or of another file. Every refusal is an :class:`InputError` with one line.
"""

from __future__ import annotations

from ..catalogue._catalogue import CLAIMS, Claim
from ..core._errors import InputError
from ..core._userfiles import import_user_file, looks_like_file, ship_by_value

__all__ = ["load_claim_files", "load_claim_file"]


def _import(spec_text: str):
    module = import_user_file(spec_text, "claims", "linrbp_user_claims")
    if looks_like_file(str(spec_text)):  # a module name is importable by workers as it is
        ship_by_value(module)
    return module


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
