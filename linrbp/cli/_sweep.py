"""``linrbp sweep INSTANCE``: many random starts of one system, each to its status."""

from __future__ import annotations

import numpy as np

from ..core._io import check_output_dir, check_output_option
from ..integration._integrate import check_t_max
from ._options import add_executor_options, executor_settings, finish_sweep


def add_parser(sub):
    from ..instances._simulate import DEFAULT_MAX_STEPS
    from ..sweeps._cluster import CLUSTER_TOL
    from ..sweeps._sweep import DEFAULT_CHUNK, METHODS

    p = sub.add_parser(
        "sweep",
        help="integrate many random starts of an instance's system and group their limits",
        description="Draw N starts of the system of an instance file (its layers, rule and "
        "parameters, data and fixed feedback): every trained weight matrix, and the feedback "
        "where the rule evolves it, gets entries N(0, S^2) drawn from (--seed, start index) "
        "alone. Integrate each until it converges, diverges or reaches t_max, and report the "
        "counts per status, the distinct limits (clustered by the product A_L...A_1) and the "
        "worst distance to the closed-form prediction where one exists. With --out DIR the "
        "records are saved as they finish; Ctrl-C keeps them and the same command resumes. "
        "The records do not depend on --workers/--scheduler. See docs/sweep.md.",
    )
    p.add_argument("file", help="instance file (JSON)")
    p.add_argument("--starts", type=int, required=True, metavar="N", help="number of starts")
    p.add_argument("--scale", type=float, required=True, metavar="S",
                   help="standard deviation of every drawn entry")
    p.add_argument("--seed", type=int, required=True, metavar="K", help="seed of the draws")
    p.add_argument("--t-max", type=float, default=None, metavar="T",
                   help="integration time limit per start (default: the file's t_max, else 1e5)")
    p.add_argument("--max-steps", type=int, default=DEFAULT_MAX_STEPS, metavar="N",
                   help=f"stop a start with status step-limit after N steps (default {DEFAULT_MAX_STEPS})")
    p.add_argument("--method", choices=METHODS, default="batched",
                   help="batched: linrbp's DOP853 on each chunk of starts (integrate_batch, on "
                   "--backend); scipy/bdf/lsoda: solve_ivp per start, as simulate (default batched)")
    from ._options import add_backend_option
    add_backend_option(p, "--method batched")
    p.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, metavar="K",
                   help=f"starts per task (default {DEFAULT_CHUNK}); part of the settings a resume must repeat")
    p.add_argument("--cluster-tol", type=float, default=CLUSTER_TOL, metavar="TOL",
                   help=f"two limits are one when max|P - Q| <= TOL (1 + max|P|, max|Q|) (default {CLUSTER_TOL:g})")
    from ._rule_files import add_rule_options
    add_rule_options(p)
    add_executor_options(p, 1, "chunks of starts")
    p.add_argument("--out", metavar="DIR", help="save the records here as they finish (resumable)")
    p.add_argument("--times", metavar="T1,T2,...", default=None,
                   help="also record observables along each start's path at these times (>= 0, "
                        "increasing; default: none)")
    p.add_argument("--observe", metavar="NAME,...", default=None,
                   help="the observables at --times (default excess_loss; as linrbp simulate --observe)")
    p.add_argument("--json", metavar="OUT", help="write the sweep (settings, records, summary) as JSON to OUT")
    p.set_defaults(func=run)


def _fmt(M) -> str:
    return np.array2string(np.asarray(M), precision=6, max_line_width=200, separator=", ").replace("\n", "")


def run(args) -> int:
    from ..core._checks import check_seed
    from ..core._errors import InputError
    from ..sweeps._cluster import cluster_limits
    from ..sweeps._sweep import _check_scale, sweep
    from ._rule_files import load_instance_with_options, load_rule_files

    check_output_option(args.json, "--json")
    if args.out is not None:
        check_output_dir(args.out, "--out")
    check_seed(args.seed, "--seed")
    cluster_limits([], args.cluster_tol)  # a bad tolerance, before the work
    if args.starts < 1:
        raise InputError(f"starts: expected a positive integer, got {args.starts}")
    if args.chunk < 1:
        raise InputError(f"chunk: expected a positive integer, got {args.chunk}")
    _check_scale(args.scale)
    from ._options import parse_times
    from ..instances._observe import check_observables
    times = parse_times(args.times)
    if args.observe is not None and times is None:
        raise InputError("observe: give --times to say when to observe")
    load_rule_files(args.rules)  # a rules file may register observables
    names = check_observables(args.observe or "excess_loss") if times is not None else None
    inst = load_instance_with_options(args.file, args)
    t_max = check_t_max(args.t_max) if args.t_max is not None else None
    chunks = -(-args.starts // max(1, args.chunk))
    workers, scheduler, where = executor_settings(args, chunks)
    rule = inst.system.rule
    params = ", ".join(f"{k} = {v:g}" for k, v in rule.parameter_values.items())
    print(f"linrbp sweep: {args.file}, A{list(inst.system.layers)} under {rule.name}"
          + (f" ({params})" if params else "") + f", {args.starts} starts, scale {args.scale:g}, "
          f"seed {args.seed}, method {args.method}"
          + (f" (backend {args.backend})" if args.method == "batched" else "") + f", {chunks} chunks of {args.chunk}, executor: {where}"
          + (f", records in {args.out}" if args.out else ""), flush=True)
    rep = sweep(inst, args.starts, args.scale, args.seed, t_max=t_max, method=args.method,
                max_steps=args.max_steps, chunk=args.chunk, workers=workers, scheduler=scheduler,
                out=args.out, cluster_tol=args.cluster_tol, times=times, observe=names,
                backend=args.backend)
    s = rep["summary"]
    be = rep["backend"]
    ran = "" if be is None else ("; backend " + ", ".join(f"{k} ({v} starts)" for k, v in be["ran"].items())
                                 + (f" (auto: {be['auto_reason']})" if be.get("auto_reason") else ""))
    print(f"t_max {rep['t_max']:g}; {s['done']} of {s['starts']} starts ({rep['resumed']} resumed from "
          f"--out), {rep['seconds']:.1f} s{ran}")
    print(f"  {'status':<12} {'starts':>7}")
    for k, v in sorted(s["status_counts"].items()):
        print(f"  {k:<12} {v:>7}")
    lim = s["limits"]
    print(f"{lim['count']} distinct limit(s) of the converged starts (product P = A_L...A_1, "
          f"same limit when max|P - Q| <= {lim['cluster_tol']:g} (1 + max|P|, max|Q|)):")
    if lim["clusters"]:
        print(f"  {'limit':>5} {'starts':>7} {'first':>6} {'spread':>9}  product")
        for c in lim["clusters"][:20]:
            print(f"  {c['label']:>5} {c['count']:>7} {c['first']:>6} {c['spread']:>9.2e}  {_fmt(c['product'])}")
        if len(lim["clusters"]) > 20:
            print(f"  ... {len(lim['clusters']) - 20} more in --json")
    un = s["unconverged_end_products"]
    if un["clusters"]:
        n = sum(c["count"] for c in un["clusters"])
        print(f"{n} start(s) stopped without converging; their products at t_end form {un['count']} "
              "group(s) (same distance; not limits):")
        for c in un["clusters"][:5]:
            print(f"  {c['count']:>7} starts (first {c['first']}, spread {c['spread']:.2e})  {_fmt(c['product'])}")
    pr = s["prediction"]
    if pr["starts_with_prediction"]:
        print(f"prediction ({', '.join(pr['by'])}): worst max|P - P_predicted| = {pr['worst_error']:.3g} "
              f"(start {pr['worst_index']}) over {pr['starts_with_prediction']} starts with a closed form")
    else:
        print("prediction: no closed form known for these starts")
    if times is not None:
        recs = rep["records"]
        print(f"observables at t = {', '.join(f'{t:g}' for t in times)} (mean over {len(recs)} starts; "
              "every start's values in --json):")
        for name in names:
            vals = [r["observables"][name] for r in recs]
            cols = []
            for k in range(len(times)):
                col = [v[k] for v in vals if isinstance(v[k], (int, float))]
                cols.append(f"{np.mean(col):.6g}" if col else "-")
            print(f"  {name:<15}{', '.join(cols)}")
    return finish_sweep("sweep", rep, args.json, args.out)
