"""``linrbp experiments NAME``: run a named set of trainer variants over seeds, resumably."""

from __future__ import annotations

import sys

from ._options import add_executor_options, executor_settings
from ._train import add_variant_options


def add_parser(sub):
    from ..trainer import EXPERIMENTS
    from ..trainer import PAPER
    from ..trainer._experiments import PRESETS
    p = sub.add_parser(
        "experiments", help="run a named set of trainer variants over seeds (resumable)",
        description="Run one named set of EXPERIMENTS.md variants over seeds 0..K-1: "
        + "; ".join(f"{k}: {v}" for k, v in EXPERIMENTS.items())
        + ". Default preset: the paper's protocol (100 epochs, 60k images); --quick: a 5000-image "
        "subset, 4 epochs. Each finished run is saved atomically under OUT/runs and skipped on "
        "rerun; OUT/summary.md, summary.json and two plots summarise mean and spread over seeds.")
    p.add_argument("name", choices=sorted(EXPERIMENTS), help="the set of variants to run")
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (0..K-1)")
    p.add_argument("--out", metavar="DIR", help="output directory (default experiments/NAME-PRESET)")
    p.add_argument("--quick", action="store_true",
                   help=f"quick preset: {PRESETS['quick']['limit_train']} images, {PRESETS['quick']['epochs']} "
                        "epochs (a few minutes); default: the paper protocol, "
                        f"{PAPER['epochs']} epochs on all training images")
    p.add_argument("--epochs", type=int, help=f"override the preset's epochs (default {PAPER['epochs']}; "
                   f"quick {PRESETS['quick']['epochs']})")
    p.add_argument("--limit-train", type=int, metavar="N",
                   help="override the preset's training subset (default: all; quick "
                        f"{PRESETS['quick']['limit_train']})")
    p.add_argument("--only", metavar="V1,V2", help="run only these variants of the set (default: all); "
                   "for the set rules: the rules to compare, e.g. bp,rbp,my-rule")
    from ._rule_files import add_rule_options
    add_rule_options(p, rule=False)
    add_executor_options(p, 1, "training runs")
    add_variant_options(p)
    p.add_argument("--no-progress", action="store_true",
                   help="hide the progress bars on stderr (shown by default when stderr is a terminal)")
    p.set_defaults(func=run)


def _announce(plan) -> None:
    """Before the full protocol starts: how long it will take (no confirmation; Ctrl-C stops)."""
    import sys

    from ..trainer._experiments import format_duration
    print(f"linrbp experiments: {plan['runs']} run(s), {plan['images']:,} training images in all; "
          f"{plan['images_per_s']:.4g} images/s measured here on {plan['timed_variant']}: about "
          f"{format_duration(plan['seconds'])} on {plan['workers']} worker(s). Ctrl-C stops; finished "
          "runs are kept and a rerun resumes.", file=sys.stderr, flush=True)


def run(args) -> int:
    from ..core._checks import check_selection
    from ..trainer import run_experiments
    from ..trainer._experiments import summary_table
    from ._rule_files import load_rule_files, parse_params
    load_rule_files(args.rules)  # before --only names them
    params = parse_params(args.param)
    base = {"dataset": args.dataset, "data_dir": args.data_dir, "dtype": args.dtype}
    if args.epochs is not None:
        base["epochs"] = args.epochs
    if args.limit_train is not None:
        base["limit_train"] = args.limit_train
    only = check_selection(args.only, "--only")
    workers, scheduler, where = executor_settings(args, None)
    print(f"linrbp experiments {args.name}: {args.seeds} seed(s), executor: {where}", flush=True)
    summary = run_experiments(args.name, args.seeds, args.out, args.quick, base, only,
                              progress=False if args.no_progress else None, workers=workers,
                              device=args.device, scheduler=scheduler, announce=_announce, params=params)
    if summary["failed_tasks"]:
        for f in summary["failed_tasks"]:
            print(f"FAILED run {f['task']} ({f['instance']}): {f['error']}")
        print(f"linrbp experiments: {len(summary['failed_tasks'])} run(s) failed, {summary['ran']} "
              f"finished and saved under {summary['out']}/runs; no summary written; a rerun "
              "retries the failed runs", file=sys.stderr)
        return 1
    print(summary_table(summary), end="")
    print(f"ran {summary['ran']} run(s), reused {summary['skipped_existing']}; wrote {summary['out']}/"
          "summary.md, summary.json, accuracy_curves.png, accuracy_by_variant.png")
    return 0
