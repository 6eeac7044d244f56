"""``linrbp verify``: run the claim catalogue and report evidence per claim."""

from __future__ import annotations

import json
from pathlib import Path

from ..core._checks import check_seed, check_selection
from ..core._io import atomic_write_json, check_outputs
from ._options import add_executor_options, executor_settings


def add_parser(sub):
    p = sub.add_parser(
        "verify",
        help="check every claim of docs/theory.md on random instances",
        description="Run the claim catalogue: for each claim (IDs of docs/theory.md) run its symbolic "
        "checks and compare integration with the closed forms on seeded random instances. Prints "
        "one row per claim (worst error next to tolerance) and exits 0 iff every selected claim "
        "passes. Each check is a task (--workers, --scheduler); the report does not depend on what "
        "ran it (only the seconds do). Interrupted with --json OUT, the finished checks are kept in "
        "OUT and the same command resumes.",
    )
    p.add_argument("--only", metavar="IDS", action="append",
                   help="comma-separated claim IDs to run, from the catalogue and the --claims files "
                   "(repeatable; default: every claim of the --claims files, else the whole catalogue)")
    p.add_argument("--claims", metavar="FILE", action="append", default=None,
                   help="a Python file (or module name) of your own claims, built with linrbp.Claim, "
                   "linrbp.Check and linrbp.register (repeatable); run with the same table, JSON, "
                   "seeds and exit status as the catalogue")
    p.add_argument("--samples", type=int, default=None, metavar="N",
                   help="random instances per numeric check (default: each check's own)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--json", metavar="OUT", help="write the report as JSON to OUT")
    p.add_argument("--html", metavar="REPORT", help="write a self-contained HTML report to REPORT "
                   "(statements, worst errors against tolerances, worst instances, figures)")
    p.add_argument("--check", metavar="NAME", default=None,
                   help="run only this check of the one claim of --only (its name as the report and "
                   "`--verbose` print it; quote it)")
    p.add_argument("--instance", metavar="K", type=int, default=None,
                   help="with --check: draw and measure only instance K (1-based, as the HTML report's "
                   "worst instance gives it) from the check's own seeded generator, exactly the "
                   "instance a full run with the same --seed and --samples measures as its K-th; "
                   "prints its error and a summary")
    p.add_argument("--verbose", "-v", action="store_true", help="also list every check of every claim")
    p.add_argument("--certify", action="store_true",
                   help="also certify the instances of the certifiable checks (chain111, chain: limits and "
                   "stability) in ball arithmetic, re-check each certificate exactly, and say which checks "
                   "stayed numerical (needs python-flint, the certify extra)")
    add_executor_options(p, None, "checks")
    p.set_defaults(func=run)


def select_claims(ids=None, user=()):
    """The claims to run: ``ids`` among the catalogue and ``user`` claims (catalogue order, then
    the files' order); without ``ids`` the user claims, or the whole catalogue when there are none."""
    from ..claims import get_claims  # every claim, and sympy: only when verifying
    from ..core._errors import InputError

    user = list(user)
    if ids is None:
        return user if user else get_claims(None)
    ids = [i.strip() for i in ids if i.strip()]
    catalogue = get_claims(None)
    pool = {c.id: c for c in catalogue + user}
    unknown = [i for i in ids if i not in pool]
    if unknown:
        raise InputError(f"only: unknown claim ID {', '.join(unknown)} (known: {', '.join(pool)})")
    return [c for c in catalogue + user if c.id in ids]


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
    check_seed(args.seed, "--seed")
    check_outputs(("--json", args.json), ("--html", args.html))
    ids = None
    if args.only is not None:
        ids = check_selection([i for part in args.only for i in part.split(",")], "--only")
    from ..core._errors import InputError

    if args.samples is not None and args.samples < 1:
        raise InputError(f"samples: must be at least 1, got {args.samples}")
    executor_settings(args, None)  # --workers and --scheduler, checked before the claims load
    from ..claims._run import verify  # the catalogue (sympy, scipy): after the options' checks
    from ..claims._user import load_claim_files

    if args.instance is not None and args.check is None:
        raise InputError(f"--instance: needs --check NAME (the check whose instance {args.instance} to draw)")
    if args.check is not None and args.certify:
        raise InputError("--certify: certifies whole claims, not one --check")
    if args.certify:
        from ..certify import require_flint
        require_flint()  # a missing extra is said before any work
    user = load_claim_files(args.claims) if args.claims else []
    claims = select_claims(ids, user)
    if args.check is not None:
        return _run_one_check(args, claims)
    user_ids = {c.id for c in user}
    catalogue = [c for c in claims if c.id not in user_ids]
    mine = [c for c in claims if c.id in user_ids]
    n_checks = sum(len(c.checks) for c in claims)
    workers, scheduler, where = executor_settings(args, max(1, n_checks))
    previous = _previous(args.json, args.seed, args.samples) if args.json else None
    print(f"linrbp verify: {len(claims)} claims{f' ({len(user)} from --claims)' if user else ''}, "
          f"{n_checks} checks, seed {args.seed}"
          + (f", {args.samples} samples per check" if args.samples else "") + f", executor: {where}"
          + (f"; resuming the interrupted report {args.json}" if previous else ""), flush=True)

    def keep(partial):
        if args.json:
            atomic_write_json(args.json, partial)
            return f"; they are kept in {args.json} and the same command resumes"
        return "; nothing was kept (with --json OUT the same command resumes)"

    # a researcher's claims are tasks like the catalogue's, shipped to the workers by value
    report = verify([c.id for c in catalogue], args.samples, args.seed, workers=workers,
                    scheduler=scheduler, previous=previous, on_interrupt=keep, user_claims=mine)
    report["passed"] = bool(report["claims"]) and all(r["status"] == "pass" for r in report["claims"])
    return _finish(args, report, claims)


def _finish(args, report, claims, note: str = "") -> int:
    """Print the table (and certification), write --json and --html; the exit status."""
    if args.certify:
        from ..certify._verify import certify_report

        cert = certify_report(report, claims, args.seed, args.samples)
        report["certification"] = cert
        if cert["rejected"]:
            report["passed"] = False  # a certificate the independent checker rejects
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
                holds = "<=" if c["passed"] else ">"  # the comparison that holds
                print(f"    {mark:<4} {c['check']:<54} {err:>10} {holds:>2} {c['tolerance']:.1e}  (n={c['instances']})")
        if r["message"]:
            print(f"    {'error' if r['status'] == 'error' else 'why'}: {r['message']}")
    if args.certify:
        _print_certification(report)
    if args.instance is not None:
        _print_instance(report)
        if note:
            print(note)
    n_pass = sum(r["status"] == "pass" for r in report["claims"])
    print(f"{n_pass}/{len(report['claims'])} claims pass in {report['seconds']:.1f} s (seed {args.seed})")
    if args.json:
        atomic_write_json(args.json, report, "--json")
        print(f"wrote {args.json}")
    if args.html:
        write_html_report(args.html, report, claims, args.claims or ())
        print(f"wrote {args.html}")
    return 0 if report["passed"] else 1


def _run_one_check(args, claims) -> int:
    """``--check`` (and ``--instance``): one check of one claim, in this process."""
    import time

    from ..catalogue._catalogue import claim_record, run_check, run_instance
    from ..core._errors import InputError
    from ..core._resources import one_blas_thread

    if len(claims) != 1:
        raise InputError(f"--check: needs exactly one claim (--only ID), got {len(claims)}")
    claim = claims[0]
    chk = next((c for c in claim.checks if c.name == args.check), None)
    if chk is None:
        raise InputError(f"--check: claim {claim.id} has no check {args.check!r} (its checks: "
                         + "; ".join(repr(c.name) for c in claim.checks) + ")")
    if args.instance is not None:
        n = chk.count(args.samples)
        if not 1 <= args.instance <= n:
            raise InputError(f"--instance: check {chk.name!r} of claim {claim.id} draws instances 1..{n}"
                             + (f" with --samples {args.samples}" if args.samples and not chk.fixed else "")
                             + f", got {args.instance}")
    what = f"instance {args.instance} of " if args.instance is not None else ""
    print(f"linrbp verify: {what}claim {claim.id}, check {chk.name!r}, seed {args.seed}"
          + (f", {args.samples} samples" if args.samples else ""), flush=True)
    start = time.perf_counter()
    with one_blas_thread():  # as a worker runs it
        ev = (run_instance(claim, chk, args.instance, args.samples, args.seed) if args.instance is not None
              else run_check(claim, chk, args.samples, args.seed))
    rec = claim_record(claim, [ev], ev.seconds)
    report = {"claims": [rec], "passed": rec["status"] == "pass", "seed": args.seed,
              "samples": args.samples, "seconds": time.perf_counter() - start, "complete": True,
              "check": chk.name, "instance": args.instance}
    note = ""
    if args.instance is not None and chk.errors is not None:
        note = ("note: this check measures its instances together (a vectorised errors function); "
                "measured alone, an instance it integrates can round differently, so its error "
                "agrees with the full run's to the integrator's accuracy, not always to every digit")
    return _finish(args, report, claims, note)


def _print_instance(report) -> None:
    from ..report import instance_items

    c = report["claims"][0]["checks"][0]
    holds = "<=" if c["passed"] else ">"
    err = c["max_error"]  # the report's JSON form: "inf" where a run failed
    err = f"{err:.6g}" if isinstance(err, (int, float)) else str(err)
    print(f"instance {c['worst_instance_number']}: error {err} {holds} tolerance "
          f"{c['tolerance']:.1e} ({c['metric']})")
    for key, text in instance_items(c["worst_instance"]):
        print(f"    {key} = {text}")


def _print_certification(report) -> None:
    cert = report["certification"]
    for r in report["claims"]:
        for c in r["checks"]:
            ce = c.get("certified")
            if ce:
                extra = (f", {len(ce['refused'])} refused ({'; '.join(sorted({x['reason'].split(':')[0] for x in ce['refused']}))})"
                         if ce["refused"] else "")
                bad = f", {len(ce['rejected'])} REJECTED by the checker" if ce["rejected"] else ""
                print(f"certified: {r['id']}/{c['check']}: {ce['certified']}/{ce['instances']} instances, "
                      f"{ce['checker_holds']} re-checked exactly{extra}{bad}; float closed form at most "
                      f"{ce['float_closed_form_outside_balls']:.2g} outside the balls ({ce['covers']})")
    num = cert["numerical_checks"]
    print(f"certify: {len(cert['certified_checks'])} checks certified, {cert['symbolic_checks']} exact "
          f"(symbolic), {len(num)} stayed numerical" + (f": {', '.join(num)}" if num else ""))


def write_html_report(path: str, report: dict, claims, claim_files=()) -> None:
    """Render ``report`` (with the claims' statements and figure thumbnails) to ``path`` atomically."""
    from ..core._io import atomic_write_text, to_jsonable
    from ..core._version import __version__
    from ..report import claim_thumbnails, render_report

    statements = {c.id: c.statement for c in claims}
    thumbs = claim_thumbnails([c.id for c in claims], seed=report.get("seed", 0))
    atomic_write_text(path, render_report(to_jsonable(report), statements, thumbs, version=__version__,
                                          claim_files=claim_files), "--html")
