"""``linrbp probe``: sweep random A[N0,N1,N2] instances; do A1 and A2 converge individually?"""

from __future__ import annotations

from ..core._errors import InputError
from ..core._checks import check_t_max
from ..core._checks import check_seed
from ..core._io import check_output_dir, check_output_option
from ..sweeps._probe import DEFAULT_SEEDS, DEFAULT_SHAPES, DEFAULT_T_MAX, parse_shapes, probe_sweep
from ._options import add_executor_options, executor_settings, finish_sweep


def add_parser(sub):
    default_shapes = ",".join("x".join(map(str, s)) for s in DEFAULT_SHAPES)
    p = sub.add_parser(
        "probe",
        help="sweep random single-hidden-layer instances: do A1, A2 converge individually?",
        description="For each shape N0xN1xN2 and each instance seed, draw a random A[N0,N1,N2] "
        "under RBP (data, feedback, start), integrate to convergence, and report whether A1 and "
        "A2 converge individually (field negligible and no change over a late window), the "
        "Theorem 8 product error, and the rank of the Jacobian of the limit relations "
        "(field = 0, conserved Q = Q(0)) at the limit, and the same for the relations of the theory "
        "page's section 12 (P = W*, Q = Q(0), the frozen projections and V = V_inf): their count and "
        "how many limits have a non-singular Jacobian (in ball arithmetic on a box of radius 1e-4 "
        "where python-flint is installed). Instances that do not converge are listed "
        "with their instance files. With --out DIR every finished instance is saved and a rerun "
        "continues.",
    )
    p.add_argument("--shapes", default=default_shapes,
                   help=f"comma-separated N0xN1xN2 (default {default_shapes})")
    p.add_argument("--seeds", type=int, default=DEFAULT_SEEDS,
                   help=f"instances per shape: seeds 0..N-1 (default {DEFAULT_SEEDS})")
    p.add_argument("--seed", type=int, default=0, help="base seed of every draw (default 0)")
    add_executor_options(p, 2, "instances")
    p.add_argument("--t-max", type=float, default=DEFAULT_T_MAX,
                   help=f"integration time limit per instance (default {DEFAULT_T_MAX:g})")
    p.add_argument("--out", metavar="DIR", help="save each instance's record here (resumable)")
    p.add_argument("--json", metavar="OUT", help="write the summary as JSON to OUT")
    p.set_defaults(func=run)


def run(args) -> int:
    shapes = parse_shapes(args.shapes)
    if args.seeds < 1:
        raise InputError(f"seeds: must be at least 1, got {args.seeds}")
    if args.workers < 1:
        raise InputError(f"workers: must be at least 1, got {args.workers}")
    check_seed(args.seed, "--seed")
    check_output_option(args.json, "--json")
    if args.out is not None:
        check_output_dir(args.out, "--out")
    t_max = check_t_max(args.t_max)
    n = len(shapes) * args.seeds
    workers, scheduler, where = executor_settings(args, n)
    print(f"linrbp probe: {len(shapes)} shapes x {args.seeds} seeds = {n} instances, base seed "
          f"{args.seed}, executor: {where}" + (f", records in {args.out}" if args.out else ""), flush=True)
    summary = probe_sweep(shapes, args.seeds, base_seed=args.seed, workers=workers,
                          out=args.out, t_max=t_max, scheduler=scheduler)
    head = (f"{'shape':<9} {'inst':>4} {'conv':>4} {'indiv':>5} {'max C1P err':>11} "
            f"{'max window chg':>14} {'J full rank':>11}  nullity: count")
    print(head)
    print("-" * len(head))
    for s in summary["per_shape"]:
        shape = "x".join(map(str, s["shape"]))
        chg = s["max_window_change"]
        print(f"{shape:<9} {s['instances']:>4} {s['converged']:>4} {s['individual']:>5} "
              f"{s['max_c1_product_error']:>11.2e} {(f'{chg:.2e}' if chg is not None else '-'):>14} "
              f"{s['jacobian_full_rank']:>7}/{s['instances']:<3}  "
              + ", ".join(f"{k}: {v}" for k, v in s["jacobian_nullity"].items()))
    print("with V = V_inf and the frozen projections (the theory page, section 12):")
    for s in summary["per_shape"]:
        shape = "x".join(map(str, s["shape"]))
        lr = s.get("lyapunov_relations")
        if lr is None:
            print(f"  {shape:<9} C1 cannot have full column rank (N1 < N2): no V")
            continue
        print(f"  {shape:<9} {lr['equations']} relations in {lr['unknowns']} unknowns; non-singular "
              f"relations Jacobian at {lr['nonsingular']}/{lr['limits']} limits"
              + (f" ({lr['method']})" if lr["method"] else ""))
    fails = summary["not_individually_converged"]
    print(f"{summary['individual']}/{summary['instances']} instances converge individually "
          f"({summary['resumed']} resumed, {summary['seconds']:.1f} s); "
          f"{summary['jacobian_full_rank']} limits have a full-rank relations Jacobian; "
          f"{summary['lyapunov_nonsingular']} a non-singular one with V = V_inf and the frozen projections")
    for f in fails:
        print(f"  NOT individually converged: {'x'.join(map(str, f['shape']))} seed {f['seed']} "
              f"status {f['status']} t_end {f['t_end']:.4g}"
              + (f" instance {f['instance_file']}" if f["instance_file"] else ""))
    return finish_sweep("probe", summary, args.json, True)
