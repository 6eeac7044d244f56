"""``linrbp verify``: run the claim catalogue and report evidence per claim."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

from ..catalogue._catalogue import (Evidence, claim_record, evidence_from_dict, get_claims,
                                    run_check_by_name)
from ..core._executor import Interrupted, Task, run_tasks
from ..core._io import atomic_write_json
from ._options import add_executor_options, executor_settings


def add_parser(sub):
    p = sub.add_parser(
        "verify",
        help="check every claim of THEORY.md on random instances",
        description="Run the claim catalogue: for each claim (IDs of THEORY.md) run its symbolic "
        "checks and compare integration with the closed forms on seeded random instances. Prints "
        "one row per claim (worst error next to tolerance) and exits 0 iff every selected claim "
        "passes. Each check is a task (--workers, --scheduler); the report does not depend on what "
        "ran it (only the seconds do). Interrupted with --json OUT, the finished checks are kept in "
        "OUT and the same command resumes.",
    )
    p.add_argument("--only", metavar="IDS", action="append",
                   help="comma-separated claim IDs to run (repeatable; default: all)")
    p.add_argument("--samples", type=int, default=None, metavar="N",
                   help="random instances per numeric check (default: each check's own)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--json", metavar="OUT", help="write the report as JSON to OUT")
    p.add_argument("--verbose", "-v", action="store_true", help="also list every check of every claim")
    add_executor_options(p, 1, "checks")
    p.set_defaults(func=run)


def verify(ids=None, samples=None, seed=0, progress=None, *, workers: int = 1,
           scheduler: str | None = None, executor=None, previous: dict | None = None,
           on_interrupt=None) -> dict:
    """Run the selected claims; the ``verify`` JSON report.

    Every check is a task of :func:`linrbp.core._executor.run_tasks` (``workers``,
    ``scheduler``, ``executor``); each draws from its own seed (see
    :func:`linrbp.catalogue.check_rng`), so the report is the serial one whatever runs it
    (``seconds`` aside; a claim's ``seconds`` is the sum of its checks'). ``progress(evidence)``
    is called as checks finish. ``previous``: a report interrupted earlier (``complete`` false)
    with the same seed and samples; its finished checks are reused. On SIGINT/SIGTERM
    ``on_interrupt(partial_report)`` is called before :class:`Interrupted` is raised.
    """
    from ..core._errors import InputError

    if samples is not None and (isinstance(samples, bool) or samples < 1):
        raise InputError(f"samples: must be at least 1, got {samples}")
    claims = get_claims(ids)
    start = time.perf_counter()
    found: dict[tuple[str, str], Evidence] = {}
    if previous is not None:
        for rec in previous.get("claims", []):
            for c in rec.get("checks", []):
                if not c.get("message"):  # a check that raised runs again
                    found[(rec["id"], c["check"])] = evidence_from_dict(c)
    pairs = [(c, chk) for c in claims for chk in c.checks]
    reused = sum((c.id, chk.name) in found for c, chk in pairs)
    tasks = [Task(f"{c.id}/{chk.name}", run_check_by_name, (c.id, chk.name, samples, seed),
                  f"claim {c.id}, check {chk.name!r}, seed {seed}" + (f", {samples} samples" if samples else ""))
             for c, chk in pairs if (c.id, chk.name) not in found]
    names = {t.key: (t.args[0], t.args[1]) for t in tasks}

    def got(task, ev):
        found[names[task.key]] = ev
        if progress is not None:
            progress(ev)

    run = run_tasks(tasks, got, workers=workers, scheduler=scheduler, executor=executor,
                    desc="verify", unit="check", initial=reused, total=len(pairs))
    for f in run.failed:  # a task that could not run (a dead worker): evidence of an error
        cid, name = names[f.key]
        chk = next(c for c in claims if c.id == cid).check(name)
        found[(cid, name)] = Evidence(name, math.inf, chk.tolerance, 0, 0.0, chk.kind, None,
                                      f.traceback or f.error, f.error)
    results = []
    for claim in claims:
        evidence = [found[(claim.id, chk.name)] for chk in claim.checks if (claim.id, chk.name) in found]
        if run.interrupted and len(evidence) < len(claim.checks):
            if evidence:  # partial claims keep their finished checks for a resume
                results.append({"id": claim.id, "checks": [ev.to_dict() for ev in evidence],
                                "status": "incomplete"})
            continue
        results.append(claim_record(claim, evidence, sum(ev.seconds for ev in evidence)))
    report = {
        "claims": results,
        "passed": bool(results) and all(r["status"] == "pass" for r in results),
        "seed": seed,
        "samples": samples,
        "seconds": time.perf_counter() - start,
        "complete": not run.interrupted,
    }
    if run.interrupted:
        report["passed"] = False
        done = sum(len(r["checks"]) for r in results)
        kept = (on_interrupt(report) or "") if on_interrupt is not None else ""
        raise Interrupted(f"stopped after {run.seconds:.1f} s; {done} of {len(pairs)} checks done{kept}")
    return report


def _previous(path, seed, samples):
    """An interrupted report at ``path`` made with the same seed and samples, else None."""
    try:
        old = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if isinstance(old, dict) and old.get("complete") is False and old.get("seed") == seed \
            and old.get("samples") == samples:
        return old
    return None


def run(args) -> int:
    ids = None
    if args.only:
        ids = [i for part in args.only for i in part.split(",")]
    claims = get_claims(ids)
    n_checks = sum(len(c.checks) for c in claims)
    workers, scheduler, where = executor_settings(args, n_checks)
    previous = _previous(args.json, args.seed, args.samples) if args.json else None
    print(f"linrbp verify: {len(claims)} claims, {n_checks} checks, seed {args.seed}"
          + (f", {args.samples} samples per check" if args.samples else "") + f", on {where}"
          + (f"; resuming the interrupted report {args.json}" if previous else ""), flush=True)

    def keep(partial):
        if args.json:
            atomic_write_json(args.json, partial)
            return f"; they are kept in {args.json} and the same command resumes"
        return "; nothing was kept (with --json OUT the same command resumes)"

    report = verify([c.id for c in claims], args.samples, args.seed, workers=workers,
                    scheduler=scheduler, previous=previous, on_interrupt=keep)
    width = max([5] + [len(r["id"]) for r in report["claims"]])
    head = f"{'claim':<{width}} {'reference':<26} {'inst':>6} {'worst error':>12} {'tolerance':>10} {'status':>6} {'s':>7}"
    print(head)
    print("-" * len(head))
    for r in report["claims"]:
        print(f"{r['id']:<{width}} {r['reference'][:26]:<26} {r['instances']:>6} {r['max_error']:>12.3g} "
              f"{r['tolerance']:>10.1e} {r['status']:>6} {r['seconds']:>7.2f}")
        if args.verbose or r["status"] != "pass":
            for c in r["checks"]:
                mark = "ok" if c["passed"] else "FAIL"
                err = c["max_error"]
                err = f"{err:.3g}" if isinstance(err, float) else str(err)
                print(f"    {mark:<4} {c['check']:<54} {err:>10} <= {c['tolerance']:.1e}  (n={c['instances']})")
        if r["message"]:
            print(f"    error: {r['message']}")
    n_pass = sum(r["status"] == "pass" for r in report["claims"])
    print(f"{n_pass}/{len(report['claims'])} claims pass in {report['seconds']:.1f} s (seed {args.seed})")
    if args.json:
        atomic_write_json(args.json, report)
        print(f"wrote {args.json}")
    return 0 if report["passed"] else 1
