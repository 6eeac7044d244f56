"""The catalogue of claims: each docs/theory.md claim ID with its checks and their evidence.

A :class:`Claim` is data (ID, title, reference, statement) plus :class:`Check` objects. A
check draws instances from a seeded generator (``sample``), measures each instance's error
(``error``, or ``errors`` for a whole list at once) and compares the worst with its
tolerance. ``linrbp verify``, the test suite and proofs/ all read :data:`CLAIMS`.

Seeds: check ``name`` of claim ``id`` draws from ``SeedSequence([seed, crc32(id), crc32(name)])``,
so neither selecting claims with ``--only`` nor adding checks changes any check's instances.
"""

from __future__ import annotations

import math
import numbers
import re
import time
import traceback
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..core._checks import check_seed
from ..core._errors import InputError

__all__ = ["Check", "Claim", "Evidence", "CLAIMS", "register", "run_claim", "check_rng",
           "run_check", "run_instance", "claim_record", "evidence_from_dict", "KIND_METRIC",
           "metric_of"]

# What a check's error is when the check does not say (by kind).
KIND_METRIC = {
    "numeric": "the check's error (a difference between two independent routes to one quantity)",
    "symbolic": "0 when the identity simplifies to zero exactly (sympy), 1 when it does not",
}


def metric_of(check) -> str:
    """What ``check``'s error measures: its own ``metric``, else its kind's (:data:`KIND_METRIC`)."""
    return check.metric or KIND_METRIC.get(check.kind, KIND_METRIC["numeric"])


@dataclass
class Evidence:
    """What one check found: its worst error next to its tolerance, over ``instances`` draws.

    :meth:`Check.run` returns it; :func:`run_claim` collects one per check into the claim's
    record (``linrbp verify --json``). The check passes when ``max_error`` is finite and at most
    ``tolerance`` (property ``passed``).

    Parameters
    ----------
    check : str
        The check's name.
    max_error : float
        The largest error over the instances (inf when a check returned an invalid value).
    tolerance : float
        The check's tolerance, in the units of its error.
    instances : int
        How many instances were drawn.
    seconds : float
        Wall-clock time of the check, in seconds.
    kind : {"numeric", "symbolic"}, optional
        What the error measures (default ``"numeric"``).
    worst_instance : object, optional
        The instance with the largest error (reproduces the worst case).
    message : str, optional
        What went wrong, when something did (an invalid error value, a traceback).
    error : str, optional
        ``"ExcType: text"`` when the check raised (not written by ``to_dict``; ``message`` has
        the traceback).
    metric : str, optional
        What the error measures and in which unit (the check's ``metric``, else its kind's).
    worst_number : int, optional
        The 1-based draw number of the worst instance (``linrbp verify --check NAME
        --instance K`` draws and measures that one alone).

    Examples
    --------
    >>> import linrbp
    >>> ev = linrbp.Evidence("limit", max_error=3e-13, tolerance=1e-10, instances=20, seconds=0.5)
    >>> ev.passed, ev.to_dict()["max_error"]
    (True, 3e-13)
    """

    check: str
    max_error: float
    tolerance: float
    instances: int
    seconds: float
    kind: str = "numeric"
    worst_instance: Any = None
    message: str = ""
    error: str = ""  # "ExcType: text" when the check raised (not in to_dict: message has the traceback)
    metric: str = ""  # what the error measures (Check.metric, else its kind's)
    worst_number: int | None = None  # 1-based draw number of the worst instance (verify --instance)

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
            "metric": self.metric or KIND_METRIC.get(self.kind, KIND_METRIC["numeric"]),
            "worst_instance_number": self.worst_number,
        })


# The form of rule names (linrbp.core._rules), capitals allowed (the catalogue has wide1N1).
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


def _short(value) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _error_value(value) -> tuple[float, str]:
    """(float, "") for a valid error (a finite non-negative real number), else (inf, why).

    An error is a distance: a negative, NaN, infinite, complex, boolean or non-numeric value
    can never make a check pass; ``why`` says what the check returned.
    """
    v = value
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, (bool, np.bool_)):
        return math.inf, f"returned the boolean {bool(v)}, not a number"
    if isinstance(v, (complex, np.complexfloating)) or not isinstance(v, (numbers.Real, np.integer, np.floating)):
        if hasattr(v, "is_real") and hasattr(v, "is_number") and v.is_number and v.is_real:
            return _error_value(float(v))  # a sympy number
        return math.inf, f"returned {_short(value)} ({type(value).__name__}), not a real number"
    try:
        x = float(v)
    except (TypeError, ValueError, OverflowError):
        return math.inf, f"returned {_short(value)}, not a real number"
    if math.isnan(x):
        return math.inf, "returned NaN"
    if math.isinf(x):
        return math.inf, f"returned {x}"
    if x < 0:
        return math.inf, f"returned the negative number {x:.6g}"
    return x, ""


def _error_values(values, n: int, name: str) -> tuple[np.ndarray, list[str]]:
    """The errors of ``n`` instances as floats (inf where invalid) and why each invalid one is."""
    arr = None
    if not isinstance(values, (str, bytes)):
        try:
            arr = np.asarray(values)
        except Exception:  # noqa: BLE001 - a ragged or odd sequence: judged one by one below
            arr = None
    if arr is not None and arr.dtype.kind in "fiu" and arr.shape == (n,):
        errs = arr.astype(float)
        bad = ~np.isfinite(errs) | (errs < 0)
        if not bad.any():
            return errs, [""] * n
    try:
        items = list(values)
    except TypeError:
        raise RuntimeError(f"check {name!r}: errors(instances) returned {_short(values)}, "
                           "not a sequence of numbers") from None
    if len(items) != n:
        raise RuntimeError(f"check {name!r} returned {len(items)} errors for {n} instances")
    pairs = [_error_value(v) for v in items]
    return np.array([x for x, _ in pairs], dtype=float), [w for _, w in pairs]


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
    metric : str, optional
        What the error measures, with its unit, in words (e.g. "max abs difference of the
        limit product from the closed form"); shown by ``verify --html`` and in ``--json``.
        Default: a description of the kind ("0 when the identity simplifies to zero exactly
        (sympy), 1 when it does not" for symbolic checks).

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
    metric: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"Check name: expected a non-empty string, got {_short(self.name)}")
        label = f"Check {self.name!r}"
        tol = self.tolerance
        if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, (numbers.Real, np.integer, np.floating)) \
                or not math.isfinite(float(tol)) or float(tol) < 0:
            raise InputError(f"{label}: tolerance must be a finite non-negative number, got {_short(tol)}")
        self.tolerance = float(tol)
        n = self.samples
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"{label}: samples must be a positive integer, got {_short(n)}")
        self.samples = int(n)
        if not callable(self.sample):
            raise InputError(f"{label}: sample must be a function rng -> instance, got {_short(self.sample)}")
        if self.error is None and self.errors is None:
            raise InputError(f"{label}: give error (a function instance -> error) or errors")
        for arg in ("error", "errors", "strategy"):
            f = getattr(self, arg)
            if f is not None and not callable(f):
                raise InputError(f"{label}: {arg} must be a function, got {_short(f)}")
        if not isinstance(self.kind, str):
            raise InputError(f"{label}: kind must be a string, got {_short(self.kind)}")
        if not isinstance(self.metric, str):
            raise InputError(f"{label}: metric must be a string, got {_short(self.metric)}")

    def count(self, samples: int | None = None) -> int:
        """The number of instances a run with ``samples`` (None: the default) draws."""
        return self.samples if (samples is None or self.fixed) else samples

    def draw(self, rng: np.random.Generator, number: int):
        """Instance ``number`` (1-based) of a run from ``rng``: the same object ``run`` measures
        as its ``number``-th instance (the draws before it are made and dropped)."""
        inst = None
        for _ in range(number):
            inst = self.sample(rng)
        return inst

    def measure(self, instances: list) -> tuple[np.ndarray, list[str]]:
        """The errors of ``instances`` (inf where invalid) and why each invalid one is."""
        if self.errors is not None:
            return _error_values(self.errors(instances), len(instances), self.name)
        pairs = [_error_value(self.error(inst)) for inst in instances]
        return np.array([x for x, _ in pairs], dtype=float), [w for _, w in pairs]

    def run(self, rng: np.random.Generator, samples: int | None = None) -> Evidence:
        """Draw the instances from ``rng`` and measure them; the evidence (worst error first).

        A value of ``error``/``errors`` that is not a finite non-negative real number fails the
        check (``max_error`` inf), its ``message`` saying what the check returned.
        """
        n = self.count(samples)
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InputError(f"samples: must be a positive integer, got {_short(n)}")
        start = time.perf_counter()
        instances = [self.sample(rng) for _ in range(n)]
        errs, why = self.measure(instances)
        bad = [i for i, w in enumerate(why) if w]
        worst = bad[0] if bad else int(np.argmax(errs))
        message = ""
        if bad:
            fn = "errors" if self.errors is not None else "error"
            message = (f"{fn} {why[worst]} for instance {worst + 1} of {n}"
                       + (f" ({len(bad)} invalid values)" if len(bad) > 1 else "")
                       + "; an error must be a finite non-negative real number")
        return Evidence(self.name, float(errs[worst]), self.tolerance, n, time.perf_counter() - start,
                        self.kind, instances[worst], message, metric=self.metric,
                        worst_number=int(worst) + 1)


@dataclass
class Claim:
    """A claim of the theory (docs/theory.md, the site's theory page): ID, title, reference,
    statement and the checks that test it.

    :func:`register` adds it to the catalogue (:data:`CLAIMS`, what ``linrbp verify`` runs);
    :func:`run_claim` runs its checks without registering it.

    Parameters
    ----------
    id : str
        The ID: letters, digits, ``-``, ``_`` or ``.``, starting with a letter (``"chain111"``).
    title : str
        A one-line title.
    reference : str
        Where the claim comes from (``"[BSL] Theorem 2"``, a section of the theory page).
    statement : str
        The claim in words (TeX allowed), as the report and the docs show it.
    checks : list of Check
        At least one :class:`Check`; their names are unique within the claim.

    Raises
    ------
    InputError
        (a ValueError) for a malformed ID, a non-string field or an empty or wrong ``checks``.

    Examples
    --------
    >>> import linrbp
    >>> chk = linrbp.Check("exact", tolerance=0.0, sample=lambda rng: int(rng.integers(10)),
    ...                    error=lambda n: abs((n + 1) ** 2 - (n * n + 2 * n + 1)), samples=3)
    >>> claim = linrbp.Claim("demo-binomial", "(n+1)^2", "none", "(n+1)^2 = n^2 + 2n + 1.", [chk])
    >>> claim.check("exact").tolerance, linrbp.run_claim(claim)["status"]
    (0.0, 'pass')
    >>> linrbp.Claim("demo-empty", "t", "r", "s", [])
    Traceback (most recent call last):
    ...
    linrbp.InputError: Claim demo-empty: checks must be a non-empty list of linrbp.Check, got []
    """

    id: str
    title: str
    reference: str
    statement: str
    checks: list[Check] = field(default_factory=list)

    def __post_init__(self):
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise InputError("Claim id: letters, digits, '-', '_' or '.', starting with a "
                             f"letter (the form of rule names), got {_short(self.id)}")
        for arg in ("title", "reference", "statement"):
            if not isinstance(getattr(self, arg), str):
                raise InputError(f"Claim {self.id}: {arg} must be a string, got {_short(getattr(self, arg))}")
        checks = self.checks
        if isinstance(checks, (str, bytes, Check)) or not isinstance(checks, (list, tuple)) or not checks:
            raise InputError(f"Claim {self.id}: checks must be a non-empty list of linrbp.Check, "
                             f"got {_short(checks)}")
        for c in checks:
            if not isinstance(c, Check):
                raise InputError(f"Claim {self.id}: checks must hold linrbp.Check objects, got "
                                 f"{type(c).__name__} {_short(c)}")
        self.checks = list(checks)

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"claim {self.id} has no check {name!r}")


CLAIMS: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add a claim to the catalogue (:data:`CLAIMS`), replacing one with the same ID.

    Registered claims are what ``linrbp verify`` runs and :func:`get_claims` finds (the page
    "Claims of one's own", docs/own-claims.md, shows claim files loaded by ``verify --claims``).

    Parameters
    ----------
    claim : Claim
        The claim (already checked when it was built).

    Returns
    -------
    Claim
        ``claim`` itself (so ``register`` works as an expression).

    Raises
    ------
    InputError
        (a ValueError) when ``claim`` is not a :class:`Claim`.

    Examples
    --------
    >>> import linrbp
    >>> chk = linrbp.Check("exact", tolerance=0.0, sample=lambda rng: float(rng.normal()),
    ...                    error=lambda x: abs(x + x - 2 * x), samples=2)
    >>> claim = linrbp.register(linrbp.Claim("demo-double", "x + x = 2x", "none", "x + x = 2x.", [chk]))
    >>> "demo-double" in linrbp.CLAIMS
    True
    >>> del linrbp.CLAIMS["demo-double"]     # leave the catalogue as it was
    >>> linrbp.register("chain111")
    Traceback (most recent call last):
    ...
    linrbp.InputError: register: expects a linrbp.Claim, got str 'chain111'
    """
    if not isinstance(claim, Claim):
        raise InputError(f"register: expects a linrbp.Claim, got {type(claim).__name__} {_short(claim)}")
    CLAIMS[claim.id] = claim
    return claim


def check_rng(seed: int, claim_id: str, check: str | int) -> np.random.Generator:
    """The generator of one check (by name; an integer stream number is also accepted)."""
    key = check if isinstance(check, int) else zlib.crc32(check.encode())
    words = [check_seed(seed), zlib.crc32(claim_id.encode()), key]
    return np.random.default_rng(np.random.SeedSequence(words))


def _crash_evidence(chk: Check, exc: Exception) -> Evidence:
    """A check that raised: failing evidence (error inf) carrying the traceback and the error."""
    return Evidence(chk.name, math.inf, chk.tolerance, 0, 0.0, chk.kind, None,
                    traceback.format_exc(limit=3), f"{exc.__class__.__name__}: {exc}", metric=chk.metric)


def run_check(claim: Claim, chk: Check, samples: int | None = None, seed: int = 0) -> Evidence:
    """Run one check of ``claim`` from its own seeded generator; a crash is evidence too."""
    check_seed(seed)  # a bad seed is bad input, never a failing check
    try:
        return chk.run(check_rng(seed, claim.id, chk.name), samples)
    except Exception as exc:
        return _crash_evidence(chk, exc)


def run_instance(claim: Claim, chk: Check, number: int, samples: int | None = None,
                 seed: int = 0) -> Evidence:
    """Instance ``number`` (1-based) of one check alone: drawn from the check's own generator
    exactly as :func:`run_check` draws it (the earlier draws are made and dropped, never
    measured), then measured by itself. Its evidence has ``instances`` 1, ``worst_number``
    ``number``; ``max_error`` is what the full run measured for that instance.

    Raises
    ------
    InputError
        When ``number`` is not among the 1..n instances a run with ``samples`` draws.
    """
    check_seed(seed)
    n = chk.count(samples)
    if isinstance(number, (bool, np.bool_)) or not isinstance(number, (int, np.integer)) \
            or not 1 <= number <= n:
        raise InputError(f"instance: check {chk.name!r} of claim {claim.id} draws instances 1..{n}"
                         f"{'' if samples is None or chk.fixed else f' with {samples} samples'}, "
                         f"got {_short(number)}")
    try:
        start = time.perf_counter()
        inst = chk.draw(check_rng(seed, claim.id, chk.name), int(number))
        errs, why = chk.measure([inst])
        message = f"{'errors' if chk.errors is not None else 'error'} {why[0]}" if why[0] else ""
        return Evidence(chk.name, float(errs[0]), chk.tolerance, 1, time.perf_counter() - start,
                        chk.kind, inst, message, metric=chk.metric, worst_number=int(number))
    except Exception as exc:
        return _crash_evidence(chk, exc)


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
            if ev.message and not message:  # what an invalid error value was
                message = f"{ev.check}: {ev.message}"

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
                    d.get("message", ""), metric=d.get("metric", ""),
                    worst_number=d.get("worst_instance_number"))


def run_claim(claim: Claim, samples: int | None = None, seed: int = 0,
              on_check: Callable[[Evidence], None] | None = None) -> dict:
    """Run every check of a claim; the claim's record in ``linrbp verify --json``.

    Parameters
    ----------
    claim : Claim
        The claim to run (it need not be registered: :func:`register`).
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
