"""``linrbp certify``: certificates of the chains' limits, one JSON file per instance.

Instances are drawn exactly as ``linrbp verify`` draws those of the claim's limit check
(``check_rng(seed, claim, "limit-vs-integration")`` and the claim's sampler), so a certificate
certifies an instance that verify checks numerically; ``--depth`` fixes the chain's depth in the
same stream. A double is an exact binary rational: the inputs are certified exactly as given.
"""

from __future__ import annotations

import json
import math
import platform
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..catalogue._catalogue import check_rng
from ..closed_forms._closed_forms import chain_limit
from ..closed_forms._scalar_draws import chain111_instance, chain_instance
from ..core._errors import InputError
from ..core._io import atomic_write_json, atomic_write_text, to_jsonable
from ..core._version import __version__
from ._balls import Refused, certify_chain

__all__ = ["CLAIMS", "FORMAT", "certificate", "draw_instances", "exact_inputs", "require_flint",
           "versions", "MAX_DEPTH"]

CLAIMS = ("chain111", "chain")
FORMAT = "linrbp-certificate/1"
LIMIT_CHECK = "limit-vs-integration"
MAX_DEPTH = 7


def require_flint():
    """The python-flint module (ball arithmetic), which every certificate needs.

    Returns
    -------
    types.ModuleType
        The module ``flint``.

    Raises
    ------
    ValueError
        An InputError naming the extra to install (``pip install 'linrbp[certify]'``) when
        python-flint is absent.

    Examples
    --------
    >>> from linrbp.certify import require_flint
    >>> require_flint().__name__
    'flint'
    """
    try:
        import flint
    except ImportError:
        raise InputError("certify needs python-flint (ball arithmetic): pip install "
                         "'linrbp[certify]'") from None
    return flint


def versions() -> dict:
    flint = require_flint()
    return {"linrbp": __version__, "python-flint": flint.__version__,
            "flint": getattr(flint, "__FLINT_VERSION__", "?"), "python": platform.python_version()}


def _exact(value, what: str) -> Fraction:
    """A number of an instance as an exact Fraction: a finite float/int, or a 'p/q' string."""
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise InputError(f"{what}: {value!r} is not a number or an exact 'p/q'") from None
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise InputError(f"{what}: must be finite, got {value!r}")
        return Fraction(float(value))
    raise InputError(f"{what}: expected a number, got {type(value).__name__}")


def _exact_list(values, what: str) -> list[Fraction]:
    if not isinstance(values, (list, tuple)):
        raise InputError(f"{what}: expected a list of numbers")
    return [_exact(v, f"{what}[{k}]") for k, v in enumerate(values)]


def exact_inputs(claim: str, inst: dict) -> dict:
    r"""The exact inputs of an instance of a claim, checked.

    A float is an exact binary rational and is taken exactly as given; an integer or a ``"p/q"``
    string is exact too. RBP's backward weights :math:`r_h` become SRBP's feedback
    :math:`c_h = r_h \cdots r_{L-1}`.

    Parameters
    ----------
    claim : {"chain111", "chain"}
        The claim (:data:`CLAIMS`).
    inst : dict
        ``chain111``: alpha, beta, c1, a1, a2. ``chain``: alpha, beta, feedback (L - 1),
        weights (L, depth 2..7) and optional rule (``"srbp"``, default, or ``"rbp"``).

    Returns
    -------
    dict
        ``alpha``, ``beta``, ``rule``, ``feedback``, ``a0`` (the start) and ``c`` (SRBP form,
        c_L = 1), all :class:`fractions.Fraction`: the input of :func:`certify_chain`.

    Raises
    ------
    ValueError
        An InputError: unknown claim, a missing key, a value that is not a finite number or
        'p/q', beta not positive, a zero feedback, a depth outside 2..7.

    Examples
    --------
    >>> from linrbp.certify import exact_inputs
    >>> ex = exact_inputs("chain", {"alpha": 1, "beta": "3/2", "rule": "rbp", "feedback": [2, 3],
    ...                             "weights": [1, 1, 1]})
    >>> ex["beta"], ex["c"]
    (Fraction(3, 2), [Fraction(6, 1), Fraction(3, 1), Fraction(1, 1)])
    >>> exact_inputs("chain111", {"alpha": 1.0, "beta": 1.0, "c1": 0.1, "a1": 1, "a2": 1})["feedback"]
    [Fraction(3602879701896397, 36028797018963968)]
    """
    if claim not in CLAIMS:
        raise InputError(f"claim: certify knows {', '.join(CLAIMS)}, not {claim!r}")
    if not isinstance(inst, dict):
        raise InputError("instance: expected a JSON object")
    need = ("alpha", "beta", "c1", "a1", "a2") if claim == "chain111" else \
        ("alpha", "beta", "feedback", "weights")
    missing = [k for k in need if k not in inst]
    if missing:
        raise InputError(f"instance: claim {claim} needs {', '.join(missing)}")
    alpha, beta = _exact(inst["alpha"], "alpha"), _exact(inst["beta"], "beta")
    if claim == "chain111":
        rule, fb = "srbp", [_exact(inst["c1"], "c1")]
        a0 = [_exact(inst["a1"], "a1"), _exact(inst["a2"], "a2")]
    else:
        rule = inst.get("rule", "srbp")
        if rule not in ("srbp", "rbp"):
            raise InputError(f"rule: certify knows srbp and rbp chains, not {rule!r}")
        fb, a0 = _exact_list(inst["feedback"], "feedback"), _exact_list(inst["weights"], "weights")
        if not 2 <= len(a0) <= MAX_DEPTH:
            raise InputError(f"weights: depth must be 2..{MAX_DEPTH}, got {len(a0)}")
        if len(fb) != len(a0) - 1:
            raise InputError(f"feedback: expected {len(a0) - 1} values for depth {len(a0)}, got {len(fb)}")
    if beta <= 0:
        raise InputError(f"beta: must be positive, got {inst['beta']!r}")
    if any(v == 0 for v in fb):
        raise InputError("feedback: zero feedback is a trivial case, not certified")
    c = list(fb)
    if rule == "rbp":
        c = [math.prod(fb[h:], start=Fraction(1)) for h in range(len(fb))]
    return {"alpha": alpha, "beta": beta, "rule": rule, "feedback": fb, "a0": a0, "c": c + [Fraction(1)]}


def _pq(x: Fraction) -> str:
    return f"{x.numerator}/{x.denominator}"


def _float_limit(claim, inst, limit) -> dict:
    """The float closed form's limit (linrbp.closed_forms) and how far outside the balls it lies."""
    if claim == "chain111":
        vals = chain_limit(inst["alpha"], inst["beta"], [inst["c1"]], [inst["a1"], inst["a2"]], "srbp")
    else:
        vals = chain_limit(inst["alpha"], inst["beta"], inst["feedback"], inst["weights"], inst.get("rule", "srbp"))
    vals = [float(v) for v in np.asarray(vals, dtype=float)]
    out = 0.0
    for v, ball in zip(vals, limit):
        mid, rad = Fraction(ball["mid"]), Fraction(ball["rad"])
        if not math.isfinite(v):
            out = math.inf
            break
        out = max(out, float(max(Fraction(0), abs(Fraction(v) - mid) - rad)))
    return {"values": vals, "outside_balls_by": out}


def certificate(claim: str, inst: dict, source: dict | None = None, compare_float: bool = False) -> dict:
    """The certificate (or refusal) of one instance of a claim, as a JSON-able dict.

    Parameters
    ----------
    claim : {"chain111", "chain"}
        The claim.
    inst : dict
        The instance (as :func:`exact_inputs`); kept in the certificate as given.
    source : dict, optional
        Where the instance comes from (seed, index, check), recorded as ``source``.
    compare_float : bool, default False
        Also record the float closed form's limit (:func:`linrbp.chain_limit`) and how far outside
        the balls it lies (``float_closed_form``).

    Returns
    -------
    dict
        ``format`` (:data:`FORMAT`), ``claim``, ``statement``, ``instance``, ``source``, exact
        ``inputs`` and ``srbp_feedback`` ('p/q' strings), ``status`` ("certified" or "refused"
        with ``reason``), ``checks``, ``precision_bits``, ``versions``; when certified also
        ``polynomial``, ``start_sign``, ``limit`` and ``e`` (balls), ``seconds``. The checker
        (:func:`linrbp.checker.check_certificate`) reads it.

    Raises
    ------
    ValueError
        An InputError from :func:`exact_inputs`.

    Examples
    --------
    The float closed form lies outside the certified ball by no more than its rounding:

    >>> from linrbp.certify import certificate
    >>> c = certificate("chain111", {"alpha": 1.0, "beta": 1.0, "c1": 1.0, "a1": 0.5, "a2": 0.5},
    ...                 compare_float=True)
    >>> c["status"], c["polynomial"]["coefficients"]
    ('certified', ['1/1', '-3/8', '0/1', '-1/2'])
    >>> c["float_closed_form"]["outside_balls_by"] < 1e-15
    True
    """
    ex = exact_inputs(claim, inst)
    return _certificate(claim, inst, ex, source, compare_float)


def input_record(ex: dict) -> dict:
    """The ``inputs`` entry of a certificate: the exact inputs as 'p/q' strings."""
    return {"alpha": _pq(ex["alpha"]), "beta": _pq(ex["beta"]), "rule": ex["rule"],
            "feedback": [_pq(v) for v in ex["feedback"]], "weights": [_pq(v) for v in ex["a0"]]}


def _certificate(claim, inst, ex, source, compare_float=False):
    cert = {"format": FORMAT, "claim": claim,
            "statement": "a_1(t) converges to the root of Q(a_1) = c_1 (alpha - beta P(a_1)) "
                         "that poly1d picks, enclosed in the ball of limit[0]; it is simple and "
                         "attracting in its level set; limit[h] encloses a_(h+1)(inf)",
            "instance": inst, "source": source or {},
            "inputs": input_record(ex),
            "srbp_feedback": [_pq(v) for v in ex["c"]]}
    try:
        res = certify_chain(ex)
    except Refused as exc:
        cert.update(status="refused", reason=exc.reason, checks=exc.checks, precision_bits=exc.prec,
                    versions=versions())
        return to_jsonable(cert)
    ok = all(c["result"] for c in res["checks"])
    cert.update(
        status="certified" if ok else "refused",
        polynomial={"variable": "a1", "degree": len(res["polynomial"]) - 1,
                    "coefficients": [_pq(v) for v in res["polynomial"]]},
        start_sign=res["start_sign"], limit=res["limit"], e=res["e"],
        precision_bits=res["prec"], checks=res["checks"],
        float_closed_form=_float_limit(claim, inst, res["limit"]) if compare_float else None,
        versions=versions(), seconds=res["seconds"])
    if not ok:
        cert["reason"] = "failed: " + ", ".join(c["check"] for c in res["checks"] if not c["result"])
    return to_jsonable(cert)


def draw_instances(claim: str, samples: int, seed: int, depth: int | None = None) -> list[dict]:
    """The instances ``linrbp verify`` draws for the limit check of a claim.

    The stream is verify's (``check_rng(seed, claim, "limit-vs-integration")`` and the claim's
    sampler), so a certificate certifies an instance that verify checks numerically.

    Parameters
    ----------
    claim : {"chain111", "chain"}
        The claim.
    samples : int
        How many (the first ones of the stream).
    seed : int
        verify's seed.
    depth : int, optional
        chain only: fix the depth (2..7) in the same stream; default the draw's own.

    Returns
    -------
    list of dict
        Instances in the claim's format (floats).

    Examples
    --------
    >>> from linrbp.certify import draw_instances
    >>> insts = draw_instances("chain", 2, seed=0, depth=3)
    >>> [len(i["weights"]) for i in insts], sorted(insts[0])
    ([3, 3], ['alpha', 'beta', 'depth', 'feedback', 'rule', 'weights'])
    """
    rng = check_rng(seed, claim, LIMIT_CHECK)
    if claim == "chain111":
        return [chain111_instance(rng) for _ in range(samples)]
    return [chain_instance(rng, depth) for _ in range(samples)]


def file_name(claim: str, seed: int, depth: int | None, index: int) -> str:
    """The file name of one certificate: ``<claim>-seed<seed>[-depth<depth>]-<index>.json``.

    Parameters
    ----------
    claim : str
        The claim.
    seed : int
        verify's seed.
    depth : int or None
        The fixed depth (chain), or None.
    index : int
        The instance's index in the stream (five digits, zero-padded).

    Returns
    -------
    str

    Examples
    --------
    >>> from linrbp.certify import file_name
    >>> file_name("chain", 0, 4, 12), file_name("chain111", 3, None, 0)
    ('chain-seed0-depth4-00012.json', 'chain111-seed3-00000.json')
    """
    return f"{claim}-seed{seed}" + (f"-depth{depth}" if depth else "") + f"-{index:05d}.json"


def write(path: Path, cert: dict) -> None:
    # One small file per instance: no fsync each (a crash leaves at worst an unreadable file,
    # which a rerun recomputes and the checker rejects).
    # Compact JSON: the C encoder (indent= falls back to the pure-Python one, 3x slower here).
    atomic_write_text(path, json.dumps(cert, separators=(",", ":")) + "\n", "--out", fsync=False)


def same_instance(path: Path, cert_inputs: dict) -> dict | None:
    """A certificate already at ``path`` for the same exact inputs (resume), else None."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(old, dict) and old.get("format") == FORMAT and old.get("inputs") == cert_inputs:
        return old
    return None


def certify_many(claim: str, instances: list, names: list[str], sources: list[dict],
                 out: str | None = None, progress: bool | None = None, compare_float: bool = False) -> dict:
    """Certify instances of a claim; with ``out``, one certificate file each and ``summary.json``.

    A certificate already at ``out/names[k]`` for the same exact inputs is kept, so the same
    command resumes. Every instance is checked (:func:`exact_inputs`) before any work. Ctrl-C
    stops between instances with every finished certificate written (the KeyboardInterrupt says
    how many).

    Parameters
    ----------
    claim : {"chain111", "chain"}
        The claim.
    instances : list of dict
        The instances.
    names : list of str
        One file name per instance (:func:`file_name`).
    sources : list of dict
        One ``source`` record per instance.
    out : str, optional
        The output directory; default: nothing written.
    progress : bool, optional
        False hides the progress bar (default: shown on a terminal).
    compare_float : bool, default False
        Also record the float closed form's limit per instance (:func:`certificate`).

    Returns
    -------
    dict
        The summary: ``claim``, ``instances``, ``certified``, ``refused``, ``refused_why``
        (count per reason), ``reused``, ``seconds``, ``precision_bits`` (count per precision),
        ``max_float_limit_outside_balls``, ``refusals``, ``versions`` and ``certificates`` (all,
        in order; not written to ``summary.json``).

    Raises
    ------
    ValueError
        An InputError: a bad instance, python-flint missing, an output that cannot be written.
    KeyboardInterrupt
        On Ctrl-C, after writing every finished certificate.

    Examples
    --------
    >>> from linrbp.certify import certify_many, draw_instances, summary_line
    >>> s = certify_many("chain111", draw_instances("chain111", 3, seed=0), ["a", "b", "c"], [{}] * 3,
    ...                  progress=False)
    >>> s["certified"], s["refused"], s["precision_bits"]
    (3, 0, {'128': 3})
    """
    from ..core._progress import progress_bar

    require_flint()
    exact = [exact_inputs(claim, inst) for inst in instances]  # all bad input before any work
    out_dir = Path(out) if out is not None else None
    certs, reused = [], 0
    start = time.perf_counter()
    bar = progress_bar(total=len(instances), desc=f"certify {claim}", unit="instance", disable=progress is False or None)
    try:
        for inst, ex, name, src in zip(instances, exact, names, sources):
            old = same_instance(out_dir / name, input_record(ex)) if out_dir is not None else None
            if old is not None:
                cert = old
                reused += 1
            else:
                cert = _certificate(claim, inst, ex, src, compare_float)
                if out_dir is not None:
                    write(out_dir / name, cert)
            cert["file"] = str(out_dir / name) if out_dir is not None else None
            certs.append(cert)
            bar.update(1)
    except KeyboardInterrupt:
        kept = (f"{len(certs)} of {len(instances)} certificates are in {out_dir}; the same command "
                "resumes") if out_dir is not None else f"{len(certs)} of {len(instances)} done, none kept"
        raise KeyboardInterrupt(kept) from None
    finally:
        bar.close()
    summary = summarize(claim, certs, reused, time.perf_counter() - start)
    if out_dir is not None:
        atomic_write_json(out_dir / "summary.json", {k: v for k, v in summary.items() if k != "certificates"},
                          "--out")
    return summary


def summarize(claim: str, certs: list, reused: int, seconds: float) -> dict:
    reasons: dict[str, int] = {}
    for c in certs:
        if c["status"] != "certified":
            key = c.get("reason", "?").split(":")[0]
            reasons[key] = reasons.get(key, 0) + 1
    precs = [c["precision_bits"] for c in certs if c["status"] == "certified"]
    outside = [c["float_closed_form"]["outside_balls_by"] for c in certs if c.get("float_closed_form")]
    return {"claim": claim, "instances": len(certs), "certified": sum(c["status"] == "certified" for c in certs),
            "refused": len(certs) - sum(c["status"] == "certified" for c in certs), "refused_why": reasons,
            "reused": reused, "seconds": seconds,
            "precision_bits": {str(p): precs.count(p) for p in sorted(set(precs))},
            "max_float_limit_outside_balls": max(outside, default=None),
            "refusals": [{"file": c.get("file"), "reason": c.get("reason")} for c in certs
                         if c["status"] != "certified"],
            "versions": versions(), "certificates": certs}


def summary_line(s: dict) -> str:
    """The one-line summary ``linrbp certify`` prints.

    Parameters
    ----------
    s : dict
        A summary of :func:`certify_many` (or :func:`linrbp.certify.certify_claim`).

    Returns
    -------
    str
        Certified and refused counts, the reasons of the refusals, the time and the certificates
        kept from an earlier run.

    Examples
    --------
    >>> from linrbp.certify import certify_many, draw_instances, summary_line
    >>> s = certify_many("chain111", draw_instances("chain111", 2, seed=0), ["a", "b"], [{}, {}],
    ...                  progress=False)
    >>> summary_line(s)
    'certify chain111: 2 of 2 certified, 0 refused in ... s'
    """
    why = "; ".join(f"{n} {k}" for k, n in s["refused_why"].items())
    return (f"certify {s['claim']}: {s['certified']} of {s['instances']} certified, {s['refused']} refused"
            + (f" ({why})" if why else "") + f" in {s['seconds']:.2f} s"
            + (f" ({s['reused']} kept from an earlier run)" if s["reused"] else ""))
