"""``linrbp simulate FILE``: integrate one instance file to convergence."""

from __future__ import annotations

import sys

import numpy as np

from ..instances._instance import load_instance
from ..integration._integrate import check_t_max
from ..core._io import atomic_write_json, check_output_file
from ..instances._simulate import DEFAULT_T_MAX, simulate


def add_parser(sub):
    p = sub.add_parser(
        "simulate",
        help="integrate an instance file until convergence, divergence or t_max",
        description="Integrate the averaged learning dynamics of the linear network described by "
        "an instance file (JSON: layers, rule, sigma_ii, sigma_ti, feedback, weights, optional "
        "t_max) until the vector field is negligible (converged), the weights pass a bound "
        "(diverged) or t reaches t_max (time-limit), and print a summary. With --json, write "
        "status, t_end, weights, feedback, product, excess_loss and the closed-form 'predicted' "
        "limit where one is known.",
    )
    p.add_argument("file", help="instance file (JSON)")
    p.add_argument("--t-max", type=float, default=None,
                   help=f"integration time limit (default: the file's t_max, else {DEFAULT_T_MAX:g})")
    p.add_argument("--method", choices=["scipy", "batched"], default="scipy",
                   help="scipy solve_ivp DOP853 with events (default) or linrbp's batched integrator")
    p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT")
    p.set_defaults(func=run)


def _fmt(M) -> str:
    M = np.asarray(M)
    return np.array2string(M, precision=10, max_line_width=100, prefix="    ")


def run(args) -> int:
    if args.json is not None:
        check_output_file(args.json, "--json", create_dirs=False)
    inst = load_instance(args.file)
    t_max = check_t_max(args.t_max) if args.t_max is not None else None
    out = simulate(inst, t_max, method=args.method, progress=None, interruptible=True)
    print(f"{args.file}: A{out['layers']} under {out['rule']}")
    print(f"  status       {out['status']} at t = {out['t_end']:.6g} (t_max {out['t_max']:g})")
    print(f"  excess loss  {out['excess_loss']:.6g}")
    print(f"  product P    {_fmt(out['product'])}")
    for h, W in enumerate(out["weights"], 1):
        print(f"  A_{h}          {_fmt(W)}")
    if inst.system.rule.adaptive:
        for h, C in enumerate(out["feedback"], 1):
            print(f"  C_{h}          {_fmt(C)}")
    pred = out["predicted"]
    if pred is None:
        print("  predicted    (no closed form known for this instance)")
    else:
        print(f"  predicted    {pred.get('system')}: P = {_fmt(pred.get('product'))}")
    if args.json:
        atomic_write_json(args.json, out, "--json")
        print(f"  wrote {args.json}")
    if out["status"] == "interrupted":
        print(f"linrbp simulate: interrupted at t = {out['t_end']:.6g}; the state above is the last "
              "accepted step", file=sys.stderr)
        return 130
    return 0
