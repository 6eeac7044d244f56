"""``linrbp verify`` as a sweep: every check of every selected claim is one task.

Each check draws from its own generator (:func:`linrbp.catalogue.check_rng`), so the report
does not depend on what runs the tasks (:func:`linrbp.core._executor.run_tasks`: serial,
local processes or a Dask cluster); only the ``seconds`` fields do.
"""

from __future__ import annotations

from ..core._checks import check_seed

import math
import time

from ..catalogue._catalogue import Evidence, claim_record, evidence_from_dict, run_check
from ..core._executor import Interrupted, Task, run_tasks
from . import get_claims

__all__ = ["verify", "run_check_by_name", "run_shipped_check"]


def run_check_by_name(claim_id: str, check: str, samples: int | None = None, seed: int = 0) -> Evidence:
    """One check by IDs (a task any worker process can run: only strings travel), its BLAS
    calls on one thread (:func:`linrbp.core._resources.one_blas_thread`): the checks' matrices
    are small, and the executor already runs one check per CPU."""
    from ..core._resources import one_blas_thread

    claim = get_claims([claim_id])[0]
    with one_blas_thread():
        return run_check(claim, claim.check(check), samples, seed)


def ship_check(claim, check: str) -> bytes:
    """A researcher's claim (not in the catalogue a worker looks IDs up in) and one check's
    name, serialised by value with cloudpickle: its functions, lambdas and the module-level
    functions of its file travel with it, so any worker process or Dask worker can run it."""
    import cloudpickle

    return cloudpickle.dumps((claim, check))


def run_shipped_check(blob: bytes, samples: int | None = None, seed: int = 0) -> Evidence:
    """Run the check of :func:`ship_check` (a task any worker can run)."""
    import pickle

    claim, check = pickle.loads(blob)
    return run_check(claim, claim.check(check), samples, seed)


def verify(ids=None, samples=None, seed=0, progress=None, *, workers: int = 1,
           scheduler: str | None = None, executor=None, previous: dict | None = None,
           on_interrupt=None, user_claims=()) -> dict:
    """Run the selected claims; the ``verify`` JSON report.

    Every check is a task of :func:`linrbp.core._executor.run_tasks` (``workers``,
    ``scheduler``, ``executor``); each draws from its own seed (see
    :func:`linrbp.catalogue.check_rng`), so the report is the serial one whatever runs it
    (``seconds`` aside; a claim's ``seconds`` is the sum of its checks'). ``progress(evidence)``
    is called as checks finish. ``previous``: a report interrupted earlier (``complete`` false)
    with the same seed and samples; its finished checks are reused. On SIGINT/SIGTERM
    ``on_interrupt(partial_report)`` is called before :class:`Interrupted` is raised.
    ``user_claims``: a researcher's :class:`~linrbp.Claim` objects (``linrbp verify --claims``),
    run after the catalogue's ``ids`` (an empty ``ids`` selects none of the catalogue), each
    check a task like the catalogue's, shipped by value (:func:`ship_check`).
    """
    from ..core._errors import InputError

    if samples is not None and (isinstance(samples, bool) or samples < 1):
        raise InputError(f"samples: must be at least 1, got {samples}")
    seed = check_seed(seed)  # a bad seed is bad input, never a failing check
    user_claims = list(user_claims)
    claims = (get_claims(ids) if ids is None or len(ids) or not user_claims else []) + user_claims
    mine = {c.id for c in user_claims}
    start = time.perf_counter()
    found: dict[tuple[str, str], Evidence] = {}
    if previous is not None:
        for rec in previous.get("claims", []):
            for c in rec.get("checks", []):
                if not c.get("message"):  # a check that raised runs again
                    found[(rec["id"], c["check"])] = evidence_from_dict(c)
    pairs = [(c, chk) for c in claims for chk in c.checks]
    reused = sum((c.id, chk.name) in found for c, chk in pairs)
    tasks = [Task(f"{c.id}/{chk.name}",
                  *((run_shipped_check, (ship_check(c, chk.name), samples, seed)) if c.id in mine else
                    (run_check_by_name, (c.id, chk.name, samples, seed))),
                  f"claim {c.id}, check {chk.name!r}, seed {seed}" + (f", {samples} samples" if samples else ""))
             for c, chk in pairs if (c.id, chk.name) not in found]
    names = {f"{c.id}/{chk.name}": (c.id, chk.name) for c, chk in pairs}

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
                                      f.traceback or f.error, f.error, metric=chk.metric)
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
