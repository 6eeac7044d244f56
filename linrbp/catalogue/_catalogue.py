"""The catalogue of claims: each THEORY.md claim ID with its checks and their evidence.

A :class:`Claim` is data (ID, title, reference, statement) plus :class:`Check` objects. A
check draws instances from a seeded generator (``sample``), measures each instance's error
(``error``, or ``errors`` for a whole list at once) and compares the worst with its
tolerance. ``linrbp verify``, the test suite and proofs/ all read :data:`CLAIMS`.

Seeds: check ``name`` of claim ``id`` draws from ``SeedSequence([seed, crc32(id), crc32(name)])``,
so neither selecting claims with ``--only`` nor adding checks changes any check's instances.
"""

from __future__ import annotations

import math
import time
import traceback
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..core._checks import check_seed
from ..core._errors import InputError

__all__ = ["Check", "Claim", "Evidence", "CLAIMS", "register", "run_claim", "check_rng",
           "run_check", "claim_record", "evidence_from_dict"]


@dataclass
class Evidence:
    """What one check found: worst error next to its tolerance, over ``instances`` draws."""

    check: str
    max_error: float
    tolerance: float
    instances: int
    seconds: float
    kind: str = "numeric"
    worst_instance: Any = None
    message: str = ""
    error: str = ""  # "ExcType: text" when the check raised (not in to_dict: message has the traceback)

    @property
    def passed(self) -> bool:
        return math.isfinite(self.max_error) and self.max_error <= self.tolerance

    def to_dict(self) -> dict:
        from ..core._io import to_jsonable

        return to_jsonable({
            "check": self.check, "kind": self.kind, "passed": self.passed,
            "max_error": self.max_error, "tolerance": self.tolerance,
            "instances": self.instances, "seconds": self.seconds,
            "worst_instance": self.worst_instance, "message": self.message,
        })


@dataclass
class Check:
    """One checkable consequence of a claim: random instances and an error to compare with a
    tolerance.

    Parameters
    ----------
    name : str
        Unique within its claim; with the claim's ID it seeds the check's draws
        (``SeedSequence([seed, crc32(claim id), crc32(name)])``).
    tolerance : float
        The largest error that passes (in the units of the error; 0 for exact identities).
    sample : callable
        ``sample(rng)`` returns one instance from a :class:`numpy.random.Generator`
        (anything the check understands; JSON-able values make the worst instance
        reproducible from the report).
    error : callable, optional
        ``error(instance)``, a non-negative error, best computed by a route independent of
        the claim's (closed form against integration, symbolic against numeric).
    errors : callable, optional
        A vectorised replacement: ``errors(list of instances)`` returns their errors.
    samples : int, optional
        The default number of instances (default 20; ``--samples`` changes it).
    kind : {"numeric", "symbolic"}, optional
        What the error measures (default ``"numeric"``; symbolic: 0 when an identity
        simplifies to zero).
    fixed : bool, optional
        True for checks whose count does not scale with ``--samples`` (exact symbolic
        identities are checked once). Default False.
    strategy : callable, optional
        ``strategy()`` returns a hypothesis strategy of instances for property tests.

    Examples
    --------
    A check and a claim of one's own, run without adding it to the catalogue
    (:func:`register` would add it):

    >>> import linrbp
    >>> chk = linrbp.Check("square-vs-product", tolerance=1e-12,
    ...                    sample=lambda rng: {"x": float(rng.normal())},
    ...                    error=lambda inst: abs(inst["x"] ** 2 - inst["x"] * inst["x"]), samples=5)
    >>> claim = linrbp.Claim("demo-square", "x^2 = x x", "none", "For every real x, x^2 = x x.", [chk])
    >>> record = linrbp.run_claim(claim, seed=0)
    >>> record["status"], record["instances"], record["max_error"]
    ('pass', 5, 0.0)
    """

    name: str
    tolerance: float
    sample: Callable[[np.random.Generator], Any]
    error: Callable[[Any], float] | None = None
    errors: Callable[[list], Sequence[float]] | None = None
    samples: int = 20
    kind: str = "numeric"
    fixed: bool = False
    strategy: Callable[[], Any] | None = None

    def run(self, rng: np.random.Generator, samples: int | None = None) -> Evidence:
        n = self.samples if (samples is None or self.fixed) else samples
        start = time.perf_counter()
        instances = [self.sample(rng) for _ in range(n)]
        if self.errors is not None:
            errs = np.asarray(self.errors(instances), dtype=float)
        else:
            errs = np.array([float(self.error(inst)) for inst in instances])
        if errs.shape != (n,):
            raise RuntimeError(f"check {self.name!r} returned {errs.shape} errors for {n} instances")
        # NaN counts as the worst possible error.
        worst = int(np.argmax(np.where(np.isnan(errs), np.inf, errs))) if n else 0
        max_err = float(errs[worst]) if n else 0.0
        if n and np.isnan(errs[worst]):
            max_err = math.inf
        return Evidence(self.name, max_err, self.tolerance, n, time.perf_counter() - start,
                        self.kind, instances[worst] if n else None)


@dataclass
class Claim:
    """A claim of THEORY.md: ID, title, reference, statement and its checks."""

    id: str
    title: str
    reference: str
    statement: str
    checks: list[Check] = field(default_factory=list)

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"claim {self.id} has no check {name!r}")


CLAIMS: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add (or replace) a claim in the catalogue."""
    CLAIMS[claim.id] = claim
    return claim


def check_rng(seed: int, claim_id: str, check: str | int) -> np.random.Generator:
    """The generator of one check (by name; an integer stream number is also accepted)."""
    key = check if isinstance(check, int) else zlib.crc32(check.encode())
    words = [check_seed(seed), zlib.crc32(claim_id.encode()), key]
    return np.random.default_rng(np.random.SeedSequence(words))


def run_check(claim: Claim, chk: Check, samples: int | None = None, seed: int = 0) -> Evidence:
    """Run one check of ``claim`` from its own seeded generator; a crash is evidence too."""
    check_seed(seed)  # a bad seed is bad input, never a failing check
    try:
        return chk.run(check_rng(seed, claim.id, chk.name), samples)
    except Exception as exc:
        return Evidence(chk.name, math.inf, chk.tolerance, 0, 0.0, chk.kind, None,
                        traceback.format_exc(limit=3), f"{exc.__class__.__name__}: {exc}")


def claim_record(claim: Claim, evidence: Sequence[Evidence], seconds: float) -> dict:
    """The ``verify`` JSON record of ``claim`` from its checks' evidence (in check order)."""
    status = "pass"
    message = ""
    for ev in evidence:
        if ev.error:  # the check raised (see run_check)
            status = "error"
            message = f"{ev.check}: {ev.error}"
        if status == "pass" and not ev.passed:
            status = "fail"

    def ratio(ev):
        return ev.max_error / ev.tolerance if ev.tolerance > 0 else (0.0 if ev.max_error == 0 else math.inf)

    worst = max(evidence, key=ratio) if evidence else None
    return {
        "id": claim.id,
        "title": claim.title,
        "reference": claim.reference,
        "status": status if evidence else "error",
        "instances": sum(ev.instances for ev in evidence),
        "max_error": worst.max_error if worst else math.inf,
        "tolerance": worst.tolerance if worst else 0.0,
        "seconds": seconds,
        "message": message,
        "checks": [ev.to_dict() for ev in evidence],
    }


def evidence_from_dict(d: dict) -> Evidence:
    """The :class:`Evidence` of a check's ``verify`` JSON record (to resume a report)."""
    return Evidence(d["check"], float(d["max_error"]), float(d["tolerance"]), int(d["instances"]),
                    float(d["seconds"]), d.get("kind", "numeric"), d.get("worst_instance"),
                    d.get("message", ""))


def run_claim(claim: Claim, samples: int | None = None, seed: int = 0,
              on_check: Callable[[Evidence], None] | None = None) -> dict:
    """Run every check of a claim; the claim's record in ``linrbp verify --json``.

    Parameters
    ----------
    claim : Claim
    samples : int, optional
        Instances per numeric check (default: each check's own ``samples``).
    seed : int, optional
        The base seed of every draw (default 0); each check draws from
        ``SeedSequence([seed, crc32(claim id), crc32(check name)])``.
    on_check : callable, optional
        ``on_check(evidence)`` after each check (progress).

    Returns
    -------
    dict
        ``id``, ``title``, ``reference``, ``status`` ("pass", "fail" or "error": a check that
        raises), ``instances``, ``max_error`` and ``tolerance`` (of the check with the worst
        error / tolerance ratio), ``seconds``, ``message`` and ``checks`` (every check's
        evidence, with its worst instance).

    Examples
    --------
    >>> import linrbp
    >>> record = linrbp.run_claim(linrbp.get_claims(["arbp-offset"])[0], samples=2)
    >>> record["id"], record["status"]
    ('arbp-offset', 'pass')
    """
    start = time.perf_counter()
    evidence: list[Evidence] = []
    for chk in claim.checks:
        ev = run_check(claim, chk, samples, seed)
        evidence.append(ev)
        if on_check is not None:
            on_check(ev)
    return claim_record(claim, evidence, time.perf_counter() - start)
