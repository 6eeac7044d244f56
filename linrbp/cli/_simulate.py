"""``linrbp simulate FILE``: integrate one instance file to convergence."""

from __future__ import annotations

import sys

import numpy as np

from ..core._errors import InputError
from ..instances._instance import load_instance
from ..core._checks import check_t_max
from ..core._io import atomic_write_json, check_output_option
from ..instances._instance import DEFAULT_MAX_STEPS, DEFAULT_T_MAX


def add_parser(sub):
    p = sub.add_parser(
        "simulate",
        help="integrate an instance file until convergence, divergence or t_max",
        description="Integrate the averaged learning dynamics of the linear network described by "
        "an instance file (JSON: layers, rule, sigma_ii, sigma_ti, feedback, weights, optional "
        "t_max, the rule's parameters such as weight_decay; docs/rules.md) until the vector field is negligible (converged), the weights pass a bound "
        "(diverged), t reaches t_max (time-limit) or the integrator has taken --max-steps steps "
        "(step-limit: a run whose steps keep shrinking, e.g. skipped feedback with a bottleneck, "
        "which has no fixed point), and print a summary. With --json, write "
        "status, t_end, weights, feedback, product, excess_loss and the closed-form 'predicted' "
        "limit where one is known.",
    )
    p.add_argument("file", help="instance file (JSON)")
    p.add_argument("--t-max", type=float, default=None,
                   help=f"integration time limit (default: the file's t_max, else {DEFAULT_T_MAX:g})")
    p.add_argument("--max-steps", type=int, default=DEFAULT_MAX_STEPS, metavar="N",
                   help=f"stop with status step-limit after N accepted steps (default {DEFAULT_MAX_STEPS})")
    p.add_argument("--method", choices=["scipy", "bdf", "lsoda", "batched"], default="scipy",
                   help="scipy solve_ivp DOP853 with events (default); solve_ivp BDF (implicit) or "
                        "LSODA (stiffness-switching), for runs near a fixed point whose rates span "
                        "orders of magnitude, where DOP853 can stall until its step limit; or "
                        "linrbp's batched integrator")
    p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT")
    from ._rule_files import add_rules_option
    add_rules_option(p)
    p.set_defaults(func=run)


def _fmt(M) -> str:
    M = np.asarray(M)
    return np.array2string(M, precision=10, max_line_width=100, prefix="    ")


def run(args) -> int:
    from ._rule_files import load_rule_files

    check_output_option(args.json, "--json")
    load_rule_files(args.rules)
    inst = load_instance(args.file)
    t_max = check_t_max(args.t_max) if args.t_max is not None else None
    if args.max_steps < 1:
        raise InputError(f"max-steps: must be a positive integer, got {args.max_steps}")
    from ..instances._simulate import simulate  # the integrators (scipy): after every check

    out = simulate(inst, t_max, method=args.method, max_steps=args.max_steps,
                   progress=None, interruptible=True)
    print(f"{args.file}: A{out['layers']} under {out['rule']}")
    print(f"  status       {out['status']} at t = {out['t_end']:.6g} after {out['n_steps']} steps "
          f"(t_max {out['t_max']:g}, max steps {out['max_steps']})")
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
    elif pred.get("product") is None and "feedback_offset" in pred:  # kolen-pollack: at t_end
        for h, D in enumerate(pred["feedback_offset"], 1):
            print(f"  predicted    {pred.get('system')}: C_{h} - A_{h + 1}^T = {_fmt(D)}")
    elif pred.get("product") is None:
        print(f"  predicted    {pred.get('system')}: no closed-form product"
              + (f" ({pred['case']})" if pred.get("case") else ""))
    else:
        print(f"  predicted    {pred.get('system')}: P = {_fmt(pred.get('product'))}")
    if pred is not None and pred.get("reason"):
        fp = pred.get("fixed_point")
        print(f"  case         {pred.get('case', '-')}, fixed point "
              f"{'unknown' if fp is None else ('yes' if fp else 'none')}: {pred['reason']}")
    if args.json:
        atomic_write_json(args.json, out, "--json")
        print(f"  wrote {args.json}")
    if out["status"] == "non-finite":
        print(f"linrbp simulate: {out['message']}", file=sys.stderr)
        return 1
    if out["status"] == "interrupted":
        print(f"linrbp simulate: interrupted at t = {out['t_end']:.6g}; the state above is the last "
              "accepted step", file=sys.stderr)
        return 130
    return 0
