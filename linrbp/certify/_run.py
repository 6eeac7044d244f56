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
    """The python-flint module; InputError naming the extra when it is absent."""
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
    """The exact inputs of an instance of ``claim`` (chain111: alpha, beta, c1, a1, a2; chain:
    alpha, beta, rule, feedback, weights); InputError for anything else."""
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
    """The certificate (or refusal) of one instance of ``claim``, a JSON-able dict; with
    ``compare_float`` also the float closed form's limit and its distance outside the balls."""
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
    """The first ``samples`` instances of verify's limit check of ``claim`` at ``seed`` (chain
    with ``depth``: the same generator, the depth fixed)."""
    rng = check_rng(seed, claim, LIMIT_CHECK)
    if claim == "chain111":
        return [chain111_instance(rng) for _ in range(samples)]
    return [chain_instance(rng, depth) for _ in range(samples)]


def file_name(claim: str, seed: int, depth: int | None, index: int) -> str:
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
    """Certify ``instances`` of ``claim``; with ``out`` write ``out/names[k]`` (a certificate
    already there for the same exact inputs is kept: the same command resumes) and
    ``out/summary.json``. Returns the summary (``certificates`` holds them all, in order).

    Ctrl-C stops between instances with every finished certificate written
    (KeyboardInterrupt says how many).
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
    why = "; ".join(f"{n} {k}" for k, n in s["refused_why"].items())
    return (f"certify {s['claim']}: {s['certified']} of {s['instances']} certified, {s['refused']} refused"
            + (f" ({why})" if why else "") + f" in {s['seconds']:.2f} s"
            + (f" ({s['reused']} kept from an earlier run)" if s["reused"] else ""))
