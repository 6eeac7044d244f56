"""``linrbp experiments NAME``: run a named set of trainer variants over seeds, resumably."""

from __future__ import annotations

from ._train import add_variant_options


def add_parser(sub):
    from ..trainer import EXPERIMENTS
    p = sub.add_parser(
        "experiments", help="run a named set of trainer variants over seeds (resumable)",
        description="Run one named set of EXPERIMENTS.md variants over seeds 0..K-1: "
        + "; ".join(f"{k}: {v}" for k, v in EXPERIMENTS.items())
        + ". Default preset: the paper's protocol (100 epochs, 60k images); --quick: a 5000-image "
        "subset, 4 epochs. Each finished run is saved atomically under OUT/runs and skipped on "
        "rerun; OUT/summary.md, summary.json and two plots summarise mean and spread over seeds.")
    p.add_argument("name", choices=sorted(EXPERIMENTS))
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (0..K-1)")
    p.add_argument("--out", metavar="DIR", help="output directory (default experiments/NAME-PRESET)")
    p.add_argument("--quick", action="store_true", help="quick preset (a few minutes)")
    p.add_argument("--epochs", type=int, help="override the preset's epochs")
    p.add_argument("--limit-train", type=int, metavar="N", help="override the preset's training subset")
    p.add_argument("--only", metavar="V1,V2", help="run only these variants of the set")
    p.add_argument("--workers", type=int, default=1,
                   help="train this many runs at once, one process each (default 1; results do not depend on it)")
    add_variant_options(p)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..core._checks import check_selection
    from ..trainer import run_experiments
    from ..trainer._experiments import summary_table
    base = {"dataset": args.dataset, "data_dir": args.data_dir, "dtype": args.dtype}
    if args.epochs is not None:
        base["epochs"] = args.epochs
    if args.limit_train is not None:
        base["limit_train"] = args.limit_train
    only = check_selection(args.only, "--only")
    summary = run_experiments(args.name, args.seeds, args.out, args.quick, base, only,
                              progress=False if args.no_progress else None, workers=args.workers,
                              device=args.device)
    print(summary_table(summary), end="")
    print(f"ran {summary['ran']} run(s), reused {summary['skipped_existing']}; wrote {summary['out']}/"
          "summary.md, summary.json, accuracy_curves.png, accuracy_by_variant.png")
    return 0
